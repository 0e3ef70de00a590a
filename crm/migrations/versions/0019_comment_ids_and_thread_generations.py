"""comments: ids never reused on SQLite, a reply says whom it answers; thread generations

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 12:00:00

A comment deleted for ever gave its id to the next comment on SQLite (a table without
AUTOINCREMENT takes the highest id plus one), and the new comment inherited what named the
old one: the deleter's browser listed it as its own held comment, its moderator alert was
taken for the old one's (same idempotency key) and never queued, and the old audit history
showed on it. The table is rebuilt with AUTOINCREMENT (and the new column below).
PostgreSQL's sequence never reuses an id: there the column is only added.

The rebuild copies the rows out to a table without foreign keys first: dropping ``comments``
runs an implicit DELETE whose ON DELETE SET NULL would clear the parent of every reply in a
copy that still referred to ``comments`` (Alembic's batch mode makes such a copy).

``comments.reply_to_id`` names the comment a reply answers when it hangs elsewhere (beside
it, past the deepest level): the reply email went to the author of the comment it hangs under.

``thread_cache`` gets a generation, and an HTML that may be empty: an invalidation clears the
HTML and bumps the generation instead of deleting the row, so that a page view that read the
thread before a moderation and stores its rendering after it stores nothing (it kept the old
thread, spam and all, until the next change).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

COLUMNS = ('id, article_id, parent_id, depth, author_name, author_email, author_url, body, '
           'body_html, body_hash, status, spam_score, spam_reasons, ip, user_agent, '
           'notify_replies, staff_author_id, submission_key, created_at, edited_at, '
           'moderated_at, moderated_by_id')


def _reply_to_column():
    return sa.Column('reply_to_id', sa.Integer(), nullable=True)


def _create_comments(autoincrement: bool):
    """The table as before 0019 (``autoincrement=False``) or after it."""
    after = autoincrement
    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('depth', sa.Integer(), nullable=False),
    *([_reply_to_column()] if after else []),
    sa.Column('author_name', sa.String(length=100), nullable=False),
    sa.Column('author_email', sa.String(length=254), nullable=False),
    sa.Column('author_url', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'spam', 'trash', name='commentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('spam_score', sa.Integer(), nullable=False),
    sa.Column('spam_reasons', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('notify_replies', sa.Boolean(), nullable=False),
    sa.Column('staff_author_id', sa.Integer(), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_comments_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_comments_moderated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], name=op.f('fk_comments_parent_id_comments'), ondelete='SET NULL'),
    *([sa.ForeignKeyConstraint(['reply_to_id'], ['comments.id'], name=op.f('fk_comments_reply_to_id_comments'), ondelete='SET NULL')] if after else []),
    sa.ForeignKeyConstraint(['staff_author_id'], ['users.id'], name=op.f('fk_comments_staff_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_comments_submission_key')),
    sqlite_autoincrement=autoincrement,
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_article_status', ['article_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_email_body', ['author_email', 'body_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_ip_created', ['ip', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_comments_status_created', ['status', 'created_at'], unique=False)
        if after:
            batch_op.create_index(batch_op.f('ix_comments_reply_to_id'), ['reply_to_id'], unique=False)


def _rebuild_comments(autoincrement: bool):
    """SQLite: the table rebuilt as after 0019 (``autoincrement``) or before it, rows kept."""
    op.execute('CREATE TABLE _comments_copy AS SELECT * FROM comments')
    op.drop_table('comments')  # and its indexes
    _create_comments(autoincrement)
    # In id order, so that every parent is in before its replies.
    op.execute(f'INSERT INTO comments ({COLUMNS}) '
               f'SELECT {COLUMNS} FROM _comments_copy ORDER BY id')
    op.drop_table('_comments_copy')


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_comments(autoincrement=True)
    else:
        with op.batch_alter_table('comments', schema=None) as batch_op:
            batch_op.add_column(_reply_to_column())
            batch_op.create_foreign_key(batch_op.f('fk_comments_reply_to_id_comments'), 'comments', ['reply_to_id'], ['id'], ondelete='SET NULL')
            batch_op.create_index(batch_op.f('ix_comments_reply_to_id'), ['reply_to_id'], unique=False)
    with op.batch_alter_table('thread_cache', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generation', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.alter_column('html', existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table('thread_cache', schema=None) as batch_op:
        batch_op.alter_column('generation', server_default=None)


def downgrade():
    op.execute('DELETE FROM thread_cache WHERE html IS NULL')  # marks of a change: re-rendered
    with op.batch_alter_table('thread_cache', schema=None) as batch_op:
        batch_op.alter_column('html', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('generation')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_comments(autoincrement=False)
    else:
        with op.batch_alter_table('comments', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_comments_reply_to_id'))
            batch_op.drop_constraint(batch_op.f('fk_comments_reply_to_id_comments'), type_='foreignkey')
            batch_op.drop_column('reply_to_id')
