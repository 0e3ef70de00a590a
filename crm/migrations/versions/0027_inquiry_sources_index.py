"""inquiries: an index of their dates, spam scores and source pages

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-28 11:30:00

The overview counts the requests of the last 30 days by the page people were reading when they
asked; this index holds all it reads, so it walks one stretch of it and no inquiry.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_inquiries_sources', 'inquiries',
                    ['created_at', 'spam_score', 'source_page'])


def downgrade():
    op.drop_index('ix_inquiries_sources', table_name='inquiries')
