"""Read-only queries behind the email log: one page of rows, the templates in use, a body."""

from dataclasses import dataclass

from sqlalchemy import Integer, Text, and_, column, func, literal_column, select, table

from crm.core.paging import Page, contains_pattern, fetch_page, fts_phrase, page_number
from crm.notifications.models import EmailStatus, OutboxEmail

_fts = table("outbox_fts", column("rowid", Integer))

LIST_ERROR_CHARS = 200  # of a failed email's last error, in its row

# What a row of the list shows; never the bodies.
LIST_COLUMNS = (
    OutboxEmail.id, OutboxEmail.created_at, OutboxEmail.recipient, OutboxEmail.subject,
    OutboxEmail.template, OutboxEmail.status, OutboxEmail.attempts,
    OutboxEmail.related_type, OutboxEmail.related_id, OutboxEmail.related_label,
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
        search, newest_first = recipient_search(session, filters.recipient)
        query = query.where(search).order_by(newest_first)
    else:
        query = query.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    return fetch_page(session, query, page_number(page))


def recipient_search(session, text: str):
    """Emails whose recipient contains ``text`` in any case, through the index of migration
    0015; and the order, newest queued first, that index gives.

    SQLite: the FTS5 trigram table matches a quoted phrase as a substring of 3+ characters and
    walks its rowids (the emails' ids) downwards, so the page stops at its last row however
    many match. PostgreSQL: ILIKE, which the GIN trigram index serves. Shorter terms read
    every email (and match most of them).
    """
    term = text.strip()
    if session.get_bind().dialect.name == "sqlite" and len(term) >= 3:
        return (and_(_fts.c.rowid == OutboxEmail.id,
                     literal_column("outbox_fts").op("MATCH")(fts_phrase(term))),
                _fts.c.rowid.desc())
    pattern = contains_pattern(term)
    return OutboxEmail.recipient.ilike(pattern, escape="\\"), OutboxEmail.id.desc()


def templates_in_use(session) -> list[str]:
    """The distinct template names of the outbox, for the template filter, in order.

    A loose index scan: each name is the smallest after the one before, one look-up in the
    template index apiece, where SELECT DISTINCT would read every email's entry (20 ms at
    200,000 emails on PostgreSQL, which has no skip scan; SQLite without statistics alike).
    """
    first = select(func.min(OutboxEmail.template)).scalar_subquery()
    names = select(first.label("name")).cte("template_names", recursive=True)
    following = select(func.min(OutboxEmail.template)).where(
        OutboxEmail.template > names.c.name).scalar_subquery()
    names = names.union_all(select(following).where(names.c.name.is_not(None)))
    return list(session.scalars(select(names.c.name).where(names.c.name.is_not(None))))


def html_body(session, email_id: int) -> str | None:
    """The stored HTML body of one email, or None if there is no such email."""
    return session.scalar(select(OutboxEmail.body_html).where(OutboxEmail.id == email_id))
