"""email log: each email names what it is about

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 00:40:00

The log said "leads #5" and "comments #4". An email now keeps, from when it was queued, the
name of what it is about (the lead's reference, the quote's number, the comment's author, the
user's name), so the list shows it without reading the other tables. Filled here for the emails
already queued.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# What each kind of related row is called, in SQL both databases run.
NAMES = {
    'leads': "SELECT reference FROM leads WHERE leads.id = outbox_emails.related_id",
    'quotes': "SELECT 'Quote ' || number || CASE WHEN revision = 1 THEN '' "
              "ELSE ' rev. ' || CAST(revision AS VARCHAR(10)) END "
              "FROM quotes WHERE quotes.id = outbox_emails.related_id",
    'comments': "SELECT substr('Comment by ' || author_name, 1, 120) "
                "FROM comments WHERE comments.id = outbox_emails.related_id",
    'users': "SELECT name FROM users WHERE users.id = outbox_emails.related_id",
}


def upgrade():
    # Plain ALTER TABLE on both databases: a batch copy would drop SQLite's search triggers.
    op.add_column('outbox_emails', sa.Column('related_label', sa.String(length=120),
                                             nullable=True))
    for related_type, name in NAMES.items():
        op.execute(sa.text(f"UPDATE outbox_emails SET related_label = ({name}) "
                           "WHERE related_type = :related_type").bindparams(
                               related_type=related_type))


def downgrade():
    op.execute('ALTER TABLE outbox_emails DROP COLUMN related_label')
