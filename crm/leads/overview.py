"""The sales overview on the staff home page: counts, my leads, what is late, the charts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Row

from crm.core.paging import limited
from crm.leads.models import OPEN_STATUSES, Lead, LeadStatus
from crm.leads.queries import LIST_COLUMNS, staff

OVERVIEW_ROWS = 10
WEEKS = 12


@dataclass(frozen=True)
class OpenValue:
    """The estimated values of the open leads: summed per currency, and how many of the
    open leads have one."""

    amounts: list[tuple[str, Decimal]]
    valued: int
    open: int


@dataclass(frozen=True)
class Overview:
    status_counts: dict[LeadStatus, int]
    my_open: list[Row]
    my_open_more: bool
    overdue: list[Row]
    overdue_more: bool
    breaches: list[Row]
    breaches_more: bool
    weeks: list[tuple[date, int]]
    owner_names: dict[int, str]
    value: OpenValue

    @property
    def by_status(self) -> list[tuple[LeadStatus, int]]:
        return [(status, self.status_counts.get(status, 0)) for status in LeadStatus]

    @property
    def funnel(self) -> list[tuple[LeadStatus, int]]:
        """Leads that reached each stage new → won (now there or past it; lost left out)."""
        stages = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED,
                  LeadStatus.QUOTED, LeadStatus.WON)
        return [(stage, sum(self.status_counts.get(s, 0) for s in stages[n:]))
                for n, stage in enumerate(stages)]


def pipeline(session) -> tuple[dict[LeadStatus, int], OpenValue]:
    """The leads per status, and the open leads' estimated values per currency: one walk of
    the unmerged leads' (status, currency, value) index. A lead has a currency when, and
    only when, it has a value."""
    counts, amounts, valued = defaultdict(int), defaultdict(Decimal), 0
    for status, currency, leads, total in session.execute(
            select(Lead.status, Lead.estimated_currency, func.count(),
                   func.sum(Lead.estimated_value))
            .where(Lead.merged_into_id.is_(None))
            .group_by(Lead.status, Lead.estimated_currency)):
        counts[status] += leads
        if status in OPEN_STATUSES and currency is not None:
            amounts[currency] += total
            valued += leads
    return dict(counts), OpenValue(amounts=sorted(amounts.items()), valued=valued,
                                   open=sum(counts[status] for status in OPEN_STATUSES))


def _limited(session, query, limit: int) -> tuple[list[Row], bool]:
    rows = session.execute(limited(query, limit + 1)).all()
    return rows[:limit], len(rows) > limit


def leads_per_week(session, *, today: date, weeks: int = WEEKS) -> list[tuple[date, int]]:
    """New leads per week (Monday first, UTC) for the last ``weeks`` weeks, this one included:
    one count per week over a range of the creation index, all in one statement."""
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    mondays = [first + timedelta(weeks=n) for n in range(weeks + 1)]
    bounds = [datetime.combine(monday, time.min, UTC) for monday in mondays]
    counts = session.execute(select(*(
        select(func.count()).where(Lead.merged_into_id.is_(None), Lead.created_at >= start,
                                   Lead.created_at < end).scalar_subquery()
        for start, end in zip(bounds, bounds[1:], strict=False)
    ))).one()
    return list(zip(mondays, counts, strict=False))


def overview(session, *, user_id: int, now: datetime) -> Overview:
    """Everything the sales overview shows, in six statements."""
    open_ = (Lead.merged_into_id.is_(None), Lead.status.in_(OPEN_STATUSES))
    counts, value = pipeline(session)
    my_open, my_more = _limited(session, select(*LIST_COLUMNS).where(
        *open_, Lead.owner_id == user_id).order_by(Lead.created_at.desc(), Lead.id.desc()),
        OVERVIEW_ROWS)
    overdue, overdue_more = _limited(session, select(*LIST_COLUMNS).where(
        *open_, Lead.next_action_on < now.date()
    ).order_by(Lead.next_action_on, Lead.id), OVERVIEW_ROWS)
    # Newest first: the ones a reply can still save, and (due = created + a fixed delay) the
    # order of the unanswered leads' index, walked until the page is full. "Not closed" says
    # "open" in a form no index serves, so that SQLite walks that one even without statistics.
    closed = [status for status in LeadStatus if status not in OPEN_STATUSES]
    breaches, breaches_more = _limited(session, select(
        *LIST_COLUMNS, Lead.first_response_due_at).where(
        Lead.merged_into_id.is_(None), Lead.status.not_in(closed),
        Lead.first_responded_at.is_(None), Lead.first_response_due_at < now
    ).order_by(Lead.created_at.desc(), Lead.id.desc()), OVERVIEW_ROWS)
    return Overview(
        status_counts=counts, my_open=my_open, my_open_more=my_more,
        overdue=overdue, overdue_more=overdue_more, breaches=breaches,
        breaches_more=breaches_more, weeks=leads_per_week(session, today=now.date()),
        owner_names=staff(session).names, value=value,
    )
