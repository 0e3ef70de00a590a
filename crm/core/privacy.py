"""Blanking a person's details out of stored text, when they ask us to erase them."""

import re

from markupsafe import escape

ERASED = "[erased]"
SHORTEST = 3  # a detail shorter than this is not looked for in free text


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
