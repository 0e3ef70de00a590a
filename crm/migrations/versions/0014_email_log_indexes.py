"""email log: status and template indexes in date order

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 00:30:00

The email log filtered by a status or a template walked every email newest first, testing
each: half a second at 200,000 emails for a status that none has. Each filter now reads its
emails from an index in date order; the template's replaces the template-only index (the
distinct templates of the filter read its first column just the same).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_outbox_emails_template', table_name='outbox_emails')
    op.create_index('ix_outbox_emails_template_created', 'outbox_emails',
                    ['template', 'created_at'])
    op.create_index('ix_outbox_emails_status_created', 'outbox_emails', ['status', 'created_at'])


def downgrade():
    op.drop_index('ix_outbox_emails_status_created', table_name='outbox_emails')
    op.drop_index('ix_outbox_emails_template_created', table_name='outbox_emails')
    op.create_index('ix_outbox_emails_template', 'outbox_emails', ['template'])
