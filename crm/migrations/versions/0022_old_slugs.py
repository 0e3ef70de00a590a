"""articles and ingredients: the slugs they had before, which redirect to them

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 03:40:00

Changing an article's or an ingredient's slug broke every link to the old address: reply
emails, other sites, bookmarks, spec-sheet PDFs already sent to customers. Each table keeps
the slugs its rows gave up, and the public page at an old slug redirects to the current one.
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


def downgrade():
    for table, column, _ in reversed(_TABLES):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
        op.drop_table(table)
