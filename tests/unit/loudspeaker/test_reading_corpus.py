"""The reading corpus: real sentences with their exact readings, and every check on each."""

from __future__ import annotations

import re
import unicodedata

import pytest

from channels.loudspeaker import spell_out
from channels.loudspeaker.lints import lint_reading
from tests.unit.loudspeaker.read_aloud import CORPUS, config_sentences, load_corpus

ENTRIES = load_corpus()


def test_corpus_is_large_nfc_and_has_no_duplicates() -> None:
    text = CORPUS.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    sources = [source for _, source, _ in ENTRIES]
    assert len(sources) >= 400
    assert len(set(sources)) == len(sources)


@pytest.mark.parametrize(
    ("kind", "pattern", "at_least"),
    [
        ("legal references", r"(Thông tư|Nghị định|Quyết định|Chỉ thị|Kế hoạch) (số )?\d+/", 15),
        ("phone numbers", r"\b0\d{2,3}[ .]?\d{3}|\b1[89]00\b|\+84|\b115\b", 10),
        ("date ranges", r"\d/\d+\s*[-–]\s*\d|\d-\d+/\d|từ \d+/\d+(/\d+)? đến", 5),
        ("time ranges", r"\d+h\d*\s*[-–]\s*\d+h|từ \d+h\d* đến", 5),
        ("weights", r"\d+ ?kg", 15),
        ("ages", r"\d+ tuổi", 15),
        ("thousands with a dot", r"\d\.\d{3}\b", 8),
        ("decimals with a comma", r"\d,\d", 8),
        ("ordinals", r"thứ \d", 8),
        ("Roman numerals", r"\b(Quý|quý|thứ|khóa|kỷ|đoạn|hội) [IVX]+\b", 8),
        ("months in running text", r"tháng \d{1,2}\b(?!/)", 10),
        ("no number at all", r"^[^0-9]*$", 100),
    ],
)
def test_corpus_covers(kind: str, pattern: str, at_least: int) -> None:
    found = [source for _, source, _ in ENTRIES if re.search(pattern, source)]
    assert len(found) >= at_least, f"only {len(found)} sentences with {kind}"


@pytest.mark.parametrize(("line", "source", "expected"), ENTRIES, ids=[str(e[0]) for e in ENTRIES])
def test_corpus_reading(line: int, source: str, expected: str) -> None:
    assert spell_out(source) == expected, f"reading_corpus.tsv line {line}"


@pytest.mark.parametrize(("line", "source", "expected"), ENTRIES, ids=[str(e[0]) for e in ENTRIES])
def test_corpus_reading_passes_every_check(line: int, source: str, expected: str) -> None:
    assert [f.as_dict() for f in lint_reading(expected, source)] == []


def test_sentences_without_numbers_or_abbreviations_are_read_as_written() -> None:
    plain = [
        (source, expected)
        for _, source, expected in ENTRIES
        if not re.search(r"[0-9]|[A-ZĐ]{2}|[()\[\]/&–•]|^- |\s-\s|T[Pp]\.", source)
    ]
    assert len(plain) >= 100
    assert [(s, e) for s, e in plain if s != e] == []


def test_every_sentence_the_configuration_reads_aloud_is_in_the_corpus() -> None:
    corpus = {source for _, source, _ in ENTRIES}
    sentences = config_sentences()
    assert len(sentences) > 150
    assert [s for s in sentences if s not in corpus] == []
