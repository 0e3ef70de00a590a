"""Text from outside that is stored as given, less what no column should hold."""

import unicodedata


def one_line(value: str | None, limit: int) -> str:
    """``value`` without control characters (NUL, which PostgreSQL refuses in text; line
    breaks), trimmed and cut to ``limit`` characters."""
    value = "".join(c for c in value or "" if unicodedata.category(c) != "Cc")
    return value.strip()[:limit]
