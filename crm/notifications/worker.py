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

from crm.core.types import utcnow
from crm.extensions import db
from crm.notifications.models import EmailStatus, OutboxEmail
from crm.notifications.transport import build_message, open_transport

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 6 * 3600


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
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return timedelta(seconds=delay * random.uniform(0.75, 1.25))


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500 and (
        not isinstance(error, smtplib.SMTPServerDisconnected)
    )


def record_failure(email: OutboxEmail, error: Exception) -> None:
    """Back to pending with back-off, or dead after the last attempt or a permanent refusal."""
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    email.claimed_at = email.claimed_by = None
    if _is_permanent(error) or email.attempts >= current_app.config["CRM_OUTBOX_MAX_ATTEMPTS"]:
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


def deliver_batch(session, *, worker_id: str, stop: threading.Event | None = None) -> int:
    """Claim one batch and try each email once; returns how many rows were claimed."""
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
    try:
        for index, email in enumerate(emails):
            if stop is not None and stop.is_set():
                _release(emails[index:])
                session.commit()
                break
            try:
                transport.send(build_message(email))
            except (smtplib.SMTPException, OSError) as error:
                record_failure(email, error)
                if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    # The connection is gone: the rest of the batch waits for the next pass.
                    for rest in emails[index + 1:]:
                        record_failure(rest, error)
                    session.commit()
                    break
            else:
                email.status = EmailStatus.SENT
                email.sent_at = utcnow()
                email.last_error = None
            session.commit()
    finally:
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
            try:
                claimed = deliver_batch(db.session, worker_id=worker_id, stop=stop)
            except Exception:
                db.session.rollback()
                log.exception("outbox worker pass failed; retrying")
                claimed = 0
                if once:
                    raise
            finally:
                db.session.remove()
            if claimed == 0:
                if once:
                    break
                stop.wait(poll)
        log.info("outbox worker %s stopped", worker_id)
