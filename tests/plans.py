"""SQLite's query plans as they are at 100,000 leads, for tests of which index a page reads.

A test database holds a handful of leads, and SQLite plans by the statistics ANALYZE leaves, or
by rules of thumb when there are none (nothing runs ANALYZE unless someone does): ``statistics``
writes those of a 100,000-lead database, or clears them, so the planner chooses as it would
there either way. ``plans`` records each statement's plan, and whether its program reads a row
at all (an index may hold everything a count needs).
"""

from contextlib import contextmanager

from sqlalchemy import event

from crm.extensions import db

# sqlite_stat1 after `flask crm seed-bulk --leads 100000` (and the two emails of each quote
# request): rows, then rows per distinct value of each leading column set, per index.
SCALE = {
    "leads": {
        "ix_leads_live_company": "100000 31",
        "ix_leads_live_kg": "100000 415",
        "ix_leads_live_score": "100000 991",
        "ix_leads_unanswered": "20137 1",
        "ix_leads_unassigned": "10026 1",
        "ix_leads_live_status": "100000 14286 1",
        "ix_leads_live_value": "100000 14286 14286 2",
        "ix_leads_live_created": "100000 1",
        "ix_leads_owner_status": "100000 14286 2041 1",
        "ix_leads_next_action": "100000 132",
        "ix_leads_country_created": "100000 5000 1",
        "ix_leads_contact_id": "100000 1",
        "ix_leads_company_id": "100000 1",
        "sqlite_autoindex_leads_1": "100000 1",
    },
    "outbox_emails": {
        "ix_outbox_emails_template_created": "200000 100000 1",
        "ix_outbox_emails_status_created": "200000 100000 3",
        "ix_outbox_emails_related": "200000 200000 2",
        "ix_outbox_emails_due": "200000 100000 3",
        "ix_outbox_emails_created_at": "200000 3",
        "sqlite_autoindex_outbox_emails_1": "200000 1",
    },
}


def _load(statements: list[str]) -> None:
    db.session.commit()  # hands its connection back to the pool, which dispose() then closes
    with db.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    db.engine.dispose()  # each new connection reads the statistics afresh


@contextmanager
def statistics(at_scale: bool):
    """Inside the block, the statistics of the leads and their emails as at 100,000 leads
    (``at_scale``), or none at all, as before any ANALYZE (SQLite then plans by rules of
    thumb); none after."""
    values = ", ".join(f"('{table}', '{index}', '{stat}')"
                       for table, stats in SCALE.items() for index, stat in stats.items())
    _load(["ANALYZE", "DELETE FROM sqlite_stat1"]
          + ([f"INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES {values}"] if at_scale else []))
    try:
        yield
    finally:
        _load(["DELETE FROM sqlite_stat1"])


def reads_rows(connection, table: str, statement: str, parameters) -> bool:
    """Whether SQLite's program for ``statement`` reads a column of a row of ``table`` (when
    an index holds all it needs, the table is opened but never read)."""
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
    root = root.fetchone()[0]
    program = connection.execute("EXPLAIN " + statement, parameters).fetchall()
    tables = {p1 for _, op, p1, p2, *_ in program if op == "OpenRead" and p2 == root}
    return any(op == "Column" and p1 in tables for _, op, p1, *_ in program)


@contextmanager
def plans(table: str = "leads"):
    """``{statement: (plan lines, reads rows of table)}`` of the statements on ``table`` run
    inside the block."""
    seen = {}

    def record(conn, cursor, statement, parameters, context, executemany):
        if f" {table}" in statement:
            plan = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            seen[statement] = ([row[-1] for row in plan.fetchall()],
                               reads_rows(cursor.connection, table, statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
