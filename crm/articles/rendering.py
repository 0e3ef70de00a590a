"""Article Markdown and comment text to safe HTML, done once, when saved."""

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import escape

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}


def render_markdown(text: str) -> str:
    """Render Markdown and keep only harmless tags; links get ``rel="noopener nofollow"``."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    )


_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
# Bidirectional overrides and isolates can make text read differently than it is stored.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def strip_bidi_controls(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)


def clean_text(value: str | None) -> str:
    """What is stored of a name, website or comment: NFC, no direction overrides, trimmed.

    Forms filter their fields through it too, so a value that is only spaces or invisible
    marks is refused as empty rather than stored as nothing."""
    return strip_bidi_controls(unicodedata.normalize("NFC", value or "")).strip()


def find_links(text: str) -> list[str]:
    return [match.group(0).rstrip(_TRAILING) for match in _URL.finditer(text or "")]


def _linkify(line: str) -> str:
    parts, last = [], 0
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(_TRAILING)
        parts.append(str(escape(line[last:match.start()])))
        parts.append(f'<a href="{escape(url)}" rel="nofollow ugc noopener">{escape(url)}</a>')
        last = match.start() + len(url)
    parts.append(str(escape(line[last:])))
    return "".join(parts)


def render_comment(text: str) -> str:
    """Plain text to HTML: everything escaped, paragraphs and line breaks kept, URLs linked."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n[ \t]*\n+", text) if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(_linkify(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
