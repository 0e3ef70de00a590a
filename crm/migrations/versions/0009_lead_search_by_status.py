"""lead search by status

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 17:59:00

On PostgreSQL the trigram index of the lead search also holds the status (a multicolumn GIN
index, which needs btree_gin for the status column), so a search within a status is one index
scan instead of a walk of every lead of that status. GIN serves any subset of its columns, so
searches over every status use it too. SQLite's FTS5 table is left as it is.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public")
    op.execute("CREATE INDEX ix_leads_search_status_trgm ON leads "
               "USING gin (status, search_text gin_trgm_ops)")
    op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_leads_search_trgm ON leads USING gin (search_text gin_trgm_ops)")
    op.execute("DROP INDEX IF EXISTS ix_leads_search_status_trgm")
