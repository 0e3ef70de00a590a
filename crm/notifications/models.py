"""Outbox rows (one email each) and opt-outs."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.core.types import StrEnum, utcnow
from crm.extensions import db


class EmailStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OutboxEmail(db.Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (
        Index("ix_outbox_emails_due", "status", "next_attempt_at"),
        Index("ix_outbox_emails_related", "related_type", "related_id"),
        # The email log filtered by status or by template, newest first.
        Index("ix_outbox_emails_status_created", "status", "created_at"),
        Index("ix_outbox_emails_template_created", "template", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(60))
    # Searched through an index made in migration 0015 (crm.notifications.queries).
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[EmailStatus] = mapped_column(StrEnum(EmailStatus), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Bumped by a deliberate resend, so that copy gets a Message-ID of its own.
    resends: Mapped[int] = mapped_column(default=0)
    related_type: Mapped[str | None] = mapped_column(String(40))
    related_id: Mapped[int | None]
    # What the related row is called (its ``log_label``) when the email was queued.
    related_label: Mapped[str | None] = mapped_column(String(120))

    def message_id(self, domain: str) -> str:
        """Stable per row (and per resend): a retry after a crash carries the same Message-ID."""
        suffix = f".r{self.resends}" if self.resends else ""
        return f"<outbox-{self.id}{suffix}@{domain}>"

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.template} {self.status.value}>"


class EmailOptOut(db.Model):
    """A person who asked for no more emails of one kind (a "stream")."""

    __tablename__ = "email_opt_outs"
    __table_args__ = (UniqueConstraint("email", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    stream: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
