"""Queuing email (``notify``), opt-outs and resends: the only code that changes outbox state."""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import insert, or_, select

from crm.audit.operations import record_event
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.notifications.models import EmailOptOut, EmailStatus, OutboxEmail


class HeaderInjectionError(ValueError):
    """A value meant for an email header holds a line break; nothing was queued."""


def _check_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise HeaderInjectionError(f"line break in the {name} header")
    return value


def _render(template: str, context: dict) -> tuple[str, str, str]:
    """Subject (``{% set subject = ... %}`` in the text template), text body and HTML body."""
    env = current_app.jinja_env
    text = env.get_template(f"emails/{template}.txt").make_module(context)
    html = env.get_template(f"emails/{template}.html").render(context)
    subject = str(getattr(text, "subject", "")).strip()
    if not subject:
        raise ValueError(f"emails/{template}.txt sets no subject")
    return subject, str(text).strip() + "\n", html


def notify(
    session, *, template: str, to: str, key: str, context: dict | None = None,
    related=None, stream: str | None = None, headers: dict | None = None,
    new_key: bool = False,
) -> OutboxEmail | None:
    """Queue one email in the caller's transaction; delivered by the worker after commit.

    ``key`` makes it idempotent: the same key queues once (``new_key``: the key names
    something this transaction made, so no email can hold it yet and it is not looked up;
    the unique index still guards it). ``related`` is the row the email is about; its
    ``log_label``, if it has one, names it in the email log. ``stream`` names what the person
    can opt out of; such emails carry an unsubscribe link and ``List-Unsubscribe`` headers,
    and nothing is queued for someone who opted out. Returns the row, or None if opted out.
    """
    to, extra = _recipient_and_headers(to, headers)
    if not new_key:
        existing = session.scalar(select(OutboxEmail)
                                  .where(OutboxEmail.idempotency_key == key))
        if existing is not None:
            return existing
    row = _outbox_row(session, template=template, to=to, key=key, context=context,
                      related=related, stream=stream, headers=extra)
    if row is None:
        return None
    email = OutboxEmail(**row)
    session.add(email)
    return email


def notify_new(session, emails: list[dict]) -> None:
    """``notify(**email, new_key=True)`` for each of ``emails`` (its keyword arguments), in
    one INSERT that loads nothing back into the session: for emails about something this
    transaction made, which the caller never reads back."""
    rows = []
    for email in emails:
        to, extra = _recipient_and_headers(email["to"], email.get("headers"))
        row = _outbox_row(session, **{**email, "to": to, "headers": extra})
        if row is not None:
            rows.append(row)
    if rows:
        session.execute(insert(OutboxEmail.__table__), rows)


def _recipient_and_headers(to: str, headers: dict | None) -> tuple[str, dict]:
    to = _check_header("To", to.strip())
    extra = {name: _check_header(name, str(value)) for name, value in (headers or {}).items()}
    for name in extra:
        _check_header("header name", name)
    return to, extra


def _outbox_row(session, *, template: str, to: str, key: str, headers: dict,
                context: dict | None = None, related=None,
                stream: str | None = None) -> dict | None:
    """The outbox row of one email, rendered; None if the recipient opted out of ``stream``."""
    context = dict(context or {}, recipient=to, unsubscribe_url=None)
    if stream is not None:
        if is_opted_out(session, email=to, stream=stream):
            return None
        url = external_url(f"/unsubscribe/{unsubscribe_token(to, stream)}")
        context["unsubscribe_url"] = url
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    subject, body_text, body_html = _render(template, context)
    return {
        "idempotency_key": key, "template": template, "recipient": to,
        "subject": _check_header("Subject", subject), "body_text": body_text,
        "body_html": body_html, "headers": headers,
        "related_type": getattr(related, "__tablename__", None),
        "related_id": getattr(related, "id", None),
        "related_label": (getattr(related, "log_label", None) or "")[:120] or None,
    }


def _fernet() -> Fernet:
    """Authenticated encryption (AES, HMAC) under a key derived from SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"formulation-crm unsubscribe links").derive(
        secret.encode() if isinstance(secret, str) else secret)
    return Fernet(base64.urlsafe_b64encode(key))


def unsubscribe_token(email: str, stream: str) -> str:
    """An unguessable token naming one address and one stream. Encrypted, not only signed:
    links end up in logs and forwarded mail, and the address must not be read from them."""
    payload = json.dumps([email.lower(), stream]).encode()
    return _fernet().encrypt(payload).decode().rstrip("=")


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    try:
        email, stream = json.loads(_fernet().decrypt(token + "=" * (-len(token) % 4)))
    except (InvalidToken, ValueError, TypeError):
        return None
    return email, stream


def is_opted_out(session, *, email: str, stream: str) -> bool:
    return session.scalar(
        select(EmailOptOut.id).where(EmailOptOut.email == email.lower(),
                                     EmailOptOut.stream == stream)
    ) is not None


def opt_out(session, *, email: str, stream: str) -> None:
    """Stop emails of ``stream`` to ``email``; doing it twice is harmless."""
    if not is_opted_out(session, email=email, stream=stream):
        session.add(EmailOptOut(email=email.lower(), stream=stream))


def resend(session, *, email: OutboxEmail, actor) -> None:
    """Queue a sent or dead email again, as a new message with its own Message-ID."""
    if email.status not in (EmailStatus.SENT, EmailStatus.DEAD):
        raise ValueError("Only a sent or dead email can be resent.")
    email.status = EmailStatus.PENDING
    email.attempts = 0
    email.next_attempt_at = utcnow()
    email.claimed_at = email.claimed_by = None
    email.last_error = None
    email.resends += 1
    record_event(session, actor=actor, action="email.resent", obj=email)


def erase_from_emails(session, scrub, *, address: str, new_address: str,
                      about: dict[str, list[int]]) -> None:
    """A person's details blanked out (``scrub``) of the emails sent to ``address`` and of
    those about the objects in ``about`` (table name → ids); ``address`` replaced by
    ``new_address``, and an email to them not sent yet never sent."""
    related = [(OutboxEmail.related_type == table) & OutboxEmail.related_id.in_(ids)
               for table, ids in about.items() if ids]
    for email in session.scalars(select(OutboxEmail).where(
            or_(OutboxEmail.recipient == address, *related))):
        email.subject, email.body_text = scrub(email.subject), scrub(email.body_text)
        email.body_html, email.headers = scrub(email.body_html), scrub(email.headers)
        if email.recipient == address:
            email.recipient = new_address
            if email.status in (EmailStatus.PENDING, EmailStatus.SENDING):
                email.status, email.last_error = EmailStatus.DEAD, "Not sent: erased."


def emails_to(session, address: str) -> list[dict]:
    """The emails written to ``address``, oldest first, as a person asking for their data
    reads them."""
    return [{"queued_at": e.created_at, "subject": e.subject, "status": e.status.value,
             "sent_at": e.sent_at, "text": e.body_text}
            for e in session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == address)
                                     .order_by(OutboxEmail.created_at, OutboxEmail.id))]
