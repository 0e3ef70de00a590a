"""leads: the currency of the estimated value, and an index to sum it per status

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28 08:00:00

The estimated value (a column since 0004, unused until now) is set by sales or taken from the
quote sent, in that quote's currency. The overview counts the leads per status and sums the
open leads' values per currency in one walk of an index of the unmerged leads that holds both.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

UNMERGED = sa.text("merged_into_id IS NULL")


def upgrade():
    # Plain ALTER TABLE on both databases: a batch copy would drop SQLite's search triggers.
    op.add_column('leads', sa.Column('estimated_currency', sa.String(length=3), nullable=True))
    op.create_index('ix_leads_live_value', 'leads',
                    ['status', 'estimated_currency', 'estimated_value'],
                    sqlite_where=UNMERGED, postgresql_where=UNMERGED)


def downgrade():
    op.drop_index('ix_leads_live_value', table_name='leads')
    op.execute('ALTER TABLE leads DROP COLUMN estimated_currency')
