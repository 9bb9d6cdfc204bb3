"""The reading version with the abbreviation table from config/ (editable by the province)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from channels.loudspeaker import load_abbreviations, spell_out
from channels.loudspeaker.lints import Finding, lint_reading

if TYPE_CHECKING:
    from publisher.delivery.models import Publication

CONFIG = Path(__file__).resolve().parents[2] / "config"


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    return load_abbreviations(CONFIG / "abbreviations.yaml")


# Why a cache: every bulletin download, operator page and worker render spells out the same
# few dozen texts of the day again; spelling out costs about half a millisecond per item.
# The key is the text itself, so a corrected version (new text) never gets a stale answer.
@lru_cache(maxsize=4096)
def spell_out_text(text: str) -> str:
    """``text`` spelled out for reading aloud with the province's abbreviation table."""
    return spell_out(text, abbreviations())


def reading_text_for(pub: Publication, text: str) -> str:
    """What a bulletin reads for ``pub`` whose body is ``text``: the editor's correction
    wins; otherwise the text spelled out for reading aloud."""
    if pub.version.reading_text and not (pub.render_context or {}).get("body_html"):
        return pub.version.reading_text
    return spell_out_text(text)


# Content lists, the approval queue and every content answer of the API check the same
# few texts again; the findings are a pure function of the two texts and the table.
@lru_cache(maxsize=1024)
def reading_findings(reading: str, source: str | None) -> tuple[Finding, ...]:
    """What a listener would hear wrong in ``reading`` (see channels.loudspeaker.lints)."""
    return tuple(lint_reading(reading, source, abbreviations()))
