"""lead search status codes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 20:20:00

SQLite only. The FTS5 trigram index of the lead search held each lead's status as a word, so a
search within "qualified" matched a seven-trigram phrase against most of the index: that cost
more than the search itself. The index now holds each status as its first three letters (one
trigram, distinct for every status), and holds no copy of the text: it is contentless, filled
and kept current by the triggers, which pass the indexed values back when a row leaves.
PostgreSQL's GIN index over (status, trigrams) is unchanged.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TRIGGERS = ("leads_fts_ai", "leads_fts_ad", "leads_fts_au")
CODE = "substr({row}.status, 1, 3)"  # what 0010 indexes of a status
WHOLE = "{row}.status"  # what 0009 indexed


def _build(content: str, status: str) -> None:
    """(Re)create leads_fts over (search_text, status) and the triggers that keep it current,
    indexing ``status`` (an expression of the row) and handing the same back on delete."""
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_fts")
    op.execute(f"CREATE VIRTUAL TABLE leads_fts USING fts5(search_text, status, {content}, "
               "tokenize='trigram')")
    new = f"new.id, new.search_text, {status.format(row='new')}"
    old = f"old.id, old.search_text, {status.format(row='old')}"
    columns = "leads_fts(rowid, search_text, status)"
    delete = f"INSERT INTO leads_fts(leads_fts, rowid, search_text, status) VALUES ('delete', {old});"
    op.execute(f"CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN "
               f"INSERT INTO {columns} VALUES ({new}); END")
    op.execute(f"CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN {delete} END")
    op.execute("CREATE TRIGGER leads_fts_au AFTER UPDATE OF search_text, status ON leads BEGIN "
               f"{delete} INSERT INTO {columns} VALUES ({new}); END")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _build("content=''", CODE)
    op.execute("INSERT INTO leads_fts(rowid, search_text, status) "
               f"SELECT id, search_text, {CODE.format(row='leads')} FROM leads")


def downgrade():
    """Back to 0009's index: the text and the whole status, read from the leads table."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _build("content='leads', content_rowid='id'", WHOLE)
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")
