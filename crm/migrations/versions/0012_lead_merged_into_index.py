"""lead page: an index of the leads merged into another

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 23:50:00

A lead's page gathers the emails of every lead merged into it, following merged_into_id down
the tree. No index held that column, so SQLite built one for the statement by reading every
lead (25 ms at 100,000 leads) and PostgreSQL scanned them. Only merged leads are indexed.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MERGED = sa.text('merged_into_id IS NOT NULL')


def upgrade():
    op.create_index('ix_leads_merged_into', 'leads', ['merged_into_id'],
                    sqlite_where=MERGED, postgresql_where=MERGED)


def downgrade():
    op.drop_index('ix_leads_merged_into', table_name='leads')
