"""A person's data when they ask: everything we hold as a file to send them, or their details
blanked out of stored text when they ask us to erase them."""

import json
import re
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from markupsafe import escape

ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"  # the address of someone erased: never delivered (RFC 2606)
SHORTEST = 3  # a detail shorter than this is not looked for in free text


def erased_address(name: str) -> str:
    return f"{name}@{ERASED_DOMAIN}"


def is_erased_address(email: str) -> bool:
    return email.strip().lower().endswith("@" + ERASED_DOMAIN)


def scrubber(details: list[str | None]):
    """A function that blanks ``details`` out of a value: out of text (as written, and
    HTML-escaped, in any case, as whole words), and out of the strings inside lists and
    dicts. Anything else, None included, is returned as it is."""
    words = {form for detail in details if detail and len(detail.strip()) >= SHORTEST
             for form in (detail.strip(), str(escape(detail.strip())))}
    if not words:
        return lambda value: value
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)"
                                  for word in sorted(words, key=len, reverse=True)), re.I)

    def scrub(value):
        if isinstance(value, str):
            return pattern.sub(ERASED, value)
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    return scrub


def plain(value):
    """``value`` as JSON takes it: dates as ISO 8601, amounts as strings (exact), containers
    walked."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def download(data: dict, filename: str) -> Response:
    """``data`` as a JSON file to save, kept by no cache on the way."""
    return Response(json.dumps(plain(data), indent=2, ensure_ascii=False),
                    mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
