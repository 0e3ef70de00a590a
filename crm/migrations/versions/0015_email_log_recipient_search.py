"""email log: the recipient search through an index

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 00:50:00

The email log's recipient search (any part of the address, any case) read every email: half a
second at 200,000 emails. SQLite gets an FTS5 trigram index of the recipients (an external
content table, kept current by triggers), which also gives the matches newest first;
PostgreSQL a pg_trgm GIN index, which serves the ILIKE as it is. The plain index of the
recipient served nothing (a search inside the address cannot use it) and goes.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TRIGGERS = ("outbox_fts_ai", "outbox_fts_ad", "outbox_fts_au")


def upgrade():
    op.drop_index('ix_outbox_emails_recipient', table_name='outbox_emails')
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE outbox_fts USING fts5(recipient, "
                   "content='outbox_emails', content_rowid='id', tokenize='trigram')")
        op.execute("CREATE TRIGGER outbox_fts_ai AFTER INSERT ON outbox_emails BEGIN "
                   "INSERT INTO outbox_fts(rowid, recipient) VALUES (new.id, new.recipient); END")
        op.execute("CREATE TRIGGER outbox_fts_ad AFTER DELETE ON outbox_emails BEGIN "
                   "INSERT INTO outbox_fts(outbox_fts, rowid, recipient) "
                   "VALUES ('delete', old.id, old.recipient); END")
        op.execute("CREATE TRIGGER outbox_fts_au AFTER UPDATE OF recipient ON outbox_emails "
                   "BEGIN INSERT INTO outbox_fts(outbox_fts, rowid, recipient) "
                   "VALUES ('delete', old.id, old.recipient); "
                   "INSERT INTO outbox_fts(rowid, recipient) VALUES (new.id, new.recipient); END")
        op.execute("INSERT INTO outbox_fts(outbox_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        op.execute("CREATE INDEX ix_outbox_emails_recipient_trgm ON outbox_emails "
                   "USING gin (recipient gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS outbox_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_outbox_emails_recipient_trgm")
    op.create_index('ix_outbox_emails_recipient', 'outbox_emails', ['recipient'])
