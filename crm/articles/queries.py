"""Read-side queries for the public article page: a fixed number, whatever the thread size."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import load_only

from crm.articles.models import Article, Comment, CommentStatus

# Only what a public page may show. Any other column (email, IP...) raises if touched.
PUBLIC_COLUMNS = load_only(
    Comment.id, Comment.parent_id, Comment.depth, Comment.author_name, Comment.author_url,
    Comment.body_html, Comment.created_at, Comment.staff_author_id, Comment.status,
    raiseload=True,
)


@dataclass
class Thread:
    """Approved comments (and this browser's own awaiting ones) arranged as a tree."""

    roots: list[Comment] = field(default_factory=list)
    children: dict[int, list[Comment]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[int, Comment] = field(default_factory=dict)
    approved_count: int = 0

    def replies(self, comment: Comment) -> list[Comment]:
        return self.children.get(comment.id, [])

    def find(self, comment_id: int | None) -> Comment | None:
        comment = self.by_id.get(comment_id) if comment_id else None
        return comment if comment is not None and comment.status is CommentStatus.APPROVED else None


def comment_thread(session, article: Article, mine: list[int]) -> Thread:
    """One query for the approved comments, one for this browser's awaiting ones."""
    query = select(Comment).options(PUBLIC_COLUMNS).where(Comment.article_id == article.id)
    comments = list(session.scalars(
        query.where(Comment.status == CommentStatus.APPROVED).order_by(Comment.created_at,
                                                                       Comment.id)
    ))
    thread = Thread(approved_count=len(comments))
    if mine:
        comments += session.scalars(query.where(
            Comment.id.in_(mine[-20:]),
            Comment.status.in_((CommentStatus.PENDING, CommentStatus.SPAM)),
        ).order_by(Comment.created_at))
    thread.by_id = {comment.id: comment for comment in comments}
    for comment in comments:
        if comment.parent_id in thread.by_id:
            thread.children[comment.parent_id].append(comment)
        else:
            thread.roots.append(comment)
    return thread
