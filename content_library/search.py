"""Search that ignores Vietnamese diacritics and case, the same on SQLite and PostgreSQL.

Both databases compare folded text: we store a folded copy of title and body
(``search_text``) and fold the query the same way, so "hien mau" finds "Hiến máu"
without unaccent extensions or collations that differ between databases.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d, single spaces."""
    text = unicodedata.normalize("NFD", text or "").casefold()
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = text.replace("đ", "d")
    return _SPACES.sub(" ", text).strip()


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def slugify(text: str, max_length: int = 80) -> str:
    """An ASCII slug from Vietnamese text: "Hiến máu 14/6" → "hien-mau-14-6"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:max_length].strip("-") or "bai-viet"
