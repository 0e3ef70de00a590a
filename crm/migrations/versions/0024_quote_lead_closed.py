"""quotes: whether their lead is lost or spam, so that they no longer await an answer

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28 05:30:00

A lost or spam lead's quotes cannot be answered, yet the quotes list and the overview's card
counted them as awaiting an answer: leaving them out by joining each quote to its lead took the
card from 5 to 20 ms at 100,000 leads. The quote now carries the fact, kept in step with its
lead's status, at the end of the index the card and the list read.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

quotes = sa.table('quotes', sa.column('lead_id', sa.Integer), sa.column('lead_closed', sa.Boolean))
leads = sa.table('leads', sa.column('id', sa.Integer), sa.column('status', sa.String))


def upgrade():
    with op.batch_alter_table('quotes') as batch:
        batch.add_column(sa.Column('lead_closed', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.execute(quotes.update().where(quotes.c.lead_id.in_(
        sa.select(leads.c.id).where(leads.c.status.in_(('lost', 'spam')))))
        .values(lead_closed=True))
    op.drop_index('ix_quotes_status_valid_total', table_name='quotes')
    op.create_index('ix_quotes_status_valid_total', 'quotes',
                    ['status', 'valid_until', 'currency', 'total', 'lead_closed'])


def downgrade():
    op.drop_index('ix_quotes_status_valid_total', table_name='quotes')
    op.create_index('ix_quotes_status_valid_total', 'quotes',
                    ['status', 'valid_until', 'currency', 'total'])
    with op.batch_alter_table('quotes') as batch:
        batch.drop_column('lead_closed')
