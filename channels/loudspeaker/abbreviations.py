"""The editable abbreviation table and its expansion in the reading version.

Matching is whole-word and case-sensitive ("TP." needs its dot; "Tp" is not
"TP"), longest abbreviation first, so "TP." wins over "TP" and keeps its dot out of the text.

Capitalisation rule (the reading version is for the ear, so case only has to be
sensible for the person reading it):

* an expansion is inserted as the table writes it: common nouns in lower case
  ("ủy ban nhân dân"), proper names capitalised ("Mặt trận Tổ quốc");
* at the start of a sentence or line the first letter is capitalised;
* mid-sentence, when a lower-case expansion follows a name head — one
  capitalised word plus at most two lower-case words, itself preceded by a
  lower-case word or a comma ("tại Hội trường UBND") — the head is lower-cased
  ("tại hội trường ủy ban nhân dân"), because it was capitalised only as the
  start of a name built on the abbreviation, which now reads as common nouns.
  A run of capitalised words ("Ban Chỉ đạo HMTN", "Lai Châu HMTN") is a proper
  name and is left alone, and so is the name of a day or campaign ("Ngày toàn dân
  HMTN"). Other words are never re-cased.

An abbreviation is never read together with its own expansion: it is dropped where
the expansion follows it ("TTYT trung tâm y tế") or stands just before it in brackets
("căn cước công dân (CCCD)"), and "HMTN (hiến máu tình nguyện)" reads the words once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

# The table shipped with the service; the web layer may pass its own instead.
DEFAULT_ABBREVIATIONS_PATH = Path(__file__).resolve().parents[2] / "config" / "abbreviations.yaml"

_SENTENCE_END = ".!?…"
# A colon starts a new phrase: a name after "Địa điểm:" keeps its capital.
_PHRASE_END = _SENTENCE_END + ":"
_MAX_HEAD_TAIL = 2  # lower-case words allowed between a name head and the abbreviation
_LOOKBACK = 120  # characters examined before an abbreviation for a name head
# Names of days and campaigns ("Ngày toàn dân HMTN", "Tháng hành động …") stay names.
_EVENT_HEADS = frozenset({"Ngày", "Tuần", "Tháng"})


def parse_abbreviations(yaml_text: str) -> dict[str, str]:
    """Parse the YAML table (a mapping ``ABBR: expansion``); ValueError when malformed."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        raise ValueError(f"abbreviation table is not valid YAML: {error}") from error
    if data is None:
        return {}
    if isinstance(data, Mapping) and "abbreviations" in data:
        data = data["abbreviations"]
    if not isinstance(data, Mapping):
        raise ValueError("abbreviation table must be a mapping of abbreviation to expansion")
    table: dict[str, str] = {}
    for key, value in data.items():
        # YAML 1.1 reads bare NO, ON, Y… as booleans: ask for quotes instead of guessing.
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"abbreviation {key!r} must be a string (quote it in the YAML)")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expansion of {key!r} must be a non-empty string")
        table[_nfc(key.strip())] = _nfc(" ".join(value.split()))
    return table


def load_abbreviations(path: str | Path) -> dict[str, str]:
    """Read and parse an abbreviation table file."""
    return parse_abbreviations(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _default_table() -> tuple[tuple[str, str], ...]:
    return tuple(load_abbreviations(DEFAULT_ABBREVIATIONS_PATH).items())


def default_abbreviations() -> dict[str, str]:
    """The table in ``config/abbreviations.yaml`` (read once, then cached)."""
    return dict(_default_table())


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=32)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keys:
        return None
    ordered = sorted(keys, key=lambda k: (-len(k), k))
    alternatives = "|".join(re.escape(k) for k in ordered)
    # A key ending in a dot ("TP.") must not be followed by a letter either; the
    # lookarounds use \w so Vietnamese letters count as word characters.
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def compile_table(table: Mapping[str, str]) -> re.Pattern[str] | None:
    """The matching pattern for a table (cached per set of keys)."""
    return _pattern(tuple(sorted(table)))


def at_sentence_start(text: str, position: int) -> bool:
    """True when only spaces separate ``position`` from a sentence end, line start or text start."""
    index = position - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    return index < 0 or text[index] in "\n\r" or text[index] in _SENTENCE_END


def capitalise(text: str) -> str:
    """Upper-case the first letter only."""
    return text[:1].upper() + text[1:]


def _is_title_word(word: str) -> bool:
    return len(word) > 1 and word.isalpha() and word[0].isupper() and word[1:].islower()


def _name_head(text: str, end: int) -> tuple[int, int] | None:
    """The span of a capitalised name head just before ``end`` that should be lower-cased."""
    start = max(0, end - _LOOKBACK)
    tokens = list(re.finditer(r"\S+", text[start:end]))
    if start > 0 and tokens:
        tokens = tokens[1:]  # the first token may be cut in half
    index = len(tokens) - 1
    tail = 0
    while index >= 0 and tail < _MAX_HEAD_TAIL and tokens[index].group().isalpha():
        if not tokens[index].group().islower():
            break
        index -= 1
        tail += 1
    if index < 0 or not _is_title_word(tokens[index].group()):
        return None
    if tokens[index].group() in _EVENT_HEADS:
        return None
    head = tokens[index]
    head_start = start + head.start()
    if index == 0 or at_sentence_start(text, head_start):
        return None
    if tokens[index - 1].group().endswith(tuple(_PHRASE_END)):
        return None
    before = tokens[index - 1].group()
    gap = text[start + tokens[index - 1].end() : head_start]
    if "\n" in gap:
        return None
    if not (before.islower() or before.endswith(",")):
        return None
    return head_start, start + head.end()


_FOLD_WORD = re.compile(r"[^\W_]+")


def fold_words(text: str) -> list[str]:
    """The words of ``text``, NFC and case-folded, punctuation dropped."""
    return [w.casefold() for w in _FOLD_WORD.findall(_nfc(text))]


def repeats_following(text: str, end: int, words: str, *, limit: int | None = None) -> bool:
    """True when the words right after ``end`` already say ``words`` (case and punctuation aside).

    "CCCD căn cước công dân" or "TT-BYT của Bộ Y tế": expanding would say it twice.
    ``limit`` widens the search from "right after" to anywhere in the next ``limit``
    characters of the same sentence.
    """
    wanted = fold_words(words)
    if not wanted:
        return False
    if limit is None:
        return fold_words(text[end : end + 4 * len(words) + 20])[: len(wanted)] == wanted
    rest = text[end : end + limit]
    stop = re.search(r"[.!?…\n]", rest)
    following = fold_words(rest[: stop.start()] if stop else rest)
    return any(
        following[i : i + len(wanted)] == wanted for i in range(len(following) - len(wanted) + 1)
    )


_RESTATED_SLACK = 2  # words allowed between a name and its abbreviation: "Hội CTĐ tỉnh (CTĐ)"


def _repeats_preceding(text: str, start: int, words: str) -> bool:
    wanted = fold_words(words)
    if not wanted:
        return False
    before = fold_words(text[max(0, start - 4 * len(words) - 60) : start])
    tail = before[-(len(wanted) + _RESTATED_SLACK) :]
    return any(tail[i : i + len(wanted)] == wanted for i in range(len(tail) - len(wanted) + 1))


# "(CCCD)" right after "căn cước công dân": the letters only restate what was just said.
_PARENTHESISED = re.compile(r"\s*\(\s*(\S+?)\s*\)")


# "HMTN (hiến máu tình nguyện)": the words in brackets are the expansion itself.
_ABBREVIATION_THEN_BRACKETS = re.compile(r"(?<!\w)(\S+?)\s*\(\s*([^()]+?)\s*\)")


def _drop_restated(text: str, table: Mapping[str, str]) -> str:
    def parenthesised(match: re.Match[str]) -> str:
        expansion = table.get(match.group(1))
        if expansion and _repeats_preceding(match.string, match.start(), expansion):
            return ""
        return match.group()

    def spelled_in_brackets(match: re.Match[str]) -> str:
        expansion = table.get(match.group(1))
        if expansion and fold_words(match.group(2)) == fold_words(expansion):
            return match.group(2)
        return match.group()

    text = _PARENTHESISED.sub(parenthesised, text)
    return _ABBREVIATION_THEN_BRACKETS.sub(spelled_in_brackets, text)


def expand_abbreviations(text: str, table: Mapping[str, str]) -> str:
    """Replace every abbreviation of ``table`` in ``text`` following the module's rules.

    An abbreviation whose expansion is already said right next to it is dropped
    instead of expanded: "căn cước công dân (CCCD)" and "TTYT trung tâm y tế" are
    read once.
    """
    pattern = compile_table(table)
    if pattern is None:
        return text
    text = _drop_restated(text, table)
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    chars = list(text)
    for match in matches:
        if table[match.group()][:1].islower() and not at_sentence_start(text, match.start()):
            head = _name_head(text, match.start())
            # Lower-casing must keep the length so the match offsets stay valid.
            if head is not None and len(chars[head[0]].lower()) == 1:
                chars[head[0]] = chars[head[0]].lower()
    source = "".join(chars)
    pieces: list[str] = []
    last = 0
    for match in matches:
        expansion = table[match.group()]
        if repeats_following(text, match.end(), expansion):
            expansion = ""
        elif at_sentence_start(text, match.start()):
            expansion = capitalise(expansion)
        pieces.append(source[last : match.start()])
        pieces.append(expansion)
        last = match.end()
    pieces.append(source[last:])
    return "".join(pieces)
