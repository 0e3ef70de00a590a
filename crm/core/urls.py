"""Helpers for URLs that leave or enter the application."""

from urllib.parse import unquote, urlsplit

from flask import current_app, redirect, request
from werkzeug.routing import IntegerConverter, UnicodeConverter

from crm.core.database import MAX_ROW_ID


def _is_local_path(target: str) -> bool:
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def is_safe_next(target: str | None) -> bool:
    """True only for a path on this site: no scheme, no host, no backslash or encoded tricks."""
    if not target or not isinstance(target, str):
        return False
    # Judge the decoded form too: some browsers and proxies decode before they resolve.
    return _is_local_path(target) and _is_local_path(unquote(target))


def external_url(path: str) -> str:
    """An absolute link for emails, built from CRM_BASE_URL, never from the request's Host."""
    return current_app.config["CRM_BASE_URL"] + path


def moved_permanently(path: str):
    """A 301 to ``path`` (a page's new address), keeping the request's query string as sent."""
    query = request.query_string.decode("latin-1")
    return redirect(f"{path}?{query}" if query else path, 301)


class IdConverter(IntegerConverter):
    """``<int:…>``: a database id, 1 to 2⁶³ − 1 (a BIGINT). Any other number is no page (404)
    rather than an overflow in the database driver (a 500)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ROW_ID)


class SegmentConverter(UnicodeConverter):
    """The default ``<…>``: one path segment, without NUL, which PostgreSQL refuses in text
    (a slug or token holding one is no page, not a 500)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def install_converters(app) -> None:
    """Before any route is added: the converters above in place of Werkzeug's."""
    app.url_map.converters.update(default=SegmentConverter, string=SegmentConverter,
                                  int=IdConverter)
