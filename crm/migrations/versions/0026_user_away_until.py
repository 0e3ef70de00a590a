"""users: away until a date, when no new lead is routed to them

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28 11:00:00

A salesperson on leave sets the last day they are away (or an admin does); until that day has
passed, the territory rule and the round-robin pass them by. Their leads stay theirs.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('away_until', sa.Date(), nullable=True))


def downgrade():
    op.execute('ALTER TABLE users DROP COLUMN away_until')
