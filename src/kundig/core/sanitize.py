"""HTML sanitising with an allowlist (nh3): the only way user HTML reaches a page."""

from __future__ import annotations

import re

import nh3
from django.utils.html import escape, linebreaks

from .text import strip_control_characters

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3",
    "h4", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_TAG = re.compile(r"<[a-zA-Z!/][^>]*>")


def sanitize_html(html: str) -> str:
    """Return ``html`` with everything outside the allowlist removed."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def text_or_html_to_safe_html(value: str) -> str:
    """Turn user input into safe HTML: markup sanitised, plain text keeps its lines."""
    value = strip_control_characters(value or "").strip()
    if not value:
        return ""
    if _TAG.search(value):
        return sanitize_html(value)
    return sanitize_html(linebreaks(escape(value)))


def html_to_text(html: str) -> str:
    """Return the visible text of sanitised HTML, for summaries and search."""
    text = nh3.clean(
        re.sub(r"<(br|/p|/div|/li|/h\d)\s*/?>", "\n", html or ""), tags=set()
    )
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n", text).strip()
