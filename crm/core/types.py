"""Column types shared by every feature."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp always returned timezone-aware in UTC, on SQLite as on PostgreSQL.

    SQLite keeps no offset, so values are stored as UTC and tagged UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use crm.core.types.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def StrEnum(enum_class, length: int = 20) -> Enum:
    """A status column stored as its value (``"sales"``) in a VARCHAR on every database."""
    return Enum(
        enum_class, native_enum=False, length=length, validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
