"""Allowlist HTML sanitising for content bodies, and plain-text conversions."""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLOCK_END = re.compile(r"</(p|li|h[2-4]|blockquote|tr|figcaption)>|<br\s*/?>", re.I)


def nfc(text: str) -> str:
    """Unicode NFC, the one form we store."""
    return unicodedata.normalize("NFC", text)


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def plain_to_html(text: str) -> str:
    """Plain text to paragraphs: blank lines split paragraphs, single newlines become <br>."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def sanitize_html(text: str) -> str:
    """Clean user HTML (or wrap plain text) with an allowlist; scripts and handlers vanish."""
    text = nfc(text or "")
    if not looks_like_html(text):
        return plain_to_html(text)
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def html_to_text(markup: str) -> str:
    """Readable plain text from sanitised HTML: paragraphs separated by blank lines."""
    text = _BLOCK_END.sub("\n", markup or "")
    text = nh3.clean(text, tags=set())
    text = html.unescape(text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line:
            out.append(line)
        elif out and out[-1] != "":
            out.append("")
    return nfc("\n\n".join(p for p in "\n".join(out).split("\n") if p)).strip()


def plain_text(text: str) -> str:
    """One line of plain text with any markup removed: titles, names, places.

    Titles reach RSS ``<title>``, which many feed readers render as HTML, so markup is
    removed rather than escaped. Unescaping can reveal markup that was typed as
    entities (``&lt;img …&gt;``), so cleaning repeats until nothing changes; the few
    rounds that can ever be needed are bounded, and anything still left drops its
    angle brackets.
    """
    value = nfc(text or "")
    for _ in range(5):
        cleaned = html.unescape(nh3.clean(value, tags=set(), strip_comments=True))
        if cleaned == value:
            break
        value = cleaned
    else:
        value = value.replace("<", "").replace(">", "")
    return nfc(" ".join(value.split()))
