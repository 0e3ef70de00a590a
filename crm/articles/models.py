"""Articles published by the supplier."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.privacy import is_erased_address
from crm.core.types import StrEnum, utcnow
from crm.extensions import db


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_published", "published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once, when saved: reads never pay for Markdown.
    body_html: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    comments_open: Mapped[bool] = mapped_column(default=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by each save that changes something; the edit form carries it, so a save made
    # over someone else's newer one is refused, not silently undoing it.
    version: Mapped[int] = mapped_column(default=1)

    author = relationship("User")

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def is_scheduled(self) -> bool:
        """Published with a date still to come: the public sees it from that moment."""
        return bool(self.published and self.published_at and self.published_at > utcnow())

    @property
    def is_public(self) -> bool:
        """What ``crm.articles.queries.public_articles`` selects, for one article."""
        return bool(self.published and self.published_at and not self.is_scheduled)

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"


class ArticleOldSlug(db.Model):
    """An address an article had before its slug changed: ``/articles/<slug>`` redirects to
    the article's current one. A slug is live on one article or old for one, never both."""

    __tablename__ = "article_old_slugs"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Comment(db.Model):
    """A reader's comment. Its body is plain text, rendered to HTML once, when saved."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_article_status", "article_id", "status", "created_at"),
        Index("ix_comments_status_created", "status", "created_at"),
        Index("ix_comments_email_body", "author_email", "body_hash", "created_at"),
        Index("ix_comments_ip_created", "ip", "created_at"),
        # Comments are deleted for ever; without AUTOINCREMENT SQLite hands the newest one's
        # id to the next comment, which then inherits what named the old one (a browser's
        # "my comments", email keys, the audit history). PostgreSQL's sequence never reuses.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int] = mapped_column(default=0)
    # The comment the reader answered, when the reply hangs elsewhere (beside it, under its
    # parent, past the deepest level): its author is the one told of the reply.
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str] = mapped_column(String(254))  # never shown publicly
    author_url: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[CommentStatus] = mapped_column(StrEnum(CommentStatus))
    spam_score: Mapped[int] = mapped_column(default=0)
    spam_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    ip: Mapped[str | None] = mapped_column(String(45))  # staff only
    user_agent: Mapped[str | None] = mapped_column(String(300))  # staff only
    notify_replies: Mapped[bool] = mapped_column(default=False)
    # Staff replies: the user who wrote it, shown publicly as staff.
    staff_author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The one-time key issued with the form: a resent form finds its comment instead.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    article: Mapped[Article] = relationship()
    parent: Mapped["Comment | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])
    reply_to: Mapped["Comment | None"] = relationship(remote_side=[id],
                                                      foreign_keys=[reply_to_id])
    staff_author = relationship("User", foreign_keys=[staff_author_id])
    moderated_by = relationship("User", foreign_keys=[moderated_by_id])

    @property
    def is_staff(self) -> bool:
        return self.staff_author_id is not None

    @property
    def author_erased(self) -> bool:
        """Whether the author's personal data was erased at their request."""
        return is_erased_address(self.author_email)

    @property
    def log_label(self) -> str:
        """What the email log calls the comment."""
        return f"Comment by {self.author_name}"

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.status.value}>"


class ModerationSettings(db.Model):
    """The rules admins can change on the settings page (a single row)."""

    __tablename__ = "moderation_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    max_links: Mapped[int] = mapped_column(default=2)
    moderation_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    block_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    blocked_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    blocked_ips: Mapped[list[str]] = mapped_column(JSON, default=list)
    auto_approve_known_authors: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ThreadCache(db.Model):
    """An article's approved comments, rendered once and kept until one of them changes.

    Operations that change what the public sees clear ``html`` and bump ``generation``; the
    next page view renders the thread again and stores it, unless the generation moved while
    it rendered. Only public columns ever reach this HTML.
    """

    __tablename__ = "thread_cache"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    html: Mapped[str | None] = mapped_column(Text)  # None: changed, to be rendered again
    approved_count: Mapped[int]
    generation: Mapped[int] = mapped_column(default=0)
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)
