"""Read-only queries behind the quotes list and the overview's quotes card: each a fixed
number of statements whatever the number of quotes."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, func, literal, select, union_all
from sqlalchemy.orm import aliased

from crm.core.paging import PAGE_SIZE, Page, limited, page_number
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
# Views of answers a revision can follow (declined, expired): once a later revision went out,
# the offer stands in it, and the old one is history (shown under "All" only).
REPLACEABLE_VIEWS = {"declined", "expired"}

# What a row of the list shows, and nothing more.
ROW_COLUMNS = (
    Quote.id, Quote.number, Quote.revision, Quote.status, Quote.currency, Quote.total,
    Quote.valid_until, Quote.sent_at, Quote.accepted_at, Quote.declined_at, Quote.created_at,
    Quote.lead_closed, Lead.id.label("lead_id"), Lead.reference, Lead.company_name,
    Lead.contact_name, Lead.owner_id, Lead.status.label("lead_status"),
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


QUOTE_NUMBER = re.compile(r"(?i)Q-\d{1,4}(-\d{0,5})?")


def _search(session, q: str):
    """(condition, whether it is on the leads). A term that looks like a quote number
    (``Q-2026-0012``, any case, or its start): the quotes whose number starts with it. Any
    other term: the quotes of the leads whose reference, company, contact or email contains
    it, through the lead search index (which then drives the query). One or the other: an
    OR of the two read every quote and searched the leads for each (3 s at 100,000 leads)."""
    term = q.strip()
    if QUOTE_NUMBER.fullmatch(term):
        low, high = quote_number_range(term)
        return and_(Quote.number >= low, Quote.number < high), False
    return search_condition(session, term), True


def quote_number_range(term: str) -> tuple[str, str]:
    """The numbers starting with ``term`` (``Q-2026-001``) as a range of the (number,
    revision) index: from the prefix up to the next prefix of the same shape, "Q-2026-002".
    Trailing 9s carry over ("Q-2029" → "Q-203"): every number has a digit in each of those
    places, so nothing falls between. Bounds made of the numbers' own characters, hyphens in
    the same places (a trailing one dropped), keep it a range under any collation; a bound
    such as "Q-2029:" would not (linguistic collations put ":" before the digits, or skip
    it)."""
    prefix = term.upper().rstrip("-")
    head = prefix.rstrip("9-")
    return prefix, head[:-1] + chr(ord(head[-1]) + 1)


def _replaced():
    """Whether a later revision of the quote was sent (a draft replaces nothing yet): one
    look-up in the (number, revision) index per quote."""
    later = aliased(Quote)
    return exists().where(later.number == Quote.number, later.revision > Quote.revision,
                          later.status != Q.DRAFT)


def quote_page(session, *, filters: QuoteFilters, page: int | None) -> Page:
    """One page of the list, in one statement: the page's quotes are chosen first (through
    the index of the view's order, joining the leads only to filter by them), then joined to
    their leads, 51 rows, not every quote of the view."""
    _, statuses, order = VIEWS[filters.view]
    number = page_number(page)
    chosen = select(Quote.id)
    if set(statuses) != set(Q):
        chosen = chosen.where(Quote.status.in_(statuses))
    if statuses == AWAITING:  # a lost or spam lead's quotes cannot be answered
        chosen = chosen.where(Quote.lead_closed.is_(False))
    if filters.view in REPLACEABLE_VIEWS:
        chosen = chosen.where(~_replaced())
    on_leads = []
    if filters.mine:
        on_leads.append(Lead.owner_id == filters.me_id)
    if filters.q:
        condition, of_leads = _search(session, filters.q)
        if of_leads:
            on_leads.append(condition)
        else:
            chosen = chosen.where(condition)
    if on_leads:
        chosen = chosen.join(Lead, Lead.id == Quote.lead_id).where(*on_leads)
    chosen = limited(chosen.order_by(*order), PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    rows = session.execute(select(*ROW_COLUMNS).join(Lead, Lead.id == Quote.lead_id)
                           .where(Quote.id.in_(chosen)).order_by(*order)).all()
    return Page(items=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE)


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
    ``ACCEPTED_DAYS`` (and their value). Each half reads an index that holds all it needs
    (status, date, currency, total), not the quotes."""
    soon = today + timedelta(days=EXPIRING_DAYS)
    since = datetime.combine(today - timedelta(days=ACCEPTED_DAYS), time.min, UTC)
    zero = literal(0)
    awaiting = select(
        Quote.currency, func.count(), func.sum(Quote.total),
        # From today: one past its validity (not yet marked expired by the daily job) is
        # no longer expiring.
        func.count().filter(Quote.valid_until.between(today, soon)), zero, zero,
    ).where(Quote.status.in_(AWAITING), Quote.lead_closed.is_(False)).group_by(Quote.currency)
    accepted = select(
        Quote.currency, zero, zero, zero, func.count(), func.sum(Quote.total),
    ).where(Quote.status == Q.ACCEPTED, Quote.accepted_at >= since).group_by(Quote.currency)
    figures: dict[str, list] = {}
    for currency, *values in session.execute(union_all(awaiting, accepted)):
        sums = figures.setdefault(currency, [0, Decimal(0), 0, 0, Decimal(0)])
        for n, value in enumerate(values):
            sums[n] += Decimal(str(value)) if n in (1, 4) else value
    return QuoteSummary([CurrencyFigures(currency, *sums)
                         for currency, sums in sorted(figures.items())])
