"""Moderators' actions on comments: the comment state machine and its audit trail."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update

from crm.articles.comments import (
    body_fingerprint,
    moderation_settings,
    notify_parent_author,
    thread_anchor,
)
from crm.articles.models import Article, Comment, CommentStatus
from crm.articles.rendering import clean_text, render_comment
from crm.articles.thread_cache import invalidate
from crm.audit.operations import record_event
from crm.core.database import is_row_id
from crm.core.privacy import erased_address, scrubber
from crm.core.types import utcnow
from crm.notifications.operations import emails_to, erase_from_emails

P, A, S, T = (CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM,
              CommentStatus.TRASH)

# action: (the states it may start from, the state it leads to)
ACTIONS = {
    "approve": ({P}, A),
    "unapprove": ({A}, P),
    "spam": ({P, A}, S),
    "not_spam": ({S}, A),
    "trash": ({P, A, S}, T),
    "restore": ({T}, P),
}
ACTION_LABELS = {
    "approve": "Approve", "unapprove": "Unapprove", "spam": "Spam", "not_spam": "Not spam",
    "trash": "Trash", "restore": "Restore", "delete": "Delete forever",
}


class ModerationError(ValueError):
    """An action that the comment's state does not allow; the message is for the moderator."""


def allowed_actions(comment: Comment) -> list[str]:
    actions = [name for name, (sources, _) in ACTIONS.items() if comment.status in sources]
    return actions + (["delete"] if comment.status is T else [])


def moderate(session, *, comment: Comment, action: str, actor) -> None:
    """Apply one action, or raise ModerationError when the comment's state forbids it."""
    if action == "delete":
        delete_comment(session, comment=comment, actor=actor)
        return
    if action not in ACTIONS:
        raise ModerationError(f"Unknown action {action!r}.")
    sources, target = ACTIONS[action]
    if comment.status not in sources:
        raise ModerationError(
            f"A {comment.status.value} comment cannot be given “{ACTION_LABELS[action]}”.")
    before = comment.status
    comment.status = target
    comment.moderated_at = utcnow()
    comment.moderated_by_id = actor.id
    record_event(session, actor=actor, action=f"comment.{action}", obj=comment,
                 before=before.value, after=target.value)
    if A in (before, target):
        invalidate(session, comment.article_id)
    if target is A:
        notify_parent_author(session, comment)


def moderate_many(session, *, ids: Iterable[int], action: str, actor) -> tuple[int, int]:
    """Apply an action to each listed comment it suits: (changed, skipped)."""
    ids = set(ids)
    comments = session.scalars(select(Comment).where(
        Comment.id.in_([i for i in ids if is_row_id(i)]))).all()
    changed, skipped = 0, len(ids) - len(comments)  # ids of no comment (any more) count as skipped
    for comment in comments:
        try:
            moderate(session, comment=comment, action=action, actor=actor)
        except ModerationError:
            skipped += 1
        else:
            changed += 1
    return changed, skipped


def delete_comment(session, *, comment: Comment, actor) -> None:
    """Delete for ever, from the trash only; replies move up to top level."""
    if comment.status is not T:
        raise ModerationError("Only a comment in the trash can be deleted for ever.")
    record_event(session, actor=actor, action="comment.deleted", obj=comment,
                 author_name=comment.author_name, excerpt=comment.body[:200])
    _delete_for_ever(session, comment)


def purge_comments(session, *, before: datetime) -> int:
    """Delete the spam and trashed comments last moderated (or, never moderated, sent) before
    ``before``, as "Delete forever" does: ``flask crm purge-spam``, daily from cron. Returns
    how many went."""
    old = session.scalars(select(Comment).where(
        Comment.status.in_((S, T)),
        func.coalesce(Comment.moderated_at, Comment.created_at) < before,
    ).order_by(Comment.id)).all()
    for comment in old:
        _delete_for_ever(session, comment)
    if old:
        record_event(session, actor=None, action="comments.purged", object_type="comments",
                     comments=len(old))
    return len(old)


def _delete_for_ever(session, comment: Comment) -> None:
    invalidate(session, comment.article_id)
    # Replies move up one level (at most two levels hang below a comment).
    children = select(Comment.id).where(Comment.parent_id == comment.id).scalar_subquery()
    session.execute(update(Comment).where(Comment.parent_id.in_(children))
                    .values(depth=Comment.depth - 1).execution_options(synchronize_session=False))
    session.execute(update(Comment).where(Comment.parent_id == comment.id)
                    .values(parent_id=None, depth=0).execution_options(synchronize_session=False))
    session.delete(comment)


def edit_comment(session, *, comment: Comment, author_name: str, author_url: str | None,
                 body: str, actor) -> None:
    """Correct a comment; its HTML is rendered again, once, here."""
    comment.author_name = clean_text(author_name)
    comment.author_url = clean_text(author_url) or None
    comment.body = clean_text(body)
    comment.body_html = render_comment(comment.body)
    comment.body_hash = body_fingerprint(comment.body)
    comment.edited_at = utcnow()
    invalidate(session, comment.article_id)
    record_event(session, actor=actor, action="comment.edited", obj=comment)


def reply_as_staff(session, *, parent: Comment, body: str, actor) -> Comment:
    """A staff reply, published at once and marked as staff."""
    if parent.status not in (P, A):
        raise ModerationError("Replies can be made only to pending or approved comments.")
    body = clean_text(body)
    if not body:
        raise ModerationError("Write your reply.")
    anchor = thread_anchor(parent)
    reply = Comment(
        article_id=parent.article_id, parent=anchor, depth=anchor.depth + 1,
        reply_to=parent if parent is not anchor else None,
        author_name=actor.name, author_email=actor.email, body=body,
        body_html=render_comment(body), body_hash=body_fingerprint(body),
        status=A, spam_score=0, spam_reasons=[], staff_author_id=actor.id,
        moderated_at=utcnow(), moderated_by_id=actor.id,
    )
    session.add(reply)
    session.flush()
    record_event(session, actor=actor, action="comment.staff_reply", obj=reply,
                 parent_id=parent.id)
    invalidate(session, parent.article_id)
    if parent.status is not A:
        moderate(session, comment=parent, action="approve", actor=actor)  # replying approves
    notify_parent_author(session, reply)
    return reply


def _block_list(comment: Comment, what: str) -> tuple[str, str]:
    """The comment's value of kind ``what`` ("email" or "ip") and the setting listing it."""
    if what == "email":
        return comment.author_email, "blocked_emails"
    if what == "ip" and comment.ip:
        return comment.ip, "blocked_ips"
    raise ModerationError("This comment has nothing of that kind to block.")


def blocked_kinds(settings, comment: Comment) -> set[str]:
    """Which of the comment's email ("email") and IP ("ip") the block lists hold."""
    kinds = set()
    if comment.author_email.lower() in {e.lower() for e in settings.blocked_emails}:
        kinds.add("email")
    if comment.ip and comment.ip in settings.blocked_ips:
        kinds.add("ip")
    return kinds


def block_author(session, *, comment: Comment, what: str, actor) -> bool:
    """Add the comment's email or IP to the block list, and mark the comment spam; whether
    the comment went to spam by this."""
    settings = moderation_settings(session)
    value, field = _block_list(comment, what)
    current = list(getattr(settings, field))
    if value not in current:
        setattr(settings, field, [*current, value])  # a new list, so the change is saved
    record_event(session, actor=actor, action=f"comment.block_{what}", obj=comment, value=value)
    if comment.status in ACTIONS["spam"][0]:
        moderate(session, comment=comment, action="spam", actor=actor)
        return True
    return False


def unblock_author(session, *, comment: Comment, what: str, actor) -> None:
    """Take the comment's email or IP off the block list: the undo of ``block_author``. The
    comment stays in spam until someone approves it."""
    settings = moderation_settings(session)
    value, field = _block_list(comment, what)
    setattr(settings, field, [v for v in getattr(settings, field)
                              if v.lower() != value.lower()])
    record_event(session, actor=actor, action=f"comment.unblock_{what}", obj=comment,
                 value=value)


def update_settings(session, *, max_links: int, moderation_words: list[str],
                    block_words: list[str], blocked_emails: list[str], blocked_ips: list[str],
                    auto_approve_known_authors: bool, actor) -> None:
    settings = moderation_settings(session)
    settings.max_links = max_links
    settings.moderation_words = moderation_words
    settings.block_words = block_words
    settings.blocked_emails = [e.lower() for e in blocked_emails]
    settings.blocked_ips = blocked_ips
    settings.auto_approve_known_authors = auto_approve_known_authors
    record_event(session, actor=actor, action="moderation.settings_changed", obj=settings)


ANONYMOUS = "Anonymous"


def _written_from(email: str) -> tuple:
    """The readers' comments sent from ``email`` (in any case); staff replies are staff's."""
    return (func.lower(Comment.author_email) == email.strip().lower(),
            Comment.staff_author_id.is_(None))


def anonymise_comments_by(session, email: str, *, erased_email: str) -> list[int]:
    """A reader's comments, once they asked us to erase their personal data: kept (their
    replies hang from them) but no longer theirs: "Anonymous", no email, website, IP address,
    browser or reply notifications. Staff replies are staff's own. Returns their ids."""
    comments = session.scalars(select(Comment).where(*_written_from(email))).all()
    for comment in comments:
        comment.author_name, comment.author_email = ANONYMOUS, erased_email
        comment.author_url = comment.ip = comment.user_agent = None
        comment.notify_replies = False
    for article_id in {comment.article_id for comment in comments}:
        invalidate(session, article_id)  # the public thread showed their name
    return [comment.id for comment in comments]


def comments_by(session, email: str) -> list[dict]:
    """Every comment written from ``email``, oldest first, as its author asking for their
    data reads it (the article's title, what they gave, what we recorded)."""
    rows = session.execute(select(Comment, Article.title).join(Article)
                           .where(*_written_from(email))
                           .order_by(Comment.created_at, Comment.id)).all()
    return [{"article": title, "written_at": c.created_at, "name": c.author_name,
             "email": c.author_email, "website": c.author_url, "text": c.body,
             "status": c.status.value, "ip_address": c.ip, "browser": c.user_agent,
             "emails_about_replies": c.notify_replies} for c, title in rows]


def author_data(session, *, comment: Comment, actor) -> dict:
    """Everything held about the reader who wrote ``comment`` (the privacy notice offers to
    show it): their comments and the emails written to them. Recorded in the audit log."""
    record_event(session, actor=actor, action="comment.author_exported", obj=comment)
    return {"author": {"email": comment.author_email},
            "article_comments": comments_by(session, comment.author_email),
            "emails_to_them": emails_to(session, comment.author_email)}


ERASED_AUTHOR = erased_address("erased")


def erase_author(session, *, comment: Comment, actor, confirm_email: str) -> list[int]:
    """A reader's personal data, erased at their request: every comment they wrote from that
    address stays as "Anonymous" (``anonymise_comments_by``), and their names, address and
    websites go from the emails about those comments (moderators' alerts, reply notices) and
    from those to them; one to them not sent yet never is. ``confirm_email``: their address,
    typed again (there is no undo). Returns the ids of their comments."""
    if comment.is_staff:
        raise ModerationError("A staff reply is the staff member's own: nothing to erase.")
    email = comment.author_email.strip().lower()
    if comment.author_erased:
        raise ModerationError("This author's personal data is already erased.")
    if confirm_email.strip().lower() != email:
        raise ModerationError("Type the author's email address exactly as shown, to confirm.")
    scrub = scrubber([email, *(c[key] for c in comments_by(session, email)
                               for key in ("name", "website"))])
    ids = anonymise_comments_by(session, email, erased_email=ERASED_AUTHOR)
    erase_from_emails(session, scrub, address=email, new_address=ERASED_AUTHOR,
                      about={Comment.__tablename__: ids})
    record_event(session, actor=actor, action="comment.author_erased", obj=comment,
                 comments=len(ids))
    return ids
