"""lead search by status

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 17:59:00

The lead search index also holds the status, so a search within one status is answered by the
index instead of a walk over every match (or every lead of that status).

- PostgreSQL: one multicolumn GIN index over the status (btree_gin) and the trigrams of the
  search text. GIN serves any subset of its columns, so searches over every status use it too.
- SQLite: the FTS5 table gets a status column (kept current by the triggers, now also on
  status changes); a search within one status matches both columns in one FTS query.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TRIGGERS = ("leads_fts_ai", "leads_fts_ad", "leads_fts_au")


def _sqlite_search(columns: tuple[str, ...]) -> None:
    """(Re)build leads_fts over ``columns`` of leads, with the triggers that keep it current."""
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_fts")
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(f"CREATE VIRTUAL TABLE leads_fts USING fts5({names}, content='leads', "
               "content_rowid='id', tokenize='trigram')")
    op.execute("CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN "
               f"INSERT INTO leads_fts(rowid, {names}) VALUES (new.id, {new}); END")
    op.execute("CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN "
               f"INSERT INTO leads_fts(leads_fts, rowid, {names}) "
               f"VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER leads_fts_au AFTER UPDATE OF {names} ON leads BEGIN "
               f"INSERT INTO leads_fts(leads_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO leads_fts(rowid, {names}) VALUES (new.id, {new}); END")
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_search(("search_text", "status"))
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public")
        op.execute("CREATE INDEX ix_leads_search_status_trgm ON leads "
                   "USING gin (status, search_text gin_trgm_ops)")
        op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_search(("search_text",))
    elif dialect == "postgresql":
        op.execute("CREATE INDEX ix_leads_search_trgm ON leads "
                   "USING gin (search_text gin_trgm_ops)")
        op.execute("DROP INDEX IF EXISTS ix_leads_search_status_trgm")
