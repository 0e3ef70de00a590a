"""quotes list: the declined quotes walked in the order of their refusal

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 04:10:00

The Declined view sorted every declined quote by its refusal time (8 ms at 100,000 leads), and,
now that it leaves out the quotes whose revision went out, looked each one's revisions up
first (12 ms). Walking this index in that order, it stops once its page is full.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_quotes_status_declined', 'quotes', ['status', 'declined_at'])


def downgrade():
    op.drop_index('ix_quotes_status_declined', table_name='quotes')
