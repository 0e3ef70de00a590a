"""articles and ingredients: the slugs they had before, which redirect to them; versions

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 03:40:00

Changing an article's or an ingredient's slug broke every link to the old address: reply
emails, other sites, bookmarks, spec-sheet PDFs already sent to customers. Each table keeps
the slugs its rows gave up, and the public page at an old slug redirects to the current one.

Two admins editing the same article or ingredient: the second save silently undid the first.
Each row gets a version, which the edit form carries; a save over a newer one is refused.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_TABLES = (('article_old_slugs', 'article_id', 'articles'),
           ('ingredient_old_slugs', 'ingredient_id', 'ingredients'))


def upgrade():
    for table, column, parent in _TABLES:
        op.create_table(
            table,
            sa.Column('slug', sa.String(length=120), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint([column], [f'{parent}.id'],
                                    name=op.f(f'fk_{table}_{column}_{parent}'),
                                    ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('slug', name=op.f(f'pk_{table}')),
        )
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)
    # ALTER TABLE, never batch mode's copy-and-drop: on SQLite dropping ``articles`` would
    # delete every comment (ON DELETE CASCADE), and ``ingredients`` is referenced by leads'
    # lines and quotes. SQLite keeps the constant default, which the models never rely on.
    for _, _, parent in _TABLES:
        op.add_column(parent, sa.Column('version', sa.Integer(), nullable=False,
                                        server_default='1'))
        if op.get_bind().dialect.name != 'sqlite':
            op.alter_column(parent, 'version', server_default=None)


def downgrade():
    for _, _, parent in _TABLES:
        op.execute(f'ALTER TABLE {parent} DROP COLUMN version')  # SQLite 3.35 and later
    for table, column, _ in reversed(_TABLES):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
        op.drop_table(table)
