"""Database connection settings that the ORM cannot express by itself."""

from functools import cache

from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

SQLITE_MMAP_BYTES = 256 * 1024 * 1024
# The largest id a row can have: SQLite's INTEGER and PostgreSQL's bigint are 64-bit, and
# SQLite's driver cannot even send a larger number (OverflowError). An id that comes back from
# a page is checked against this before a query sees it.
MAX_ROW_ID = 2**63 - 1


def is_row_id(value: int | None) -> bool:
    """True when some row could have ``value`` as its id; look nothing up by other numbers."""
    return value is not None and 0 < value <= MAX_ROW_ID


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; NORMAL sync is safe with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Reads through a memory map of the file: no read() call and no private copy per
    # connection (SQLite's own page cache is 2 MB per connection); every process shares
    # the operating system's cache. Lists and searches at 100,000 leads ran twice as fast.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def configure_engine(engine) -> None:
    """Apply per-connection settings for the engine's database."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def analyze(engine) -> None:
    """Refresh the statistics the query planner chooses indexes by. PostgreSQL's autovacuum
    does it by itself; SQLite never does, and without them plans by rules of thumb (a list in
    score order then sorts every open lead instead of walking that order's index)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()  # an open SQLite connection keeps the statistics it read when it opened


# Search structures made by hand in migrations 0004, 0009 and 0015, which the models do not
# describe.
UNMODELLED = ("leads_fts", "ix_leads_search_trgm", "ix_leads_search_status_trgm",
              "outbox_fts", "ix_outbox_emails_recipient_trgm")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave the hand-made search structures out of model comparisons."""
    return not (name or "").startswith(UNMODELLED)


DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session, model):
    """An INSERT for ``model`` that knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    return DIALECT_INSERTS[session.get_bind().dialect.name](model)


def per_dialect(build) -> dict:
    """``build(insert)`` with each database's ``insert`` (the one that knows ON CONFLICT):
    a statement built once, where it is defined, instead of on every call. ``of_dialect``
    picks the session's."""
    return {name: build(insert) for name, insert in DIALECT_INSERTS.items()}


def of_dialect(session, statements: dict):
    """The statement of ``statements`` (from ``per_dialect``) for the session's database."""
    return statements[session.get_bind().dialect.name]


ROW_PARAMETERS = {"dml_strategy": "orm"}
"""Execution options of an ORM INSERT … RETURNING whose row comes as parameters (no VALUES
clause: one statement serves every row), run as written: SQLAlchemy would otherwise take the
parameters for a bulk insert, which leaves out the None values."""


@cache
def _insert_or_nothing(dialect: str, model, unique: tuple[str, ...]):
    return (DIALECT_INSERTS[dialect](model).on_conflict_do_nothing(index_elements=unique)
            .returning(model).execution_options(**ROW_PARAMETERS))


@cache
def _select_by(model, columns: tuple[str, ...]):
    return select(model).filter_by(**{column: bindparam(column) for column in columns})


def insert_or_get(session, model, *, unique: dict, values: dict | None = None):
    """The row whose unique columns equal ``unique``, inserting it (with ``values``) if
    missing. Safe under concurrency: a racing insert makes ours do nothing (ON CONFLICT DO
    NOTHING) and we read the winner's row. One statement when the row is new. The
    statements are built once for each model and set of columns."""
    row = {**unique, **(values or {})}
    inserted = session.scalar(
        _insert_or_nothing(session.get_bind().dialect.name, model, tuple(unique)), row)
    return inserted if inserted is not None else session.scalar(
        _select_by(model, tuple(unique)), unique)


def commit_with_retries(session, run, *, retry_on=IntegrityError, attempts: int = 2):
    """Call ``run`` and commit; return what it returned. When it loses a race with another
    request (``retry_on``: an IntegrityError when both wrote the same unique value, a
    StaleDataError when both saved the same versioned row), roll back and call ``run`` again:
    on the fresh rows it sees the other request's write, and either succeeds or raises its
    own, readable error. The last attempt's loss is raised."""
    for attempt in range(1, attempts + 1):
        try:
            result = run()
            session.commit()
            return result
        except retry_on:
            session.rollback()
            if attempt == attempts:
                raise
