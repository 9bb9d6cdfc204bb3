"""Word-by-word differences between two versions, as safe HTML (escaped, then marked up)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

from content_library.models import ContentVersion
from content_library.sanitize import html_to_text

# Words (any script), runs of whitespace, and single punctuation marks are the units.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class FieldDiff:
    label: str
    html: Markup
    changed: bool


def tokens(text: str) -> list[str]:
    return _TOKENS.findall(text or "")


def word_diff(old: str, new: str) -> tuple[Markup, bool]:
    """``old`` → ``new`` with removed words in ``<del>`` and added ones in ``<ins>``."""
    before, after = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    parts: list[Markup] = []
    changed = False
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(before[a1:a2])))
            continue
        changed = True
        if op in ("delete", "replace"):
            parts.append(Markup("<del>{}</del>").format("".join(before[a1:a2])))
        if op in ("insert", "replace"):
            parts.append(Markup("<ins>{}</ins>").format("".join(after[b1:b2])))
    return Markup("").join(parts), changed


def version_diff(old: ContentVersion | None, new: ContentVersion) -> list[FieldDiff]:
    """Title, summary, body text and reading version of ``new`` against ``old`` (or nothing)."""
    fields = (
        ("Tiêu đề", lambda v: v.title),
        ("Tóm tắt", lambda v: v.summary or ""),
        ("Thẻ", lambda v: ", ".join(v.tags or [])),
        ("Nội dung", lambda v: html_to_text(v.body_html)),
        ("Bản đọc trên loa (hiệu chỉnh)", lambda v: v.reading_text or ""),
    )
    out = []
    for label, read in fields:
        html, changed = word_diff(read(old) if old is not None else "", read(new))
        if not changed and label != "Nội dung":
            continue  # unchanged (or empty in new content): nothing to review
        out.append(FieldDiff(label, html, changed))
    if old is not None and old.asset_id != new.asset_id:
        out.append(FieldDiff("Ảnh áp phích", Markup("<ins>Ảnh đã thay đổi</ins>"), True))
    return out
