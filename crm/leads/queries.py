"""Read-only queries behind the lead list, the board, the CSV export and the sales overview.

Each is a function of the session and a ``LeadFilters``; each runs a fixed number of
statements whatever the number of leads. Counts are capped (``COUNT_CAP``), so a page never
pays for counting every lead, and search goes through the index (``crm.leads.search``).
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Row, case, exists, func, literal, literal_column, select, union_all

from crm.auth.models import Role, User, owner_label
from crm.auth.operations import team_today
from crm.catalog.models import Ingredient
from crm.core.paging import PAGE_SIZE, limited, page_number
from crm.leads.models import OPEN_STATUSES, Contact, Lead, LeadStatus, RequestedIngredient
from crm.leads.search import search_condition

COUNT_CAP = 1000  # "1,000+" beyond this
EXPORT_CAP = 100_000

# What a row of the list shows, and nothing more.
LIST_COLUMNS = (
    Lead.id, Lead.reference, Lead.company_name, Lead.contact_name, Lead.contact_email,
    Lead.country, Lead.ingredients_summary, Lead.total_kg, Lead.score, Lead.owner_id,
    Lead.status, Lead.created_at, Lead.next_action_on, Lead.version,
)
PIPELINE_ORDER = case(*((Lead.status == status, n) for n, status in enumerate(LeadStatus)))
SORTS = {
    "created_at": Lead.created_at,
    "score": Lead.score,
    "total_kg": Lead.total_kg,
    "company_name": Lead.company_key,
    "next_action_on": Lead.next_action_on,
    "status": PIPELINE_ORDER,
}
# The direction a column sorts in when its header is first clicked.
FIRST_DIRECTION = {"created_at": "desc", "score": "desc", "total_kg": "desc",
                   "company_name": "asc", "next_action_on": "asc", "status": "asc"}

@dataclass(frozen=True)
class LeadFilters:
    """The filters of the lead list and board; ``None`` means any.

    ``statuses`` is ``None`` when none were chosen (each screen then applies its default);
    ``owner`` is ``""`` (any), ``"me"``, ``"unassigned"`` or a user id as text.
    """

    q: str | None = None
    statuses: tuple[LeadStatus, ...] | None = None
    owner: str = ""
    me_id: int | None = None
    country: str | None = None
    ingredient_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "created_at"
    direction: str = "desc"

    def as_args(self, *, with_sort: bool = True) -> dict:
        """The filters as query-string arguments, so links keep them (lists repeat)."""
        if self.statuses is None:
            status = None
        elif set(self.statuses) == set(LeadStatus):
            status = "all"
        else:
            status = [s.value for s in self.statuses]
        args = {
            "q": self.q, "status": status, "owner": self.owner, "country": self.country,
            "ingredient": self.ingredient_id,
            "created_from": self.created_from.isoformat() if self.created_from else None,
            "created_to": self.created_to.isoformat() if self.created_to else None,
        }
        if with_sort and (self.sort, self.direction) != ("created_at", "desc"):
            args.update(sort=self.sort, dir=self.direction)
        return {name: value for name, value in args.items() if value}

    def sorted_by(self, sort: str) -> dict:
        """Arguments of the link on a column header: that column, or the other direction."""
        if sort == self.sort:
            direction = "asc" if self.direction == "desc" else "desc"
        else:
            direction = FIRST_DIRECTION[sort]
        return replace(self, sort=sort, direction=direction).as_args()

    def with_status(self, status: LeadStatus) -> dict:
        return replace(self, statuses=(status,)).as_args()

    @property
    def any_set(self) -> bool:
        return bool(self.as_args(with_sort=False))


@dataclass(frozen=True)
class LeadPage:
    items: list[Row]
    number: int
    total: int  # capped at COUNT_CAP + 1
    capped: bool
    has_next: bool
    size: int = PAGE_SIZE

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    @property
    def total_label(self) -> str:
        """``"1,234"``, or ``"1,000+"`` when the count stopped at the cap."""
        if self.capped:
            return f"{max(self.total, self.last):,}+"
        return f"{self.total:,}"


@dataclass(frozen=True)
class Staff:
    """Every staff account's name by id, and who may own leads (for the owner filter)."""

    names: dict[int, str]
    owners: list[tuple[int, str]] = field(default_factory=list)


def filter_conditions(session, filters: LeadFilters, statuses: tuple[LeadStatus, ...] | None, *,
                walk_order: bool = False):
    """WHERE clauses for ``filters``; ``statuses=None`` filters on no status."""
    conditions = [Lead.merged_into_id.is_(None)]
    if statuses is not None and set(statuses) != set(LeadStatus):
        conditions.append(Lead.status.in_(statuses))
    if filters.owner == "me":
        conditions.append(Lead.owner_id == filters.me_id)
    elif filters.owner == "unassigned":
        conditions.append(Lead.owner_id.is_(None))
    elif filters.owner.isdigit():
        conditions.append(Lead.owner_id == int(filters.owner))
    if filters.country:
        conditions.append(Lead.country == filters.country)
    if filters.ingredient_id is not None:
        line = RequestedIngredient
        conditions.append(exists().where(line.lead_id == Lead.id,
                                         line.ingredient_id == filters.ingredient_id))
    if filters.created_from:
        conditions.append(Lead.created_at >= datetime.combine(filters.created_from, time.min, UTC))
    if filters.created_to:
        end = datetime.combine(filters.created_to + timedelta(days=1), time.min, UTC)
        conditions.append(Lead.created_at < end)
    if filters.q:
        one_status = statuses[0] if statuses is not None and len(statuses) == 1 else None
        conditions.append(search_condition(session, filters.q, status=one_status,
                                           walk_order=walk_order))
    return conditions


def capped_count(conditions, cap: int):
    """``SELECT count(*) FROM (SELECT 1 FROM leads WHERE … LIMIT cap + 1)``, as a scalar."""
    matching = limited(select(literal_column("1")).select_from(Lead).where(*conditions), cap + 1)
    return select(func.count()).select_from(matching.subquery()).scalar_subquery()


def _ordered(query, filters: LeadFilters):
    key = SORTS.get(filters.sort, Lead.created_at)
    order = key.asc() if filters.direction == "asc" else key.desc()
    if filters.sort == "next_action_on":
        # Leads without a next action last either way. Only here: on a NOT NULL column
        # NULLS LAST would stop PostgreSQL ordering by the (status, created_at) index.
        order = order.nulls_last()
    ties = (Lead.created_at, Lead.id) if filters.sort == "status" else (Lead.id,)
    return query.order_by(order, *(tie.asc() if filters.direction == "asc" else tie.desc()
                                   for tie in ties))


def list_statuses(filters: LeadFilters) -> tuple[LeadStatus, ...]:
    """The statuses the list shows: those chosen, else the open ones."""
    return filters.statuses or OPEN_STATUSES


def lead_page(session, *, filters: LeadFilters, page: int = 1) -> LeadPage:
    """One page of the list (two statements: the capped count and the rows).

    The count comes first. On SQLite a search counts by fetching the ids of its matches (at
    most the cap) and, when they are all there, reads the page by id: the search runs once,
    not twice. (PostgreSQL's planner would rather walk the date index testing each lead
    against a list of ids, so there the count is a count and the page searches again,
    through the GIN index.) When a search matches more leads than the cap and the list is in
    date order (which an index serves), the rows are found walking that order.
    """
    number = page_number(page)
    conditions = filter_conditions(session, filters, list_statuses(filters))
    cap = COUNT_CAP
    by_id = filters.q and session.get_bind().dialect.name == "sqlite"
    if by_id:
        # The matches' ids (at most the cap) in one row: a JSON array, counted by its commas.
        matches = limited(select(Lead.id).where(*conditions), cap + 1).subquery()
        ids = "[" + (session.scalar(select(func.group_concat(matches.c.id))) or "") + "]"
        total = ids.count(",") + 1 if ids != "[]" else 0
    else:
        total = session.scalar(select(capped_count(conditions, cap)))
    if by_id and total <= cap:
        conditions = [Lead.id.in_(select(func.json_each(ids).table_valued("value").c.value))]
    elif filters.q and total > cap and filters.sort == "created_at":
        conditions = filter_conditions(session, filters, list_statuses(filters), walk_order=True)
    offset = (number - 1) * PAGE_SIZE
    if filters.sort == "status" and not (by_id and total <= cap):
        query = _by_stage(conditions, list_statuses(filters), filters.direction, offset)
    else:
        query = limited(_ordered(select(*LIST_COLUMNS).where(*conditions), filters),
                        PAGE_SIZE + 1, offset)
    rows = session.execute(query).all()
    return LeadPage(items=rows[:PAGE_SIZE], number=number, total=min(total, cap),
                    capped=total > cap, has_next=len(rows) > PAGE_SIZE)


def _by_stage(conditions, statuses, direction: str, offset: int):
    """A page in pipeline order without sorting every lead shown: each status's leads walked
    in its (status, created_at) index as far as the page reaches (their ids only, which the
    index holds), those few ordered stage after stage (as ``PIPELINE_ORDER``, by date within
    a stage), and the page's rows read last."""
    def ordered(*columns):
        return (column.desc() if direction == "desc" else column.asc() for column in columns)

    walks = [limited(select(Lead.id, Lead.created_at, literal(stage).label("stage"))
                     .where(*conditions, Lead.status == status)
                     .order_by(*ordered(Lead.created_at, Lead.id)),
                     offset + PAGE_SIZE + 1).subquery()
             for stage, status in enumerate(LeadStatus) if status in statuses]
    walked = union_all(*(select(walk) for walk in walks)).subquery()
    page = limited(select(walked).order_by(*ordered(walked.c.stage, walked.c.created_at,
                                                    walked.c.id)),
                   PAGE_SIZE + 1, offset).subquery()
    return (select(*LIST_COLUMNS).join(page, page.c.id == Lead.id)
            .order_by(*ordered(page.c.stage, page.c.created_at, page.c.id)))


def export_query(session, *, filters: LeadFilters):
    """Every lead of the list (same filters and order, all pages, at most ``EXPORT_CAP``)."""
    conditions = filter_conditions(session, filters, list_statuses(filters))
    return _ordered(select(*LIST_COLUMNS, Lead.estimated_value, Lead.estimated_currency)
                    .where(*conditions), filters).limit(EXPORT_CAP)


def staff(session) -> Staff:
    """Names of all staff (for owner columns) and the active sales people (one statement)."""
    rows = session.execute(select(User.id, User.name, User.role, User.active, User.away_until)
                           .order_by(User.name, User.id)).all()
    today = team_today()
    return Staff(
        names={row.id: row.name for row in rows},
        owners=[(row.id, owner_label(row.name, row.away_until, today)) for row in rows
                if row.active and row.role in (Role.SALES, Role.ADMIN)],
    )


def ingredient_choices(session) -> list[tuple[int, str]]:
    return [tuple(row) for row in session.execute(
        select(Ingredient.id, Ingredient.name).order_by(Ingredient.name))]


def lead_of_contact(session, email: str) -> int | None:
    """The id of the newest lead of the contact with this address, if they have one."""
    return session.scalar(
        select(Lead.id).join(Contact, Contact.id == Lead.contact_id)
        .where(Contact.email == email.strip().lower(), Lead.merged_into_id.is_(None))
        .order_by(Lead.created_at.desc()).limit(1))
