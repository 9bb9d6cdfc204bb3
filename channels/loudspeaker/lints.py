"""Checks on a reading version: what a listener would hear wrong if it were read as it stands.

Each finding names a span of the reading (Python string offsets, which equal
JavaScript's for Vietnamese text: every letter is in the Basic Multilingual Plane).
The checks, by code:

``nfc``
    A letter that is not in Unicode NFC (a decomposed "ệ"): text-to-speech engines
    and search treat it as another word.
``digit``
    An ASCII digit left unspelled ("7h30", "20/12").
``capitals``
    A run of two or more capital letters inside a word ("CCCD", "HMTN", "XIII"),
    unless allow-listed: an acronym read as letters ("HIV") is allowed by writing it
    in the abbreviation table with itself as the expansion (``HIV: HIV``).
``repeat``
    A three-word sequence said again within ``REPEAT_WINDOW`` words ("của Bộ Y tế
    của Bộ Y tế", "phường Tân Phong. phường Tân Phong") when the source does not
    repeat it there. The source is compared in its spelled-out form with every
    abbreviation expanded where it stands and no issuer added after document numbers,
    so repetition the author wrote ("HMTN … HMTN", "20/12 … 20/12") is not flagged.
``punctuation``
    A mark a reader cannot say: ``/ \\ ( ) [ ] { } < > * # @ % & + = ^ | _ ~ § • ≥ ≤ ×``;
    a dash (``-``, ``–``, ``—``) that does not join two letters as a hyphen does
    ("mi-li-lít"); an ellipsis that does not directly follow a word or is doubled
    (" …", "..", "….", "....", "……"); two separators in a row (",,", ",.", ".,", ";:").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import pairwise

from channels.loudspeaker.abbreviations import default_abbreviations
from channels.loudspeaker.reading import spell_out

REPEAT_WINDOW = 12  # words from the start of one occurrence to the start of the next
REPEAT_SIZE = 3

MESSAGES = {
    "nfc": "Ký tự chưa ở dạng Unicode chuẩn (NFC): “{text}”.",
    "digit": "Còn chữ số “{text}” chưa đọc thành chữ.",
    "capitals": "Còn chữ viết tắt “{text}” chưa đọc thành chữ.",
    "repeat": "Cụm từ “{text}” bị lặp lại mà bản gốc không lặp.",
    "punctuation": "Dấu “{text}” không đọc thành lời được.",
}

_DIGITS = re.compile(r"[0-9](?:[0-9.,:/hH-]*[0-9])?")
_WORD = re.compile(r"[^\W_]+")
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:[-.][^\W\d_]+)*")
_DECOMPOSED = re.compile(r".[\u0300-\u036f]+", re.DOTALL)
_PUNCTUATION = re.compile(
    r"[/\\()\[\]{}<>*#@%&+=^|_~§•≥≤×]"
    r"|(?<![^\W\d_])-|-(?![^\W\d_])|[–—]"
    r"|\.{4,}|(?<!\.)\.\.(?!\.)|…{2,}|…\.|\.…"
    r"|(?<=[\s,;:!?])(?:…|\.\.\.)|^(?:…|\.\.\.)"
    r"|[,;:][ \t]*[,;:.!?]|[.!?][ \t]*[,;:]",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Finding:
    """One place in a reading that needs a look: ``text`` is ``reading[start:end]``."""

    code: str
    message: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _finding(code: str, reading: str, start: int, end: int) -> Finding:
    text = reading[start:end]
    return Finding(code, MESSAGES[code].format(text=text), start, end, text)


def allowed_capitals(table: Mapping[str, str]) -> frozenset[str]:
    """Acronyms read as letters: table entries whose expansion is the abbreviation itself."""
    return frozenset(key for key, value in table.items() if key == value)


def _nfc(reading: str) -> list[Finding]:
    if unicodedata.is_normalized("NFC", reading):
        return []
    found = [
        _finding("nfc", reading, m.start(), m.end())
        for m in _DECOMPOSED.finditer(reading)
        if unicodedata.normalize("NFC", m.group()) != m.group()
    ]
    return found or [_finding("nfc", reading, 0, len(reading))]


def _digits(reading: str) -> list[Finding]:
    return [_finding("digit", reading, m.start(), m.end()) for m in _DIGITS.finditer(reading)]


def _has_capital_run(word: str) -> bool:
    return any(a.isupper() and b.isupper() for a, b in pairwise(word))


def _capitals(reading: str, allowed: Iterable[str]) -> list[Finding]:
    allow = set(allowed)
    found = []
    for match in _LETTER_WORD.finditer(reading):
        word = match.group()
        if word.lower() == word or not _has_capital_run(word):
            continue  # the common case, decided without looking letter by letter twice
        if word in allow or word.rstrip(".") in allow:
            continue
        # "HIV-AIDS": every part with capitals has to be allowed on its own.
        parts = [part for part in re.split(r"[-.]", word) if _has_capital_run(part)]
        if parts and not all(part in allow for part in parts):
            found.append(_finding("capitals", reading, match.start(), match.end()))
    return found


def _punctuation(reading: str) -> list[Finding]:
    return [
        _finding("punctuation", reading, m.start(), m.end()) for m in _PUNCTUATION.finditer(reading)
    ]


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _close_repeats(words: list[str]) -> list[tuple[tuple[str, ...], int]]:
    """(sequence, index of the later occurrence) for each sequence said again within the window."""
    repeats = []
    last_seen: dict[tuple[str, ...], int] = {}
    for index in range(len(words) - REPEAT_SIZE + 1):
        gram = tuple(words[index : index + REPEAT_SIZE])
        earlier = last_seen.get(gram)
        if earlier is not None and index - earlier <= REPEAT_WINDOW:
            repeats.append((gram, index))
        last_seen[gram] = index
    return repeats


def source_as_heard(source: str, table: Mapping[str, str]) -> str:
    """The source spelled out literally: abbreviations expanded in place, no issuer added.

    What the author's own words repeat is judged on this text, not on the reading.
    """
    if table:
        ordered = sorted(table, key=lambda k: (-len(k), k))
        # Not inside a document code ("TT-BYT"): spell_out reads those as numbers.
        pattern = re.compile(
            r"(?<![\w/-])(?:" + "|".join(re.escape(k) for k in ordered) + r")(?![\w/])"
        )
        source = pattern.sub(lambda m: table[m.group()], unicodedata.normalize("NFC", source))
    return spell_out(source, {})


def _repeats(reading: str, source: str | None, table: Mapping[str, str]) -> list[Finding]:
    matches = _words(reading)
    words = [m.group().casefold() for m in matches]
    repeats = _close_repeats(words)
    if not repeats:
        return []
    allowance: dict[tuple[str, ...], int] = {}
    if source is not None:
        heard = [m.group().casefold() for m in _words(source_as_heard(source, table))]
        for gram, _ in _close_repeats(heard):
            allowance[gram] = allowance.get(gram, 0) + 1
    spans: list[tuple[int, int]] = []
    for gram, index in repeats:
        if allowance.get(gram, 0) > 0:
            allowance[gram] -= 1
            continue
        start, end = index, index + REPEAT_SIZE - 1
        if spans and start <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], end)  # one finding for "của Bộ Y tế" said twice
        else:
            spans.append((start, end))
    return [
        _finding("repeat", reading, matches[first].start(), matches[last].end())
        for first, last in spans
    ]


def lint_reading(
    reading: str,
    source: str | None = None,
    abbreviations: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every finding on ``reading`` (the text read aloud), in order of position.

    ``source`` is the text it was made from (the content's body), used to tell a
    repetition the author wrote from one the reading added; without it every close
    repetition is reported. ``abbreviations`` defaults to the shipped table.
    """
    table = default_abbreviations() if abbreviations is None else dict(abbreviations)
    digits = _digits(reading)
    # "20/12/2024" is one unspelled number, not a number and two slashes.
    marks = [
        f for f in _punctuation(reading) if not any(d.start <= f.start < d.end for d in digits)
    ]
    findings = [
        *_nfc(reading),
        *digits,
        *_capitals(reading, allowed_capitals(table)),
        *marks,
        *_repeats(reading, source, table),
    ]
    return sorted(findings, key=lambda f: (f.start, f.end, f.code))


# A sentence ends at ".", "!", "?" or "…" followed by a space, unless the word before the
# dot is an abbreviation that keeps its dot ("TP. Lai Châu").
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\s]+(?=\S)")


def split_sentences(text: str, abbreviations: Mapping[str, str] | None = None) -> list[str]:
    """The sentences of ``text``, line by line, in NFC; blank lines are dropped."""
    table = default_abbreviations() if abbreviations is None else abbreviations
    dotted = {key for key in table if key.endswith(".")}
    sentences: list[str] = []
    for line in unicodedata.normalize("NFC", text).splitlines():
        current = ""
        position = 0
        for match in _SENTENCE_BREAK.finditer(line):
            piece = line[position : match.start()]
            last_word = (current + piece).rsplit(None, 1)[-1] if (current + piece).strip() else ""
            current += piece
            if last_word in dotted:
                current += match.group()
            else:
                sentences.append(current.strip())
                current = ""
            position = match.end()
        current += line[position:]
        if current.strip():
            sentences.append(current.strip())
    return sentences
