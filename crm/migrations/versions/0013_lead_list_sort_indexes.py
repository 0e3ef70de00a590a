"""lead list: indexes for its orders by score and by quantity

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 00:10:00

Sorted by score or kilograms, the list sorted every open lead to show fifty (40 ms at 100,000
leads). Each order gets a partial index of the unmerged leads, which a planner with statistics
walks until the page is full. (The order by company is on lower(name): SQLite's reflection
skips expression indexes, so the models could not be checked against the migrations.)
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

LIVE = sa.text('merged_into_id IS NULL')
INDEXES = {
    'ix_leads_live_score': ['score'],
    'ix_leads_live_kg': ['total_kg'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'leads', columns, sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='leads')
