"""What staff do to a quote: drafting, editing, numbering, sending and revising. The quote
state machine lives here and in ``crm.quotes.answers`` (the customer's answer, expiry)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import flag_modified

from crm.catalog.formulation import CENT, KG, money, round_to_packs, tier_price
from crm.catalog.models import Ingredient
from crm.core.database import insert_or_get
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.leads.estimate import set_estimated_value
from crm.leads.models import (
    LEAD_CLOSED_TO_ANSWERS,
    ActivityKind,
    Lead,
    LeadStatus,
    RequestedIngredient,
)
from crm.leads.operations import ERASED_CONTACT, mark_answered, record_activity
from crm.notifications import notify
from crm.quotes.models import MAX_MONEY, Quote, QuoteCounter, QuoteLine, QuoteStatus
from crm.quotes.pricing import line_total, quote_total
from crm.quotes.tokens import find_by_token, hash_token, new_token  # noqa: F401  (API)

Q = QuoteStatus
DEFAULT_VALIDITY_DAYS = 30


class QuoteError(ValueError):
    """A change the quote's state does not allow; the message is for the user."""


@dataclass
class LineInput:
    """One line as staff edit it."""

    description: str
    quantity_kg: Decimal
    price_per_kg: Decimal | None = None  # None: the tier price
    override_reason: str = ""
    discount_pct: Decimal = Decimal(0)
    grade: str | None = None
    ingredient_id: int | None = None
    requested_ingredient_id: int | None = None


def next_number(session, year: int) -> str:
    """Q-YYYY-NNNN, unique under concurrency: one atomic UPDATE ... RETURNING on the year's
    counter row (the row lock serialises concurrent drafts until their commit)."""
    insert_or_get(session, QuoteCounter, unique={"year": year}, values={"last": 0})
    last = session.scalar(update(QuoteCounter).where(QuoteCounter.year == year)
                          .values(last=QuoteCounter.last + 1).returning(QuoteCounter.last))
    return f"Q-{year}-{last:04d}"


def _priced_line(session, ingredient: Ingredient | None, item: LineInput, currency: str,
                 position: int) -> tuple[QuoteLine, list[str]]:
    warnings = []
    # Round what is stored first, then compute from the stored values, so the quote adds up.
    quantity = Decimal(item.quantity_kg).quantize(KG, rounding=ROUND_HALF_UP)
    discount = Decimal(item.discount_pct or 0).quantize(CENT, rounding=ROUND_HALF_UP)
    packs = pack_size = list_price = None
    if ingredient is not None:
        packed = round_to_packs(quantity, ingredient.pack_size_kg)
        quantity, packs, pack_size = packed.kg_rounded, packed.packs, packed.pack_size_kg
        tier = tier_price(ingredient.price_tiers, grade=item.grade, kg=quantity, currency=currency)
        list_price = tier.price_per_kg if tier else None
        if quantity < ingredient.moq_kg:
            warnings.append(f"{item.description}: {quantity:,.0f} kg is below the MOQ of "
                            f"{ingredient.moq_kg:,.0f} kg")
        if tier is None:
            warnings.append(f"{item.description}: no {currency} price tier for grade "
                            f"{item.grade or '(none)'}; enter a price")
    price = item.price_per_kg if item.price_per_kg is not None else list_price
    price = money(price if price is not None else Decimal(0))
    if list_price is not None and price != list_price and not item.override_reason.strip():
        raise QuoteError(f"{item.description}: say why the price differs from the tier price "
                         f"of {list_price} {currency}/kg.")
    if not (0 <= discount < 100):
        raise QuoteError(f"{item.description}: a discount is between 0 and 100 %.")
    line = QuoteLine(
        position=position, ingredient_id=getattr(ingredient, "id", None),
        requested_ingredient_id=item.requested_ingredient_id, description=item.description,
        grade=item.grade, quantity_kg=quantity, pack_size_kg=pack_size, packs=packs,
        list_price_per_kg=list_price, price_per_kg=price,
        override_reason=item.override_reason.strip() or None,
        discount_pct=discount, line_total=line_total(quantity, price, discount),
    )
    return line, warnings


def _set_lines(session, quote: Quote, items: list[LineInput]) -> list[str]:
    if not items:
        raise QuoteError("A quote needs at least one line.")
    ids = {item.ingredient_id for item in items if item.ingredient_id}
    catalog = {i.id: i for i in session.scalars(select(Ingredient).where(Ingredient.id.in_(ids)))}
    plans = {r.id: r for r in session.scalars(select(RequestedIngredient).where(
        RequestedIngredient.lead_id == quote.lead_id,  # only this lead's own lines
        RequestedIngredient.id.in_({i.requested_ingredient_id for i in items} - {None})))}
    warnings, lines = [], []
    for position, item in enumerate(items):
        if Decimal(item.quantity_kg) <= 0:
            raise QuoteError(f"{item.description}: the quantity must be more than 0 kg.")
        line, line_warnings = _priced_line(session, catalog.get(item.ingredient_id), item,
                                           quote.currency, position)
        plan = plans.get(item.requested_ingredient_id)
        line.requested_ingredient_id = plan.id if plan is not None else None
        if plan is not None and plan.quantity_kg_given is None:  # computed from the plan
            line.dose_mg, line.servings_per_unit = plan.dose_mg, plan.servings_per_unit
        lines.append(line)
        warnings += line_warnings
    total = quote_total(lines)
    if total > MAX_MONEY:  # each amount within its bounds, but not their product
        raise QuoteError(f"The lines come to {total:,} {quote.currency}: more than a quote can "
                         f"hold ({MAX_MONEY:,}). Split the order over several quotes.")
    quote.lines, quote.total = lines, total
    return warnings


def _refuse_closed_lead(lead: Lead) -> None:
    """No quote goes to a lead merged away, lost (reopen it first) or held as spam."""
    if lead.merged_into_id is not None:
        raise QuoteError("This lead was merged into another one; quote from that lead.")
    if lead.status in LEAD_CLOSED_TO_ANSWERS:
        reopen = " Reopen it first." if lead.status is LeadStatus.LOST else ""
        raise QuoteError(f"A {lead.status.label.lower()} lead gets no quote.{reopen}")


def draft_from_lead(session, *, lead: Lead, actor, currency: str = "USD") -> tuple[Quote,
                                                                                    list[str]]:
    """A draft priced from the lead's requested ingredients: packs, tier prices, MOQ
    warnings. Returns (quote, warnings for staff)."""
    _refuse_closed_lead(lead)
    requested = session.scalars(select(RequestedIngredient).where(
        RequestedIngredient.lead_id == lead.id).order_by(RequestedIngredient.id)).all()
    items = [LineInput(
        description=r.display_name, grade=r.grade, ingredient_id=r.ingredient_id,
        requested_ingredient_id=r.id,
        quantity_kg=r.kg_rounded or r.kg_needed or r.quantity_kg_given or Decimal(1),
    ) for r in requested]
    token, token_hash = new_token()
    quote = Quote(number=next_number(session, utcnow().year), revision=1, lead_id=lead.id,
                  currency=currency, valid_until=utcnow().date() + timedelta(
                      days=DEFAULT_VALIDITY_DAYS), token_hash=token_hash,
                  created_by_id=getattr(actor, "id", None))
    warnings = _set_lines(session, quote, items)
    session.add(quote)
    session.flush()
    record_activity(session, lead=lead, kind=ActivityKind.QUOTE, actor=actor,
                    body=f"Quote {quote.label} drafted", quote_id=quote.id)
    return quote, warnings


STALE_DRAFT = ("Someone else saved this draft after you opened it, so nothing was saved. "
               "Your changes are still below: save again to replace theirs, or reload the "
               "page to see them.")


def update_draft(session, *, quote: Quote, lines: list[LineInput], currency: str,
                 incoterm: str, incoterm_place: str, payment_terms: str, valid_until: date,
                 notes: str, expected_version: int | None = None) -> list[str]:
    """Edit a draft; totals are recomputed. ``expected_version`` is the quote's version when
    the editor was opened: a draft saved since is not overwritten. Returns warnings for
    staff."""
    if quote.status is not Q.DRAFT:
        raise QuoteError("Only a draft can be edited; make a revision instead.")
    if expected_version is not None and quote.version != expected_version:
        raise QuoteError(STALE_DRAFT)
    # Write the row even when only the lines change, so that its version refuses this save
    # if the quote was sent (or saved) meanwhile: no line changes under a sent email.
    flag_modified(quote, "total")
    if valid_until < utcnow().date():
        raise QuoteError("The validity date is in the past.")
    quote.currency, quote.incoterm = currency, incoterm
    quote.incoterm_place, quote.payment_terms = incoterm_place.strip(), payment_terms.strip()
    quote.valid_until, quote.notes = valid_until, notes.strip()
    return _set_lines(session, quote, lines)


def send_quote(session, *, quote: Quote, actor) -> str:
    """draft → sent; the lead moves to quoted; the customer gets the link. A sent revision
    supersedes the earlier ones. Returns the customer's token (for the email only)."""
    if quote.status is not Q.DRAFT:
        raise QuoteError(f"A {quote.status.value} quote cannot be sent again.")
    _refuse_closed_lead(quote.lead)
    if quote.lead.contact.erased:
        raise QuoteError(ERASED_CONTACT)
    accepted = session.scalar(select(Quote).where(Quote.number == quote.number,
                                                  Quote.status == Q.ACCEPTED))
    if accepted is not None:
        raise QuoteError(f"{accepted.label} was accepted by the customer; this revision "
                         "can no longer be sent.")
    if quote.valid_until < utcnow().date():
        raise QuoteError("The validity date has passed; set a new one before sending.")
    unpriced = [line.description for line in quote.lines if line.price_per_kg <= 0]
    if unpriced:
        raise QuoteError("Price every line before sending: " + ", ".join(unpriced) + ".")
    token, quote.token_hash = new_token()  # a fresh link: no draft link ever worked
    quote.status, quote.sent_at = Q.SENT, utcnow()
    for older in session.scalars(select(Quote).where(
            Quote.number == quote.number, Quote.id != quote.id,
            Quote.status.in_((Q.DRAFT, Q.SENT, Q.VIEWED)))):
        older.status, older.superseded_by_id = Q.SUPERSEDED, quote.id
    lead = quote.lead
    if lead.status in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED):
        before = lead.status
        lead.status = LeadStatus.QUOTED
        record_activity(session, lead=lead, kind=ActivityKind.STATUS, actor=actor,
                        body=f"{before.label} → Quoted", before=before.value, after="quoted")
    mark_answered(lead)
    lead.updated_by_id = getattr(actor, "id", None)
    record_activity(session, lead=lead, kind=ActivityKind.QUOTE, actor=actor,
                    body=f"Quote {quote.label} sent", quote_id=quote.id)
    set_estimated_value(session, lead=lead, value=quote.total, currency=quote.currency,
                        actor=actor, because=f"quote {quote.label}")
    notify(session, template="quote_sent", to=lead.contact.email, related=quote,
           key=f"quote-sent:{quote.id}",
           context={"quote": quote, "lead": lead, "sender": actor,
                    "url": external_url(f"/q/{token}")})
    return token


def discard_draft(session, *, quote: Quote, actor) -> None:
    """Delete a draft that was never sent (a second click on "Draft", a false start): the
    lead's quotes keep only what is real. Its number is not given out again."""
    if quote.status is not Q.DRAFT:
        raise QuoteError(f"A {quote.status.value} quote stays on record; only a draft can "
                         "be discarded.")
    record_activity(session, lead=quote.lead, kind=ActivityKind.QUOTE, actor=actor,
                    body=f"Quote {quote.label} draft discarded")
    session.delete(quote)  # its version guards it: a draft sent meanwhile is not deleted


def revise_quote(session, *, quote: Quote, actor) -> Quote:
    """A new draft revision with the same number and lines; the old one is superseded
    when the revision is sent. Refused, as a first draft is, for a lead lost, spam or
    merged away."""
    if quote.status in (Q.DRAFT, Q.ACCEPTED, Q.SUPERSEDED):
        raise QuoteError(f"A {quote.status.value} quote cannot be revised.")
    _refuse_closed_lead(quote.lead)
    latest = session.scalar(select(Quote).where(Quote.number == quote.number)
                            .order_by(Quote.revision.desc()).limit(1))
    if latest.id != quote.id:
        raise QuoteError(f"Revise the latest version, {latest.label}.")
    # Write the revised row too (written first in the flush): of two revisions made at once,
    # the second finds its version changed (StaleDataError), not its number taken.
    flag_modified(quote, "status")
    _, token_hash = new_token()
    revision = Quote(
        number=quote.number, revision=quote.revision + 1, lead_id=quote.lead_id,
        currency=quote.currency, incoterm=quote.incoterm, incoterm_place=quote.incoterm_place,
        payment_terms=quote.payment_terms, notes=quote.notes, token_hash=token_hash,
        valid_until=max(quote.valid_until, utcnow().date() + timedelta(
            days=DEFAULT_VALIDITY_DAYS)), created_by_id=getattr(actor, "id", None),
        total=quote.total,
    )
    revision.lines = [QuoteLine(**{c.key: getattr(line, c.key) for c in QuoteLine.__table__.c
                                   if c.key not in ("id", "quote_id")}) for line in quote.lines]
    session.add(revision)
    session.flush()
    record_activity(session, lead=quote.lead, kind=ActivityKind.QUOTE, actor=actor,
                    body=f"Quote {revision.label} drafted from {quote.label}",
                    quote_id=revision.id)
    return revision
