"""lead overview and list: partial indexes for the counts, the breaches, the unassigned queue

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 23:00:00

The overview counted leads per status and per week by reading every lead's row (merged_into_id
is not in the indexes), and sorted every unanswered lead to show the newest breaches. The date
and (status, date) indexes now hold unmerged leads only (every list leaves merged ones out), so
they answer both counts alone; the unanswered leads indexed by
creation give the breaches in order. The unassigned queue gets its own index in creation
order: walking every lead's date to find a few unassigned ones read the whole table.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _where(condition):
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    op.drop_index('ix_leads_created', table_name='leads')
    op.drop_index('ix_leads_status_created', table_name='leads')
    op.drop_index('ix_leads_unanswered', table_name='leads')
    op.create_index('ix_leads_live_created', 'leads', ['created_at'],
                    **_where('merged_into_id IS NULL'))
    op.create_index('ix_leads_live_status', 'leads', ['status', 'created_at'],
                    **_where('merged_into_id IS NULL'))
    op.create_index('ix_leads_unanswered', 'leads', ['created_at'],
                    **_where('first_responded_at IS NULL'))
    op.create_index('ix_leads_unassigned', 'leads', ['created_at'],
                    **_where('owner_id IS NULL AND merged_into_id IS NULL'))


def downgrade():
    op.drop_index('ix_leads_unassigned', table_name='leads')
    op.drop_index('ix_leads_unanswered', table_name='leads')
    op.drop_index('ix_leads_live_status', table_name='leads')
    op.drop_index('ix_leads_live_created', table_name='leads')
    op.create_index('ix_leads_unanswered', 'leads', ['first_response_due_at'],
                    **_where('first_responded_at IS NULL'))
    op.create_index('ix_leads_status_created', 'leads', ['status', 'created_at'])
    op.create_index('ix_leads_created', 'leads', ['created_at'])
