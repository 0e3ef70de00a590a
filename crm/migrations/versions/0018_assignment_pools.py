"""assignment: a round-robin turn per pool of salespeople

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28 01:00:00

One turn counter served every pool (all sales users, or one country's territory owners):
with German and French requests alternating, the German leads all went to one of two German
salespeople. Each pool now has its own row; the existing one is the pool of everyone.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment_cursor') as batch_op:
        batch_op.add_column(sa.Column('pool', sa.String(length=40), nullable=False,
                                      server_default='all'))
        batch_op.create_unique_constraint(batch_op.f('uq_assignment_cursor_pool'), ['pool'])
    with op.batch_alter_table('assignment_cursor') as batch_op:
        batch_op.alter_column('pool', server_default=None)


def downgrade():
    op.execute("DELETE FROM assignment_cursor WHERE pool != 'all'")
    with op.batch_alter_table('assignment_cursor') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_assignment_cursor_pool'), type_='unique')
        batch_op.drop_column('pool')
