"""Read-side queries for the public article page: a fixed number, whatever the thread size."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.engine import Row

from crm.articles.models import Article, ArticleOldSlug, Comment, CommentStatus
from crm.core.database import is_row_id
from crm.core.types import utcnow

# Only what a public page may show: plain rows of these columns, so no template can reach
# an email or IP, and a 1,000-comment thread costs no ORM objects.
PUBLIC_COLUMNS = (
    Comment.id, Comment.parent_id, Comment.depth, Comment.author_name, Comment.author_url,
    Comment.body_html, Comment.created_at, Comment.staff_author_id, Comment.status,
)


def is_public():
    """The condition of an article the public may read: published, and its publication date
    reached (a later date schedules it)."""
    return and_(Article.published.is_(True), Article.published_at <= utcnow())


def public_articles(session) -> list[Article]:
    """The articles the public may read, newest first."""
    return session.scalars(
        select(Article).where(is_public()).order_by(Article.published_at.desc(), Article.id.desc())
    ).all()


def public_article(session, slug: str) -> Article | None:
    """The article at ``slug`` if the public may read it."""
    return session.scalar(select(Article).where(Article.slug == slug, is_public()))


def renamed_article_slug(session, old_slug: str) -> str | None:
    """The current slug of the public article that was at ``old_slug`` before, if any."""
    return session.scalar(
        select(Article.slug).join(ArticleOldSlug, ArticleOldSlug.article_id == Article.id)
        .where(ArticleOldSlug.slug == old_slug, is_public()))


@dataclass
class Thread:
    """Approved comments (and this browser's own awaiting ones) arranged as a tree."""

    roots: list[Row] = field(default_factory=list)
    children: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[int, Row] = field(default_factory=dict)
    approved_count: int = 0

    def replies(self, comment: Row) -> list[Row]:
        return self.children.get(comment.id, [])


def comment_thread(session, article: Article, mine: list[int]) -> Thread:
    """The approved comments as a tree (one query); with ``mine``, only this browser's own
    comments still awaiting moderation (one query) instead."""
    query = select(*PUBLIC_COLUMNS).where(Comment.article_id == article.id)
    if mine:
        query = query.where(Comment.id.in_(mine[-20:]),
                            Comment.status.in_((CommentStatus.PENDING, CommentStatus.SPAM)))
    else:
        query = query.where(Comment.status == CommentStatus.APPROVED)
    comments = list(session.execute(query.order_by(Comment.created_at, Comment.id)))
    thread = Thread(approved_count=0 if mine else len(comments))
    thread.by_id = {comment.id: comment for comment in comments}
    for comment in comments:
        if comment.parent_id in thread.by_id:
            thread.children[comment.parent_id].append(comment)
        else:
            thread.roots.append(comment)
    return thread


def approved_comment(session, article: Article, comment_id: int | None) -> Row | None:
    """The public columns of one approved comment of this article (for "Reply to …")."""
    if not is_row_id(comment_id):  # ?reply_to= or parent_id as the browser sent it
        return None
    return session.execute(select(*PUBLIC_COLUMNS).where(
        Comment.id == comment_id, Comment.article_id == article.id,
        Comment.status == CommentStatus.APPROVED)).first()
