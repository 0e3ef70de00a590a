"""Read-only queries behind the email log: one page of rows, the templates in use, a body."""

from dataclasses import dataclass

from sqlalchemy import Text, func, select

from crm.core.paging import Page, contains_pattern, fetch_page, page_number
from crm.notifications.models import EmailStatus, OutboxEmail

# Keeps OFFSET inside a 64-bit integer whatever ?page= says.
LIST_ERROR_CHARS = 200

# What a row of the list shows; never the bodies.
LIST_COLUMNS = (
    OutboxEmail.id, OutboxEmail.created_at, OutboxEmail.recipient, OutboxEmail.subject,
    OutboxEmail.template, OutboxEmail.status, OutboxEmail.attempts,
    OutboxEmail.related_type, OutboxEmail.related_id,
)


@dataclass(frozen=True)
class LogFilters:
    """The filters of the email log; ``None`` means any."""

    status: EmailStatus | None = None
    template: str | None = None
    recipient: str | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, so paging links keep them."""
        args = {
            "status": self.status.value if self.status else None,
            "template": self.template,
            "recipient": self.recipient,
        }
        return {name: value for name, value in args.items() if value}


def email_page(session, *, filters: LogFilters, page: int = 1) -> Page:
    """One page of the log, newest first, in one query.

    Rows hold only the listed columns (``last_error`` cut short in SQL). One row more than a
    page is fetched to tell whether another page follows, so there is no COUNT.
    """
    error = func.substr(OutboxEmail.last_error, 1, LIST_ERROR_CHARS, type_=Text)
    query = select(*LIST_COLUMNS, error.label("last_error"))
    if filters.status is not None:
        query = query.where(OutboxEmail.status == filters.status)
    if filters.template:
        query = query.where(OutboxEmail.template == filters.template)
    if filters.recipient:
        pattern = contains_pattern(filters.recipient)
        query = query.where(OutboxEmail.recipient.ilike(pattern, escape="\\"))
    query = query.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    return fetch_page(session, query, page_number(page))


def templates_in_use(session) -> list[str]:
    """The distinct template names of the outbox, for the template filter."""
    return list(session.scalars(
        select(OutboxEmail.template).distinct().order_by(OutboxEmail.template)
    ))


def html_body(session, email_id: int) -> str | None:
    """The stored HTML body of one email, or None if there is no such email."""
    return session.scalar(select(OutboxEmail.body_html).where(OutboxEmail.id == email_id))
