"""The customer's side of a quote: viewing, accepting, declining, and expiry."""

from datetime import date

from sqlalchemy import select

from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.leads.models import LEAD_CLOSED_TO_ANSWERS, ActivityKind, LeadStatus
from crm.leads.news import news_recipients
from crm.leads.operations import can_own_leads, record_activity, touch
from crm.notifications import notify
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.operations import QuoteError

Q = QuoteStatus
OPEN_FOR_ANSWER = (Q.SENT, Q.VIEWED)


def mark_viewed(session, *, quote: Quote) -> None:
    """The first view of a sent quote (a GET changes nothing else: mail scanners open links)."""
    if quote.status is Q.SENT:
        quote.status, quote.viewed_at = Q.VIEWED, utcnow()
        record_activity(session, lead=quote.lead, kind=ActivityKind.QUOTE,
                        body=f"Quote {quote.label} viewed by the customer", quote_id=quote.id)


def _expire(session, quote: Quote) -> None:
    quote.status = Q.EXPIRED
    record_activity(session, lead=quote.lead, kind=ActivityKind.QUOTE,
                    body=f"Quote {quote.label} expired", quote_id=quote.id)


def _refuse_if_closed(session, quote: Quote, today: date) -> None:
    if quote.status in OPEN_FOR_ANSWER and quote.valid_until < today:
        _expire(session, quote)
        session.flush()
    if quote.status is Q.EXPIRED:
        raise QuoteError("This quote has expired. Ask us for a new one.")
    if quote.status is Q.SUPERSEDED:
        raise QuoteError("This quote was replaced by a newer version.")
    if quote.status not in OPEN_FOR_ANSWER:
        raise QuoteError("This quote can no longer be answered.")
    if quote.lead.status in LEAD_CLOSED_TO_ANSWERS:
        raise QuoteError("This quote is no longer open. Ask us for a new one.")


def accept_quote(session, *, quote: Quote, name: str, ip: str | None) -> None:
    """The customer accepts: the lead is won, its owner told, and the customer sent a record
    of what they accepted. Twice is harmless."""
    if quote.status is Q.ACCEPTED:
        return
    _refuse_if_closed(session, quote, utcnow().date())
    if not name.strip():
        raise QuoteError("Type your full name to accept.")
    quote.status, quote.accepted_at = Q.ACCEPTED, utcnow()
    quote.accepted_by_name, quote.accepted_ip = name.strip()[:100], ip
    lead = quote.lead
    before = lead.status
    lead.status = LeadStatus.WON
    touch(lead, None)  # the customer's change, not the salesperson's who sent the quote
    record_activity(session, lead=lead, kind=ActivityKind.QUOTE,
                    body=f"Quote {quote.label} accepted by {quote.accepted_by_name}",
                    quote_id=quote.id, before=before.value, after="won")
    _tell_owner(session, quote, "quote_accepted")
    # The customer's own record of what they accepted, and when (their buyers file it).
    owner = lead.owner if can_own_leads(lead.owner) else None
    notify(session, template="quote_acceptance", to=lead.contact.email, related=quote,
           key=f"quote-acceptance:{quote.id}",
           context={"quote": quote, "lead": lead, "owner": owner})


def decline_quote(session, *, quote: Quote, reason: str) -> None:
    """The customer declines: the owner is told, the lead stays open. Twice is harmless."""
    if quote.status is Q.DECLINED:
        return
    _refuse_if_closed(session, quote, utcnow().date())
    quote.status, quote.declined_at = Q.DECLINED, utcnow()
    quote.decline_reason = reason.strip()[:500] or None
    record_activity(session, lead=quote.lead, kind=ActivityKind.QUOTE,
                    body=f"Quote {quote.label} declined"
                    + (f": {quote.decline_reason}" if quote.decline_reason else ""),
                    quote_id=quote.id)
    _tell_owner(session, quote, "quote_declined")


def _tell_owner(session, quote: Quote, template: str) -> None:
    """The lead's owner hears of the answer; with no active owner, the whole sales team does
    (as the intake alerts them of a new lead), so that no order waits unseen; with the owner
    away, both do."""
    owner = quote.lead.owner
    recipients, away_owner = news_recipients(session, owner)
    for user in recipients:
        key = f"{template}:{quote.id}" + ("" if user is owner else f":{user.id}")
        notify(session, template=template, to=user.email, related=quote, key=key,
               context={"quote": quote, "lead": quote.lead, "owner": user,
                        "stand_in_for": away_owner if user is not away_owner else None,
                        "url": external_url(f"/dashboard/leads/{quote.lead_id}")})


def expire_quotes(session, today: date | None = None) -> int:
    """Sent or viewed quotes past their validity become expired (run daily)."""
    today = today or utcnow().date()
    expired = session.scalars(select(Quote).where(Quote.status.in_(OPEN_FOR_ANSWER),
                                                  Quote.valid_until < today)).all()
    for quote in expired:
        _expire(session, quote)
    return len(expired)
