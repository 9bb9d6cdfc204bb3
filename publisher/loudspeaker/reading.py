"""The reading version with the abbreviation table from config/ (editable by the province)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config"


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    from channels.loudspeaker import load_abbreviations

    return load_abbreviations(CONFIG / "abbreviations.yaml")


def spell_out_text(text: str) -> str:
    from channels.loudspeaker import spell_out

    return spell_out(text, abbreviations())
