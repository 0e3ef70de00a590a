"""Quotes for the bulk data set (``flask crm seed-bulk``): the quotes its leads would have.

A quoted lead has a quote awaiting an answer (some viewed, a few past their validity by a
day or three), a won lead an accepted one, a lost lead now and then a declined, expired or
still sent one (the lead given up on first), and a qualified lead now and then a draft: one
line each, priced as a tier would. Dates follow the rules (see ``_dates``). Numbers continue
the year's counter in the order the quotes were drafted, so quotes drafted later never collide
with them.
"""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from crm.core.database import insert_or_get
from crm.core.types import utcnow
from crm.leads.models import LEAD_CLOSED_TO_ANSWERS, Lead, LeadStatus, RequestedIngredient
from crm.quotes.models import Quote, QuoteCounter, QuoteLine, QuoteStatus
from crm.quotes.operations import DEFAULT_VALIDITY_DAYS
from crm.quotes.tokens import new_token

Q = QuoteStatus
CHUNK = 2000
PRICE_PER_KG = (Decimal("18.50"), Decimal("64.00"))  # the catalog's range, near enough


def _status(rng, lead_status: LeadStatus) -> QuoteStatus | None:
    """The quote a lead in ``lead_status`` would have, if any."""
    draw = rng.random()
    if lead_status is LeadStatus.QUOTED:
        return Q.VIEWED if draw < 0.4 else Q.SENT
    if lead_status is LeadStatus.WON:
        return Q.ACCEPTED
    if lead_status is LeadStatus.LOST:
        # Declined, lapsed, or still out when sales gave up on the lead.
        return (Q.DECLINED if draw < 0.15 else Q.EXPIRED if draw < 0.25
                else Q.SENT if draw < 0.28 else None)
    if lead_status is LeadStatus.QUALIFIED:
        return Q.DRAFT if draw < 0.2 else None
    return None


def _dates(rng, status: QuoteStatus, lead_created: datetime, now: datetime) -> dict | None:
    """When the quote was drafted, sent, viewed and answered, as the rules allow: after the
    lead came in, never after ``now``, valid for ``DEFAULT_VALIDITY_DAYS`` from the draft
    (as the builder sets it), answered within that after a look. Quotes awaiting an answer
    were drafted within the validity (a few lapsed days ago, not yet expired by the daily
    job); an expired one's validity is over. None when the lead is too young for it."""
    validity = timedelta(days=DEFAULT_VALIDITY_DAYS)
    if status in (Q.SENT, Q.VIEWED):
        created = now - timedelta(minutes=rng.randint(60, (DEFAULT_VALIDITY_DAYS + 3) * 1440))
        created = max(created, lead_created + (now - lead_created) / 2)
    else:
        created = lead_created + timedelta(minutes=rng.randint(60, 10 * 1440))
        if created >= now:  # the lead came in only now: its quote is being worked on
            created = lead_created + (now - lead_created) / 2
    valid_until = (created + validity).date()
    if status is Q.EXPIRED and valid_until >= now.date():
        return None
    dates = {"created_at": created, "valid_until": valid_until, "sent_at": None,
             "viewed_at": None, "accepted_at": None, "declined_at": None}
    if status is Q.DRAFT:
        return dates
    # Each later step within what is left of the validity and of the time up to now.
    room = min(now, datetime.combine(valid_until, time.min, UTC)) - created
    sent = created + min(timedelta(hours=rng.randint(1, 48)), room / 4)
    dates["sent_at"] = sent
    if status in (Q.VIEWED, Q.ACCEPTED, Q.DECLINED):
        dates["viewed_at"] = sent + min(timedelta(hours=rng.randint(1, 72)), room / 4)
    if status in (Q.ACCEPTED, Q.DECLINED):
        answered = dates["viewed_at"] + min(timedelta(hours=rng.randint(1, 96)), room / 4)
        dates["accepted_at" if status is Q.ACCEPTED else "declined_at"] = answered
    return dates


def seed_bulk_quotes(session, *, seed: int = 7) -> int:
    """Add the quotes of every lead that would have one and none yet; return how many.
    Numbered in the order they were drafted, each year continuing its counter."""
    rng = random.Random(seed)
    now = utcnow()
    quoted = select(Quote.lead_id)
    leads = session.execute(
        select(Lead.id, Lead.status, Lead.created_at, Lead.owner_id).where(
            Lead.merged_into_id.is_(None), Lead.id.not_in(quoted),
            Lead.status.in_((LeadStatus.QUOTED, LeadStatus.WON, LeadStatus.LOST,
                             LeadStatus.QUALIFIED))).order_by(Lead.id)).all()
    first_lines = dict(session.execute(
        select(RequestedIngredient.lead_id, RequestedIngredient.id)
        .where(RequestedIngredient.position == 0)).all())
    planned = []
    for lead in leads:
        status = _status(rng, lead.status)
        dates = _dates(rng, status, lead.created_at, now) if status is not None else None
        if dates is None:
            continue
        kg = Decimal(rng.choice([25, 50, 100, 250, 500, 1000]))
        price = rng.choice(PRICE_PER_KG)
        planned.append(({
            "revision": 1, "lead_id": lead.id, "status": status.value, "currency": "USD",
            "incoterm": "EXW", "incoterm_place": "", "payment_terms": "30 days net",
            "notes": "", "total": kg * price, "token_hash": new_token()[1],
            "created_by_id": lead.owner_id,
            "lead_closed": lead.status in LEAD_CLOSED_TO_ANSWERS,
            "accepted_by_name": "Bulk Buyer" if status is Q.ACCEPTED else None, **dates,
        }, (lead.id, kg, price)))
    planned.sort(key=lambda item: item[0]["created_at"])
    numbers = {}
    for row, _ in planned:
        year = row["created_at"].year
        if year not in numbers:
            numbers[year] = _last_number(session, year)
        numbers[year] += 1
        row["number"] = f"Q-{year}-{numbers[year]:04d}"
    table = Quote.__table__
    for start in range(0, len(planned), CHUNK):
        chunk = planned[start:start + CHUNK]
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              [row for row, _ in chunk]).scalars().all()
        session.execute(insert(QuoteLine.__table__), [{
            "quote_id": quote_id, "position": 0,
            "requested_ingredient_id": first_lines.get(lead_id), "description": "Bulk ingredient",
            "quantity_kg": kg, "list_price_per_kg": price, "price_per_kg": price,
            "discount_pct": Decimal(0), "line_total": kg * price,
        } for quote_id, (_, (lead_id, kg, price)) in zip(ids, chunk, strict=True)])
    for year, last in numbers.items():
        session.execute(update(QuoteCounter).where(QuoteCounter.year == year).values(last=last))
    # A quote sent gives its lead's estimated value, as ``send_quote`` does.
    leads = Lead.__table__
    valued = [{"lead_id": lead_id, "value": row["total"], "currency": row["currency"]}
              for row, (lead_id, _, _) in planned if row["sent_at"] is not None]
    if valued:
        session.execute(update(leads).where(leads.c.id == bindparam("lead_id")).values(
            estimated_value=bindparam("value"), estimated_currency=bindparam("currency")),
            valued)
    return len(planned)


def _last_number(session, year: int) -> int:
    """The year's counter as it stands (made at 0 when missing)."""
    return insert_or_get(session, QuoteCounter, unique={"year": year}, values={"last": 0}).last
