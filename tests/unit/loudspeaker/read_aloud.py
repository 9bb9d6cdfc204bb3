"""The sentences the shipped configuration has the service read aloud, for the corpus tests.

Demo content (every item: an editor may put any of them on a loudspeaker channel), the
drive and campaign templates filled in for the demo drives on a fixed day, and the
station's opening and closing lines for the demo communes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from channels.loudspeaker import default_template
from channels.loudspeaker.lints import split_sentences
from publisher.planning.templates import (
    CampaignFacts,
    DriveFacts,
    TemplateContext,
    load_templates,
    render_template,
)
from publisher.planning.vietnamese_dates import LOCAL_TZ

CONFIG = Path(__file__).resolve().parents[3] / "config"
CORPUS = Path(__file__).resolve().parents[2] / "data" / "reading_corpus.tsv"

# The demo drives of publisher/demo.py (kind, commune, place, target), on a fixed Monday.
DEMO_DRIVES = (
    ("phường", "Tân Phong", "Hội trường UBND phường Tân Phong", 300),
    ("xã", "Bình Lư", "Trạm Y tế xã Bình Lư", 150),
    ("xã", "Than Uyên", "Nhà văn hóa xã Than Uyên", 250),
)
DEMO_CAMPAIGN = CampaignFacts(name="Hiến máu mùa đông (trình diễn)", slug="hien-mau-mua-dong-demo")
DAY_START = datetime(2025, 4, 7, 7, 0, tzinfo=LOCAL_TZ)
DAY_END = datetime(2025, 4, 7, 11, 30, tzinfo=LOCAL_TZ)


def demo_content_sentences() -> list[str]:
    data = yaml.safe_load((CONFIG / "demo" / "content.yaml").read_text(encoding="utf-8"))
    return [s for item in data["items"] for s in split_sentences(item["body"])]


def template_sentences() -> list[str]:
    sentences = []
    templates = load_templates(CONFIG / "templates")
    for kind, name, place, target in DEMO_DRIVES:
        drive = DriveFacts(
            name=f"Ngày hội hiến máu tình nguyện {kind} {name}",
            starts_at=DAY_START,
            ends_at=DAY_END,
            location=place,
            commune_name=name,
            commune_kind=kind,
            target_units=target,
            result_units=target - 12,
        )
        context = TemplateContext(drive=drive, campaign=DEMO_CAMPAIGN)
        for template in templates.values():
            sentences += split_sentences(render_template(template, context).body)
    return sentences


def station_sentences() -> list[str]:
    template = default_template()
    sentences = []
    for kind, name, _place, _target in DEMO_DRIVES:
        for slot in ("morning", "evening"):
            for line in (*template.opening, *template.closing, template.empty_notice):
                sentences += split_sentences(template.fill(line, kind, name, slot))
    return sentences


def config_sentences() -> list[str]:
    """Every sentence above, once each, in order of first appearance."""
    seen: dict[str, None] = {}
    for sentence in (*demo_content_sentences(), *template_sentences(), *station_sentences()):
        seen.setdefault(sentence)
    return list(seen)


def load_corpus(path: Path = CORPUS) -> list[tuple[int, str, str]]:
    """(line number, source, expected reading) for every entry; '#' lines are comments."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        source, expected = line.split("\t")
        entries.append((number, source, expected))
    return entries
