"""The outbox worker: claim due rows, send them over one connection, record the outcome."""

import logging
import os
import random
import smtplib
import socket
import threading
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from crm.core.types import utcnow
from crm.extensions import db
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.notifications.transport import build_message, open_transport

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 6 * 3600
SENT_COMMIT_EVERY = 10


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now, lease: timedelta):
    return or_(
        and_(OutboxEmail.status == EmailStatus.PENDING, OutboxEmail.next_attempt_at <= now),
        # A row left "sending" by a worker that died is taken back after the lease.
        and_(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.claimed_at < now - lease),
    )


def claim_batch(session, *, worker_id: str, limit: int, lease_seconds: int) -> list[OutboxEmail]:
    """Mark up to ``limit`` due rows as ours and commit, so no other worker sends them.

    PostgreSQL: the candidate rows are locked with FOR UPDATE SKIP LOCKED, so concurrent
    workers each take different rows without waiting. SQLite: the single UPDATE is atomic
    (one writer at a time) and FOR UPDATE is not rendered.
    """
    now = utcnow()
    due = _due(now, timedelta(seconds=lease_seconds))
    candidates = (
        select(OutboxEmail.id).where(due)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit).with_for_update(skip_locked=True)
    )
    claimed_ids = session.scalars(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(candidates.scalar_subquery()), due)
        .values(status=EmailStatus.SENDING, claimed_at=now, claimed_by=worker_id,
                attempts=OutboxEmail.attempts + 1)
        .returning(OutboxEmail.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    if not claimed_ids:
        return []
    return session.scalars(
        select(OutboxEmail).where(OutboxEmail.id.in_(claimed_ids)).order_by(OutboxEmail.id)
    ).all()


def _backoff(attempts: int) -> timedelta:
    base = current_app.config["CRM_OUTBOX_BACKOFF_SECONDS"]
    # ±25 % jitter, so that emails that failed together do not come back together; the cap
    # allows for it, so that even the longest wait stays under MAX_BACKOFF_SECONDS.
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS / 1.25)
    return timedelta(seconds=delay * random.uniform(0.75, 1.25))


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500 and (
        not isinstance(error, smtplib.SMTPServerDisconnected)
    )


def record_failure(email: OutboxEmail, error: Exception, permanent: bool = False) -> None:
    """Back to pending with back-off, or dead after the last attempt or a permanent refusal."""
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    email.claimed_at = email.claimed_by = None
    last_attempt = email.attempts >= current_app.config["CRM_OUTBOX_MAX_ATTEMPTS"]
    if permanent or last_attempt or _is_permanent(error):
        email.status = EmailStatus.DEAD
        log.error("email %s is dead after %s attempts: %s", email.id, email.attempts,
                  email.last_error)
    else:
        email.status = EmailStatus.PENDING
        email.next_attempt_at = utcnow() + _backoff(email.attempts)
        log.warning("email %s failed (attempt %s), retrying at %s: %s", email.id,
                    email.attempts, email.next_attempt_at, email.last_error)


def _release(emails: list[OutboxEmail]) -> None:
    """Give back rows we claimed but did not try (a stop was asked for)."""
    for email in emails:
        email.status = EmailStatus.PENDING
        email.attempts -= 1
        email.claimed_at = email.claimed_by = None


def _commit_sent(session, sent_ids: list[int]) -> None:
    """Record the emails the server accepted, then commit (with any failures recorded)."""
    if sent_ids:
        session.execute(
            update(OutboxEmail).where(OutboxEmail.id.in_(sent_ids))
            .values(status=EmailStatus.SENT, sent_at=utcnow(), last_error=None)
            .execution_options(synchronize_session=False)
        )
        sent_ids.clear()
    session.commit()


def deliver_batch(session, *, worker_id: str, stop: threading.Event | None = None) -> int:
    """Claim one batch and try each email once; returns how many rows were claimed.

    Accepted emails are recorded every ``SENT_COMMIT_EVERY`` messages: a crash in between
    re-sends at most that many, each with the Message-ID of its first sending.
    """
    config = current_app.config
    emails = claim_batch(session, worker_id=worker_id, limit=config["CRM_OUTBOX_BATCH_SIZE"],
                         lease_seconds=config["CRM_OUTBOX_LEASE_SECONDS"])
    if not emails:
        return 0
    try:
        transport = open_transport().__enter__()
    except (smtplib.SMTPException, OSError) as error:
        for email in emails:
            record_failure(email, error)
        session.commit()
        return len(emails)
    sent_ids: list[int] = []
    try:
        for index, email in enumerate(emails):
            if stop is not None and stop.is_set():
                _release(emails[index:])
                break
            try:
                transport.send(build_message(email))
            except (UnicodeError, ValueError) as error:
                # This message can never be written (e.g. a non-ASCII local part): dead now,
                # and the rest of the batch goes on.
                record_failure(email, error, permanent=True)
            except (smtplib.SMTPException, OSError) as error:
                record_failure(email, error)
                if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    # The connection is gone: the rest of the batch waits for a later pass.
                    for rest in emails[index + 1:]:
                        record_failure(rest, error)
                    break
            else:
                sent_ids.append(email.id)
                if len(sent_ids) >= SENT_COMMIT_EVERY:
                    _commit_sent(session, sent_ids)
    finally:
        _commit_sent(session, sent_ids)
        transport.__exit__(None, None, None)
    return len(emails)


def run_worker(app, *, once: bool = False, stop: threading.Event | None = None,
               poll_seconds: float | None = None) -> None:
    """Deliver until stopped. ``once``: deliver everything due now, then return."""
    stop = stop or threading.Event()
    worker_id = new_worker_id()
    with app.app_context():
        poll = poll_seconds if poll_seconds is not None else app.config["CRM_OUTBOX_POLL_SECONDS"]
        log.info("outbox worker %s started", worker_id)
        while not stop.is_set():
            # A session of its own that keeps the batch loaded across the per-email commits.
            session = Session(db.engine, expire_on_commit=False)
            try:
                claimed = deliver_batch(session, worker_id=worker_id, stop=stop)
            except Exception:
                session.rollback()
                log.exception("outbox worker pass failed; retrying")
                claimed = 0
                if once:
                    raise
            finally:
                session.close()
            if claimed == 0:
                if once:
                    break
                stop.wait(poll)
        log.info("outbox worker %s stopped", worker_id)
