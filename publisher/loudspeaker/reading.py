"""The reading version with the abbreviation table from config/ (editable by the province)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config"


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    from channels.loudspeaker import load_abbreviations

    return load_abbreviations(CONFIG / "abbreviations.yaml")


# Why a cache: every bulletin download, operator page and worker render spells out the same
# few dozen texts of the day again; spelling out costs about half a millisecond per item.
# The key is the text itself, so a corrected version (new text) never gets a stale answer.
@lru_cache(maxsize=4096)
def spell_out_text(text: str) -> str:
    """``text`` spelled out for reading aloud with the province's abbreviation table."""
    from channels.loudspeaker import spell_out

    return spell_out(text, abbreviations())
