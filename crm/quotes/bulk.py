"""Quotes for the bulk data set (``flask crm seed-bulk``): the quotes its leads would have.

A quoted lead has a quote awaiting an answer (some viewed, some past their validity), a won
lead an accepted one, a lost lead now and then a declined or expired one, and a qualified
lead now and then a draft: one line each, priced as a tier would. Numbers continue the year's
counter, so quotes drafted later never collide with them.
"""

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update

from crm.core.database import insert_or_get
from crm.core.types import utcnow
from crm.leads.models import Lead, LeadStatus, RequestedIngredient
from crm.quotes.models import Quote, QuoteCounter, QuoteLine, QuoteStatus
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
        return Q.DECLINED if draw < 0.15 else Q.EXPIRED if draw < 0.25 else None
    if lead_status is LeadStatus.QUALIFIED:
        return Q.DRAFT if draw < 0.2 else None
    return None


def seed_bulk_quotes(session, *, seed: int = 7) -> int:
    """Add the quotes of every lead that would have one and none yet; return how many."""
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
    made, numbers = 0, {}
    for start in range(0, len(leads), CHUNK):
        quote_rows, details = [], []
        for lead in leads[start:start + CHUNK]:
            status = _status(rng, lead.status)
            if status is None:
                continue
            created = lead.created_at + timedelta(days=rng.randint(1, 10))
            year = created.year
            numbers[year] = numbers.get(year) or _last_number(session, year)
            numbers[year] += 1
            sent = None if status is Q.DRAFT else created + timedelta(hours=rng.randint(1, 48))
            valid_until = (created + timedelta(days=30)).date()
            if status in (Q.SENT, Q.VIEWED):  # still open: due within the next few weeks
                valid_until = (now + timedelta(days=rng.randint(-3, 30))).date()
            kg = Decimal(rng.choice([25, 50, 100, 250, 500, 1000]))
            price = rng.choice(PRICE_PER_KG)
            quote_rows.append({
                "number": f"Q-{year}-{numbers[year]:04d}", "revision": 1, "lead_id": lead.id,
                "status": status.value, "currency": "USD", "incoterm": "EXW",
                "incoterm_place": "", "payment_terms": "30 days net",
                "valid_until": valid_until, "notes": "", "total": kg * price,
                "token_hash": new_token()[1], "created_by_id": lead.owner_id,
                "created_at": created, "sent_at": sent,
                "viewed_at": sent + timedelta(hours=5) if status is Q.VIEWED else None,
                "accepted_at": sent + timedelta(days=3) if status is Q.ACCEPTED else None,
                "accepted_by_name": "Bulk Buyer" if status is Q.ACCEPTED else None,
                "declined_at": sent + timedelta(days=4) if status is Q.DECLINED else None,
            })
            details.append((lead.id, kg, price))
        if not quote_rows:
            continue
        table = Quote.__table__
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              quote_rows).scalars().all()
        session.execute(insert(QuoteLine.__table__), [{
            "quote_id": quote_id, "position": 0,
            "requested_ingredient_id": first_lines.get(lead_id), "description": "Bulk ingredient",
            "quantity_kg": kg, "list_price_per_kg": price, "price_per_kg": price,
            "discount_pct": Decimal(0), "line_total": kg * price,
        } for quote_id, (lead_id, kg, price) in zip(ids, details, strict=True)])
        made += len(ids)
    for year, last in numbers.items():
        session.execute(update(QuoteCounter).where(QuoteCounter.year == year).values(last=last))
    return made


def _last_number(session, year: int) -> int:
    """The year's counter as it stands (made at 0 when missing)."""
    return insert_or_get(session, QuoteCounter, unique={"year": year}, values={"last": 0}).last
