"""The board: the leads in a column per status."""

from dataclasses import dataclass

from sqlalchemy import Row, select, union_all

from crm.core.paging import limited
from crm.leads import queries
from crm.leads.models import Lead, LeadStatus
from crm.leads.queries import LeadFilters

BOARD_CARDS = 50
BOARD_STATUSES = tuple(s for s in LeadStatus if s is not LeadStatus.SPAM)
BOARD_COLUMNS = (Lead.id, Lead.reference, Lead.company_name, Lead.total_kg, Lead.score,
                 Lead.estimated_value, Lead.estimated_currency, Lead.owner_id, Lead.status,
                 Lead.created_at)


@dataclass(frozen=True)
class BoardColumn:
    status: LeadStatus
    cards: list[Row]
    total: int
    capped: bool

    @property
    def more(self) -> int:
        return max(self.total - len(self.cards), 0)


def board_columns(session, *, filters: LeadFilters) -> list[BoardColumn]:
    """The kanban: the newest ``BOARD_CARDS`` leads of each status, and capped counts.

    Two statements: one UNION ALL of a LIMITed query per status (each served by the
    (status, created_at) index) and one row of capped counts.
    """
    statuses = [s for s in LeadStatus if s in (filters.statuses or BOARD_STATUSES)]
    conditions = queries.filter_conditions(session, filters, None)
    cap = queries.COUNT_CAP
    per_status = [
        limited(select(*BOARD_COLUMNS).where(*conditions, Lead.status == status)
                .order_by(Lead.created_at.desc(), Lead.id.desc()), BOARD_CARDS).subquery()
        for status in statuses
    ]
    cards = session.execute(union_all(*(select(part) for part in per_status))).all()
    counts = session.execute(select(*(
        queries.capped_count([*conditions, Lead.status == status], cap).label(f"n_{status.value}")
        for status in statuses
    ))).one()
    columns = []
    for status, total in zip(statuses, counts, strict=True):
        mine = [card for card in cards if card.status is status]
        mine.sort(key=lambda card: (card.created_at, card.id), reverse=True)
        columns.append(BoardColumn(status=status, cards=mine, total=min(total, cap),
                                   capped=total > cap))
    return columns
