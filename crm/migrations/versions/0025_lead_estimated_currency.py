"""leads: the currency of the estimated value, and an index to sum the open leads' values

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28 08:00:00

The estimated value (a column since 0004, unused until now) is set by sales or taken from the
quote sent, in that quote's currency. The overview sums it per currency over the open leads:
a partial index of the valued leads serves that sum from the index alone.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

VALUED = "estimated_value IS NOT NULL AND merged_into_id IS NULL"


def upgrade():
    # Plain ALTER TABLE on both databases: a batch copy would drop SQLite's search triggers.
    op.add_column('leads', sa.Column('estimated_currency', sa.String(length=3), nullable=True))
    op.create_index('ix_leads_valued', 'leads',
                    ['estimated_currency', 'status', 'estimated_value'],
                    sqlite_where=sa.text(VALUED), postgresql_where=sa.text(VALUED))


def downgrade():
    op.drop_index('ix_leads_valued', table_name='leads')
    op.execute('ALTER TABLE leads DROP COLUMN estimated_currency')
