"""quotes: a version column, so that two changes of one quote at once cannot both land

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28 03:30:00

A draft saved while it was being sent got its lines changed after the customer's email went
out; an acceptance and a refusal of the same quote both counted. The quote row now carries a
version (SQLAlchemy's version_id_col), as the lead does; existing quotes start at 1.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quotes') as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
    with op.batch_alter_table('quotes') as batch_op:
        batch_op.alter_column('version', server_default=None)


def downgrade():
    with op.batch_alter_table('quotes') as batch_op:
        batch_op.drop_column('version')
