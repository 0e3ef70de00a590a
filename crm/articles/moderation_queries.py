"""Read-only queries behind the moderation queue: tab counts, one page of rows, a history."""

from dataclasses import dataclass

from sqlalchemy import Row, Text, func, or_, select

from crm.articles.models import Article, Comment, CommentStatus
from crm.audit.models import AuditEvent
from crm.auth.models import User
from crm.core.paging import Page, contains_pattern, fetch_page, page_number

EXCERPT_CHARS = 200  # of a comment's body, in its row

# What a row of the queue shows; never the full body, its HTML or the user agent.
LIST_COLUMNS = (
    Comment.id, Comment.created_at, Comment.status, Comment.author_name, Comment.author_email,
    Comment.author_url, Comment.ip, Comment.spam_score, Comment.spam_reasons,
    Comment.article_id, Comment.parent_id, Comment.staff_author_id,
    Article.title.label("article_title"), Article.slug.label("article_slug"),
)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's tab and filters; ``None`` means any."""

    status: CommentStatus = CommentStatus.PENDING
    search: str | None = None
    article_id: int | None = None

    def as_args(self) -> dict[str, str | int]:
        """The filters as query-string arguments, so paging links and redirects keep them."""
        args = {"status": self.status.value, "q": self.search, "article": self.article_id}
        return {name: value for name, value in args.items() if value}


def status_counts(session) -> dict[CommentStatus, int]:
    """How many comments each tab holds, in one grouped query."""
    rows = session.execute(
        select(Comment.status, func.count(Comment.id)).group_by(Comment.status)
    ).all()
    counts = dict.fromkeys(CommentStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def comment_page(session, *, filters: QueueFilters, page: int = 1) -> Page:
    """One page of the queue, newest first, in one query.

    Rows hold only the listed columns (the body cut short in SQL). One row more than a page
    is fetched to tell whether another page follows, so there is no COUNT.
    """
    excerpt = func.substr(Comment.body, 1, EXCERPT_CHARS, type_=Text)
    query = (
        select(*LIST_COLUMNS, excerpt.label("excerpt"), func.length(Comment.body).label("length"))
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.status == filters.status)
    )
    if filters.article_id is not None:
        query = query.where(Comment.article_id == filters.article_id)
    if filters.search:
        pattern = contains_pattern(filters.search)
        query = query.where(or_(*(
            column.ilike(pattern, escape="\\")
            for column in (Comment.body, Comment.author_name, Comment.author_email, Comment.ip)
        )))
    query = query.order_by(Comment.created_at.desc(), Comment.id.desc())
    return fetch_page(session, query, page_number(page))


def article_choices(session) -> list[tuple[int, str]]:
    """(id, title) of every article that has comments, for the article filter."""
    has_comments = select(Comment.id).where(Comment.article_id == Article.id).exists()
    return [tuple(row) for row in session.execute(
        select(Article.id, Article.title).where(has_comments).order_by(Article.title, Article.id)
    )]


def comment_history(session, comment_id: int) -> list[Row]:
    """The audit trail of one comment with each actor's name, newest first."""
    return session.execute(
        select(AuditEvent.action, AuditEvent.created_at, AuditEvent.detail,
               User.name.label("actor_name"))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == Comment.__tablename__,
               AuditEvent.object_id == comment_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
