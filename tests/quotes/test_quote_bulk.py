"""The quotes of the bulk data set (``flask crm seed-bulk``): what the quote rules would have
made of its leads, so that the lists and the card are timed on plausible data."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from crm.core.types import utcnow
from crm.extensions import db
from crm.leads.bulk import seed_bulk
from crm.leads.models import Lead, LeadStatus
from crm.quotes.bulk import seed_bulk_quotes
from crm.quotes.models import Quote, QuoteCounter, QuoteLine, QuoteStatus
from crm.quotes.operations import DEFAULT_VALIDITY_DAYS
from tests.factories import seed_catalog

Q = QuoteStatus
WOULD_HAVE = {LeadStatus.QUOTED: {Q.SENT, Q.VIEWED}, LeadStatus.WON: {Q.ACCEPTED},
              LeadStatus.LOST: {Q.DECLINED, Q.EXPIRED, Q.SENT}, LeadStatus.QUALIFIED: {Q.DRAFT}}


def test_bulk_quotes_follow_the_quote_rules(app):
    seed_catalog()
    seed_bulk(db.session, leads=2000)
    made = seed_bulk_quotes(db.session)
    db.session.commit()
    now = utcnow()
    today = now.date()
    rows = db.session.execute(select(Quote, Lead.status, Lead.created_at, Lead.estimated_value)
                              .join(Lead, Lead.id == Quote.lead_id)).all()
    assert len(rows) == made > 300
    assert {quote.status for quote, *_ in rows} == set(Q) - {Q.SUPERSEDED}
    line_totals = dict(db.session.execute(select(QuoteLine.quote_id, func.sum(
        QuoteLine.line_total)).group_by(QuoteLine.quote_id)).all())
    by_year = defaultdict(list)
    for quote, lead_status, lead_created, estimate in rows:
        assert quote.status in WOULD_HAVE[lead_status], quote
        # A quote sent is its lead's estimate, as sending one makes it.
        assert estimate == (quote.total if quote.sent_at is not None else None), quote
        assert quote.lead_closed is (lead_status is LeadStatus.LOST), quote
        # Nothing happens before the lead came in, nor after now, and in its order.
        steps = [lead_created, quote.created_at, quote.sent_at, quote.viewed_at,
                 quote.accepted_at or quote.declined_at]
        steps = [step for step in steps if step is not None]
        assert steps == sorted(steps) and steps[-1] <= now, quote
        # Drafted with the builder's validity, sent and answered (after a look) within it.
        assert quote.valid_until == (quote.created_at + timedelta(
            days=DEFAULT_VALIDITY_DAYS)).date(), quote
        if quote.sent_at is not None:
            assert quote.sent_at.date() <= quote.valid_until
        if quote.status in (Q.ACCEPTED, Q.DECLINED):
            assert quote.viewed_at is not None
            assert (quote.accepted_at or quote.declined_at).date() <= quote.valid_until
        if quote.status is Q.EXPIRED:
            assert quote.valid_until < today, quote
        if quote.status in (Q.SENT, Q.VIEWED):  # awaiting: lapsed a few days at most
            assert quote.valid_until >= today - timedelta(days=3), quote
        assert quote.total == line_totals[quote.id] > 0
        assert quote.number.startswith(f"Q-{quote.created_at.year}-")
        by_year[quote.created_at.year].append(quote)
    for year, quotes in by_year.items():  # the counter gives numbers in the order of drafting
        quotes.sort(key=lambda quote: quote.number)
        created = [quote.created_at for quote in quotes]
        assert created == sorted(created), year
        assert db.session.get(QuoteCounter, year).last == int(quotes[-1].number[-4:])
