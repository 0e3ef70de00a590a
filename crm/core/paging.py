"""Paged lists without an unbounded COUNT: fetch one row more than a page to know if
another page follows."""

from dataclasses import dataclass

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


def fetch_page(session, query, number: int, size: int = PAGE_SIZE) -> Page:
    """Rows ``size`` at a time for page ``number`` of an ordered query, in one statement."""
    rows = session.execute(query.offset((number - 1) * size).limit(size + 1)).all()
    return Page(items=rows[:size], number=number, has_next=len(rows) > size)


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with %, _ and \\ taken literally
    (use with ``escape="\\\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
