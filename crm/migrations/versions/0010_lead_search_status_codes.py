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


def _drop() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_fts")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    op.execute("CREATE VIRTUAL TABLE leads_fts USING fts5(search_text, status, content='', "
               "tokenize='trigram')")
    new = "new.id, new.search_text, substr(new.status, 1, 3)"
    old = "old.id, old.search_text, substr(old.status, 1, 3)"
    op.execute("CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN "
               f"INSERT INTO leads_fts(rowid, search_text, status) VALUES ({new}); END")
    op.execute("CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN "
               "INSERT INTO leads_fts(leads_fts, rowid, search_text, status) "
               f"VALUES ('delete', {old}); END")
    op.execute("CREATE TRIGGER leads_fts_au AFTER UPDATE OF search_text, status ON leads BEGIN "
               "INSERT INTO leads_fts(leads_fts, rowid, search_text, status) "
               f"VALUES ('delete', {old}); "
               f"INSERT INTO leads_fts(rowid, search_text, status) VALUES ({new}); END")
    op.execute("INSERT INTO leads_fts(rowid, search_text, status) "
               "SELECT id, search_text, substr(status, 1, 3) FROM leads")


def downgrade():
    """Back to 0009's index: the text and the whole status, read from the leads table."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop()
    op.execute("CREATE VIRTUAL TABLE leads_fts USING fts5(search_text, status, content='leads', "
               "content_rowid='id', tokenize='trigram')")
    op.execute("CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN "
               "INSERT INTO leads_fts(rowid, search_text, status) "
               "VALUES (new.id, new.search_text, new.status); END")
    op.execute("CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN "
               "INSERT INTO leads_fts(leads_fts, rowid, search_text, status) "
               "VALUES ('delete', old.id, old.search_text, old.status); END")
    op.execute("CREATE TRIGGER leads_fts_au AFTER UPDATE OF search_text, status ON leads BEGIN "
               "INSERT INTO leads_fts(leads_fts, rowid, search_text, status) "
               "VALUES ('delete', old.id, old.search_text, old.status); "
               "INSERT INTO leads_fts(rowid, search_text, status) "
               "VALUES (new.id, new.search_text, new.status); END")
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")
