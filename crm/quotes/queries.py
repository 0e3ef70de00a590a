"""Read-only queries behind the quotes list and the overview's quotes card: each a fixed
number of statements whatever the number of quotes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from crm.core.paging import Page, fetch_page, page_number
from crm.leads.models import Lead
from crm.leads.search import search_condition
from crm.quotes.models import Quote, QuoteStatus

Q = QuoteStatus
AWAITING = (Q.SENT, Q.VIEWED)
EXPIRING_DAYS = 7
ACCEPTED_DAYS = 30

# The list's views: which statuses each shows, and in which order (the id breaks ties).
VIEWS = {
    "open": ("Awaiting an answer", AWAITING, (Quote.valid_until, Quote.id)),
    "draft": ("Drafts", (Q.DRAFT,), (Quote.created_at.desc(), Quote.id.desc())),
    "accepted": ("Accepted", (Q.ACCEPTED,), (Quote.accepted_at.desc(), Quote.id.desc())),
    "declined": ("Declined", (Q.DECLINED,), (Quote.declined_at.desc(), Quote.id.desc())),
    "expired": ("Expired", (Q.EXPIRED,), (Quote.valid_until.desc(), Quote.id.desc())),
    "all": ("All", tuple(Q), (Quote.created_at.desc(), Quote.id.desc())),
}
DEFAULT_VIEW = "open"

# What a row of the list shows, and nothing more.
ROW_COLUMNS = (
    Quote.id, Quote.number, Quote.revision, Quote.status, Quote.currency, Quote.total,
    Quote.valid_until, Quote.sent_at, Quote.accepted_at, Quote.declined_at, Quote.created_at,
    Lead.id.label("lead_id"), Lead.reference, Lead.company_name, Lead.contact_name,
    Lead.owner_id,
)


@dataclass(frozen=True)
class QuoteFilters:
    view: str = DEFAULT_VIEW
    mine: bool = False
    me_id: int | None = None
    q: str | None = None

    def as_args(self) -> dict:
        """The filters as query-string arguments, so the pager's links keep them."""
        args = {"view": self.view if self.view != DEFAULT_VIEW else None,
                "owner": "me" if self.mine else None, "q": self.q}
        return {name: value for name, value in args.items() if value}


def _search(session, q: str):
    """Quotes whose number starts with ``q`` (``Q-2026-0012``, any case), or whose lead's
    reference, company, contact or email contains it (through the lead search index)."""
    term = q.strip()
    leads = select(Lead.id).where(search_condition(session, term))
    return or_(Quote.number.startswith(term.upper(), autoescape=True),
               Quote.lead_id.in_(leads))


def quote_page(session, *, filters: QuoteFilters, page: int | None) -> Page:
    """One page of the list, in one statement."""
    _, statuses, order = VIEWS[filters.view]
    query = select(*ROW_COLUMNS).join(Lead, Lead.id == Quote.lead_id).where(
        Quote.status.in_(statuses))
    if filters.mine:
        query = query.where(Lead.owner_id == filters.me_id)
    if filters.q:
        query = query.where(_search(session, filters.q))
    return fetch_page(session, query.order_by(*order), page_number(page))


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    awaiting: int
    awaiting_value: Decimal
    expiring: int
    accepted: int
    accepted_value: Decimal


@dataclass(frozen=True)
class QuoteSummary:
    by_currency: list[CurrencyFigures]

    def _sum(self, name: str) -> int:
        return sum(getattr(figures, name) for figures in self.by_currency)

    @property
    def awaiting(self) -> int:
        return self._sum("awaiting")

    @property
    def expiring(self) -> int:
        return self._sum("expiring")

    @property
    def accepted(self) -> int:
        return self._sum("accepted")

    def values(self, name: str) -> list[tuple[str, Decimal]]:
        """(currency, amount) of ``awaiting_value`` or ``accepted_value``, where not zero."""
        return [(figures.currency, getattr(figures, name)) for figures in self.by_currency
                if getattr(figures, name)]


def summary(session, *, today: date) -> QuoteSummary:
    """The team's quotes at a glance, per currency, in one statement: awaiting an answer
    (and their value), expiring within ``EXPIRING_DAYS``, accepted in the last
    ``ACCEPTED_DAYS`` (and their value)."""
    awaiting = Quote.status.in_(AWAITING)
    expiring = and_(awaiting, Quote.valid_until <= today + timedelta(days=EXPIRING_DAYS))
    since = datetime.combine(today - timedelta(days=ACCEPTED_DAYS), time.min, UTC)
    accepted = and_(Quote.status == Q.ACCEPTED, Quote.accepted_at >= since)

    def count(condition):
        return func.count().filter(condition)

    def total(condition):
        return func.coalesce(func.sum(Quote.total).filter(condition), 0)

    rows = session.execute(
        select(Quote.currency, count(awaiting), total(awaiting), count(expiring),
               count(accepted), total(accepted))
        .where(or_(awaiting, accepted)).group_by(Quote.currency).order_by(Quote.currency)
    ).all()
    return QuoteSummary([CurrencyFigures(row[0], row[1], Decimal(row[2]), row[3], row[4],
                                         Decimal(row[5])) for row in rows])
