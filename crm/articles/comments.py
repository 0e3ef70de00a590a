"""The comment pipeline: capture → screen → record → notify. Plain functions on the session."""

import hashlib
import unicodedata
from datetime import timedelta

from sqlalchemy import select

from crm.articles.models import Article, Comment, CommentStatus, ModerationSettings
from crm.articles.rendering import clean_text, render_comment
from crm.articles.screening import Submission, screen
from crm.articles.thread_cache import invalidate
from crm.auth.models import Role, User
from crm.core.database import is_row_id
from crm.core.text import one_line
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.notifications import notify

MAX_DEPTH = 2  # three levels: a comment, a reply, a reply to the reply
DUPLICATE_WINDOW = timedelta(hours=24)
REPLY_STREAM = "comment-replies"


class CommentRejected(ValueError):
    """The comment cannot be accepted; the message is for the person who wrote it."""


def body_fingerprint(body: str) -> str:
    """The same words with other spacing or case count as the same comment."""
    normalised = " ".join(unicodedata.normalize("NFKC", body).casefold().split())
    return hashlib.sha256(normalised.encode()).hexdigest()


def moderation_settings(session) -> ModerationSettings:
    """The single settings row, created with the defaults on first use."""
    settings = session.scalar(select(ModerationSettings).order_by(ModerationSettings.id))
    if settings is None:
        settings = ModerationSettings(moderation_words=[], block_words=[], blocked_emails=[],
                                      blocked_ips=[])
        session.add(settings)
        session.flush()
    return settings


def find_by_submission_key(session, key: str) -> Comment | None:
    return session.scalar(select(Comment).where(Comment.submission_key == key))


def thread_anchor(answered: Comment) -> Comment:
    """The comment a reply to ``answered`` hangs under: ``answered`` itself, or past the
    deepest level its parent (the reply becomes its sibling)."""
    if answered.depth >= MAX_DEPTH and answered.parent is not None:
        return answered.parent
    return answered


def _answered(session, article: Article, parent_id: int | None) -> Comment | None:
    """The approved comment of this article that a reader replies to."""
    if not parent_id:
        return None
    parent = session.get(Comment, parent_id) if is_row_id(parent_id) else None
    if parent is None or parent.article_id != article.id or parent.status != CommentStatus.APPROVED:
        raise CommentRejected("The comment you are replying to is not available.")
    return parent


def post_comment(
    session, *, article: Article, author_name: str, author_email: str, author_url: str | None,
    body: str, parent_id: int | None, notify_replies: bool, submission_key: str,
    seconds_to_fill: float, honeypot: str, ip: str | None, user_agent: str | None,
    min_fill_seconds: float,
) -> Comment:
    """Screen and store a reader's comment, and queue the emails it causes.

    A resent form (same ``submission_key``) returns the comment it created the first time.
    Raises CommentRejected for comments that cannot be taken (closed, duplicate...).
    """
    existing = find_by_submission_key(session, submission_key)
    if existing is not None:
        return existing
    if not (article.published and article.comments_open):
        raise CommentRejected("Comments are closed on this article.")
    author_email = author_email.strip().lower()
    author_name, body = clean_text(author_name), clean_text(body)
    if not author_name or not body:
        raise CommentRejected("Write your name and your comment.")
    fingerprint = body_fingerprint(body)
    duplicate = session.scalar(select(Comment.id).where(
        Comment.author_email == author_email, Comment.body_hash == fingerprint,
        Comment.created_at > utcnow() - DUPLICATE_WINDOW,
    ).limit(1))
    if duplicate is not None:
        raise CommentRejected("You have already posted this comment.")
    answered = _answered(session, article, parent_id)
    parent = thread_anchor(answered) if answered else None
    known = session.scalar(select(Comment.id).where(
        Comment.author_email == author_email, Comment.status == CommentStatus.APPROVED,
    ).limit(1)) is not None
    submission = Submission(
        author_name=author_name, author_email=author_email,
        author_url=clean_text(author_url), body=body, ip=ip, honeypot=honeypot,
        seconds_to_fill=seconds_to_fill, known_author=known,
    )
    verdict = screen(submission, moderation_settings(session), min_fill_seconds)
    comment = Comment(
        article=article, parent=parent, depth=(parent.depth + 1) if parent else 0,
        reply_to=answered if answered is not parent else None,
        author_name=submission.author_name, author_email=author_email,
        author_url=submission.author_url or None, body=body, body_html=render_comment(body),
        body_hash=fingerprint, status=verdict.status, spam_score=verdict.score,
        spam_reasons=verdict.reasons, ip=ip, user_agent=one_line(user_agent, 300) or None,
        notify_replies=notify_replies, submission_key=submission_key,
    )
    session.add(comment)
    session.flush()
    if comment.status is CommentStatus.PENDING:
        _alert_moderators(session, comment)
    elif comment.status is CommentStatus.APPROVED:
        invalidate(session, article.id)
        notify_parent_author(session, comment)
    return comment


def _alert_moderators(session, comment: Comment) -> None:
    """One email per held comment to each active moderator (admins when there are none)."""
    query = select(User).where(User.active.is_(True))
    moderators = session.scalars(query.where(User.role == Role.MODERATOR)).all()
    if not moderators:
        moderators = session.scalars(query.where(User.role == Role.ADMIN)).all()
    for moderator in moderators:
        notify(session, template="comment_held", to=moderator.email,
               key=f"comment-held:{comment.id}:{moderator.id}", related=comment,
               context={"comment": comment, "moderator": moderator,
                        "queue_url": external_url(f"/dashboard/moderation/{comment.id}")})


def notify_parent_author(session, reply: Comment) -> None:
    """Tell the author of the comment answered (the parent, unless the reply hangs beside it)
    about an approved reply, if they asked to be told."""
    parent = reply.reply_to or reply.parent
    if parent is None or not parent.notify_replies or parent.status != CommentStatus.APPROVED:
        return
    if parent.author_email == reply.author_email:
        return
    notify(session, template="comment_reply", to=parent.author_email,
           key=f"comment-reply:{reply.id}", related=reply, stream=REPLY_STREAM,
           context={"reply": reply, "parent": parent,
                    "url": external_url(f"/articles/{reply.article.slug}#comment-{reply.id}")})
