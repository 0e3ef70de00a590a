"""Paged lists without an unbounded COUNT: fetch one row more than a page to know if
another page follows."""

from dataclasses import dataclass

from sqlalchemy import literal
from sqlalchemy.engine import Row

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # keeps OFFSET inside a 64-bit integer whatever ?page= says


@dataclass(frozen=True)
class Page:
    items: list[Row]
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page_number(requested: int | None) -> int:
    return min(max(requested or 1, 1), MAX_PAGE)


def limited(query, limit: int, offset: int = 0):
    """``query`` with its LIMIT and OFFSET written into the SQL as numbers, not parameters.

    A planner that knows how few rows are wanted weighs its plans by it: given ``LIMIT ?``,
    SQLite walked the whole date index looking for the newest leads of an owner who had none
    (50 ms at 100,000 leads) rather than read that owner's leads from their index (0.1 ms).
    """
    query = query.limit(literal(limit, literal_execute=True))
    return query.offset(literal(offset, literal_execute=True)) if offset else query


def fetch_page(session, query, number: int, size: int = PAGE_SIZE) -> Page:
    """Rows ``size`` at a time for page ``number`` of an ordered query, in one statement."""
    rows = session.execute(limited(query, size + 1, (number - 1) * size)).all()
    return Page(items=rows[:size], number=number, has_next=len(rows) > size)


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with %, _ and \\ taken literally
    (use with ``escape="\\\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(text: str) -> str:
    """``text`` as one quoted FTS5 phrase (its own double quotes doubled): a trigram index
    matches it as a substring, whatever characters it holds."""
    return '"' + text.replace('"', '""') + '"'
