"""The reading version: Vietnamese text turned into what a station reader says aloud.

``spell_out`` runs these rule passes in order, each on the output of the last
(order matters: a phone number must not be read as an amount, a date not as a
fraction):

1. Unicode NFC;
2. document numbers ("26/2013/TT-BYT" -> "số hai mươi sáu năm hai nghìn không
   trăm mười ba của Bộ Y tế", the issuer from the abbreviation table, left out
   when the sentence names it: "26/2013/TT-BYT của Bộ Y tế");
3. abbreviations from the editable table (see ``abbreviations`` for matching,
   capitalisation and abbreviations that restate their neighbours), "xã/phường"
   -> "xã hoặc phường", then a few symbols ("≥", "&", "~");
4. phone numbers, read digit by digit in their written groups, comma between
   groups: mobile and landline numbers starting with 0 or +84 (10-11 digits),
   1800/1900 hotlines, and any number after "điện thoại", "hotline", "đường dây
   nóng", "gọi (ngay) (số)", "Zalo" ("gọi 115" -> "gọi một một năm");
5. quarters of a year ("Quý IV/2024"), dates and clock times (see ``dates``),
   "ngày 5 đến ngày 7/4" -> "ngày mồng năm đến …";
6. month names after "tháng" ("tháng 4" -> "tháng tư", "tháng 7, 8" -> "tháng bảy, tám");
7. Roman numerals after "lần thứ", "thứ", "đợt", "kỳ", "khóa", "thế kỷ", "quý",
   "giai đoạn", "phần", "chương", "đại hội", "mục", "phụ lục", "khu vực", "vùng"
   ("lần thứ XV" -> "lần thứ mười lăm");
8. number ranges ("18-60 tuổi" -> "mười tám đến sáu mươi tuổi"), numbers with
   units ("350 ml" -> "ba trăm năm mươi mi-li-lít", "95%", "50.000đ");
9. ordinals after "thứ" (1 -> "nhất", 4 -> "tư": "thứ 2" -> "thứ hai");
10. every other number ("1.250", "2,5", "35/40" -> "ba mươi lăm trên bốn mươi"),
    then units standing alone ("mỗi kg");
11. marks for the eye, not the ear: list bullets go, brackets and dashes between
    words become commas ("Tết sum vầy – Xuân hồng" -> "Tết sum vầy, Xuân hồng").

Words the rules produce are lower case, except at the start of a sentence.
``channels.loudspeaker.lints`` checks what comes out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from channels.loudspeaker.abbreviations import (
    at_sentence_start,
    capitalise,
    default_abbreviations,
    expand_abbreviations,
    repeats_following,
)
from channels.loudspeaker.dates import MONTHS, previous_word, spell_dates, spell_times
from channels.loudspeaker.numbers import (
    digits_to_words,
    number_to_words,
    ordinal_to_words,
    read_number,
    roman_to_int,
)

DEFAULT_RATE_PER_MINUTE = 190
# How far after a document number its issuer may already be named ("… ngày 12/9/2013 của Bộ Y tế").
_ISSUER_LOOKAHEAD = 80

UNITS = {
    "%": "phần trăm",
    "ml": "mi-li-lít",
    "mL": "mi-li-lít",
    "l": "lít",
    "kg": "ki-lô-gam",
    "Kg": "ki-lô-gam",
    "g": "gam",
    "mg": "mi-li-gam",
    "km": "ki-lô-mét",
    "m": "mét",
    "cm": "xen-ti-mét",
    "mm": "mi-li-mét",
    "m2": "mét vuông",
    "km2": "ki-lô-mét vuông",
    "km²": "ki-lô-mét vuông",
    "m²": "mét vuông",
    "ha": "héc-ta",
    "mmHg": "mi-li-mét thủy ngân",
    "g/l": "gam trên lít",
    "g/dl": "gam trên đề-xi-lít",
    "°C": "độ C",
    "đ": "đồng",
    "VNĐ": "đồng",
    "VND": "đồng",
    "đồng": "đồng",
    "tr": "triệu",
}

# Units unambiguous enough to spell out with no number before them ("9 ml cho mỗi kg").
_BARE_UNITS = ("kg", "km", "ml", "mg", "cm", "mm", "km²", "m²", "mmHg")
_BARE_UNIT = re.compile(
    r"(?<![\w/])("
    + "|".join(sorted(map(re.escape, _BARE_UNITS), key=len, reverse=True))
    + r")(?!\w)"
)
_SYMBOLS = {"≥": "lớn hơn hoặc bằng", "≤": "nhỏ hơn hoặc bằng", "&": "và", "~": "khoảng"}
_SYMBOL_PATTERN = re.compile("|".join(re.escape(s) for s in _SYMBOLS))

_NUM = r"\d+(?:[.,]\d+)*"
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUMBER_RANGE = re.compile(
    rf"(?<![\w.,/])({_NUM})\s*[-–]\s*({_NUM})(?:\s?({_UNIT})(?!\w))?(?![\d/]|[.,]\d)"
)
_NUMBER_UNIT = re.compile(rf"(?<![\w.,/])({_NUM})\s?({_UNIT})(?!\w)")
_FRACTION = re.compile(rf"(?<![\w.,/])({_NUM})/({_NUM})(?![\w/])")
_NUMBER = re.compile(_NUM)

_DOCUMENT = re.compile(
    r"(?<![\w/])(\d{1,5})(?:/(\d{4}))?/([A-ZĐ][A-ZĐa-z0-9]*(?:-[A-ZĐ][A-ZĐa-z0-9]*)*)(?![\w/])"
)
_PHONE_KEYWORD = re.compile(
    r"(?i)(?<!\w)(điện thoại|hotline|đường dây nóng|gọi(?:\s+ngay)?(?:\s+số)?|zalo)(\s*:?\s*)"
    r"(\+?\d+(?:[ .-]\d+)*)(?![\w]|[.,]\d)"
)
_PHONE = re.compile(r"(?<![\w.,/+])(\+84[ .]?|0)(\d{2,10})((?:[ .-]\d{2,4}){0,3})(?![\w]|[.,/]\d)")
_HOTLINE = re.compile(r"(?<![\w.,/])(1[89]00)((?:[ .]?\d{2,4}){1,2})(?![\w]|[.,/]\d)")
_ROMAN_AFTER = re.compile(
    r"(?<!\w)(?i:(lần thứ|thứ|đợt|kỳ|kì|khóa|khoá|thế kỷ|quý|giai đoạn|phần|chương"
    r"|đại hội|mục|phụ lục|khu vực|vùng))"
    r"(\s+)([IVXLCDM]+)(?!\w)"
)
# "Quý IV/2024", "quý 4/2024": the quarter of a year.
_QUARTER_YEAR = re.compile(r"(?<!\w)(?i:(quý))(\s+)([IV]+|[1-4])\s*/\s*(\d{4})(?![\w/])")
# "ngày 5 tháng 4", "ngày 5 đến ngày 7/4": a day of the month 1 to 10 takes "mồng";
# "ngày 2 lần" (twice a day) is not a date and is left alone.
_DAY_OF_MONTH = re.compile(
    r"(?<!\w)(?i:(ngày))(\s+)(0?[1-9]|10)"
    r"(?=\s+(?:tháng|đến|và|hoặc)\b|\s*[,–-]\s*(?:ngày\s+)?\d)"
)
_ORDINAL = re.compile(r"(?<!\w)(?i:(thứ))(\s+)(\d+)(?![\w/]|[.,]\d)")
# "tháng 4", "tháng 7, 8 và 9": a bare number after "tháng" names a month (April is
# "tháng tư", not "tháng bốn"); "4 tháng" (a duration) is left to the number rules.
_MONTH_NUMBER = r"(?:1[0-2]|0?[1-9])(?![\w/:]|[.,]\d)"
_MONTH_LIST = re.compile(
    rf"(?<!\w)(?i:(tháng))(\s+)({_MONTH_NUMBER}"
    rf"(?:(?:\s*,\s*|\s*[-–]\s*|\s+(?:và|hoặc|đến|hay)\s+)(?:(?i:tháng)\s+)?{_MONTH_NUMBER})*)"
)
_MONTH_IN_LIST = re.compile(r"\d+")
# Marks a reader does not say: list bullets, brackets, dashes and slashes between words.
_BULLET = re.compile(r"(?m)^([ \t]*)[-–—•*+][ \t]+")
_BRACKET_OPEN = re.compile(r"\s*[(\[]\s*")
_BRACKET_CLOSE = re.compile(r"\s*[)\]]")
_WORD_DASH = re.compile(r"(?<=\w)[ \t]*[–—][ \t]*(?=\w)|[ \t]+[-–—][ \t]+")
# Between two words of two letters or more, so units ("g/l", "km/h") and dates are not touched.
_WORD_SLASH = re.compile(r"(?<=[^\W\d_]{2})/(?=[^\W\d_]{2})")
# "60 lần/phút", "50.000đ/người": a slash before a unit of time or of counting means "per".
_PER = r"(?:giây|phút|giờ|ngày|tuần|tháng|quý|năm|lần|người|suất|buổi|ca|đợt)(?!\w)"
_PER_SLASH = re.compile(rf"(?<=[^\W\d_])[ \t]*/[ \t]*(?={_PER})")
_COMMA_BEFORE_MARK = re.compile(r"[ \t]*,[ \t]*(?=[.!?;:…,\n]|$)")
_COMMA_AFTER_MARK = re.compile(r"(?<=[.!?;:…])[ \t]*,")
_COMMA_AT_LINE_START = re.compile(r"(?m)^[ \t]*,[ \t]*")
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+(?=[.!?;:,…])")
_SPACES = re.compile(r"[ \t]{2,}")
_WORD = re.compile(r"[^\W_]+")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _finish(text: str, start: int, words: str) -> str:
    return capitalise(words) if at_sentence_start(text, start) else words


def _spaced(text: str, start: int, end: int, words: str) -> str:
    """Keep spoken words apart from letters glued to the number ("COVID-19", "2b")."""
    if start > 0 and text[start - 1].isalpha():
        words = " " + words
    if end < len(text) and text[end].isalpha():
        words += " "
    return _finish(text, start, words)


def _document(text: str, table: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        words = "" if previous_word(match.string, match.start()) == "số" else "số "
        words += number_to_words(int(match.group(1)))
        if match.group(2):
            words += " năm " + number_to_words(int(match.group(2)))
        # "QĐ-UBND": the kind of document, then its issuer; a lone "QĐ" names no issuer.
        _kind, dash, issuer_code = match.group(3).rpartition("-")
        issuer = table.get(issuer_code) if dash else None
        # "26/2013/TT-BYT ngày 12/9/2013 của Bộ Y tế": the sentence names the issuer itself.
        if issuer and not any(
            repeats_following(match.string, match.end(), said, limit=_ISSUER_LOOKAHEAD)
            for said in (issuer, issuer_code)
        ):
            words += " của " + issuer
        return _finish(match.string, match.start(), words)

    return _DOCUMENT.sub(replace, text)


def _phone_groups(groups: list[str]) -> str:
    return ", ".join(digits_to_words(group) for group in groups)


def _split_unseparated(digits: str) -> list[str]:
    """Conventional groups for a phone number written without separators."""
    if len(digits) == 10:
        return [digits[:4], digits[4:7], digits[7:]]
    if len(digits) == 11:
        return [digits[:4], digits[4:8], digits[8:]]
    return [digits[i : i + 3] for i in range(0, len(digits), 3)]


def _phone(match: re.Match[str]) -> str:
    prefix = match.group(1)
    offset = len(prefix)
    groups = list(re.finditer(r"\d+", match.group()[offset:]))
    # Take the longest run of groups that makes a whole number (9 or 10 digits
    # after the 0 or +84); a number written after it ("0912345678 350 người")
    # is left for the amount rules.
    for count in range(len(groups), 0, -1):
        taken = [g.group() for g in groups[:count]]
        if sum(len(g) for g in taken) not in (9, 10):
            continue
        if prefix == "0":
            taken[0] = "0" + taken[0]
        if count == 1:
            taken = _split_unseparated(taken[0])
        words = _phone_groups(taken)
        if prefix != "0":
            words = "cộng tám bốn, " + words
        rest = match.group()[offset + groups[count - 1].end() :]
        return _finish(match.string, match.start(), words) + rest
    return match.group()


def _hotline(match: re.Match[str]) -> str:
    groups = [match.group(1), *re.findall(r"\d+", match.group(2))]
    if sum(len(g) for g in groups) not in (8, 10):
        return match.group()
    return _finish(match.string, match.start(), _phone_groups(groups))


def _phone_keyword(match: re.Match[str]) -> str:
    number = match.group(3)
    if sum(c.isdigit() for c in number) < 3:
        return match.group()
    groups = re.findall(r"\d+", number)
    words = _phone_groups(groups)
    if number.startswith("+"):
        words = "cộng " + words
    return match.group(1) + match.group(2) + words


# "(0213) 3876 543": an area code in brackets is the number's first group.
_AREA_CODE = re.compile(r"\((0\d{2,3})\)[ \t]*(?=\d)")


# "0213.3876.543 - 0912.345.678": two numbers to choose from, not a range.
_PHONE_PAIR = re.compile(
    r"(?<![\w/.,+])((?:\+84|0)\d[\d .]{7,13}\d)[ \t]+[-–/][ \t]+(?=(?:\+84|0)\d)"
)


def _phone_pair(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group(1))
    return match.group(1) + " hoặc " if 10 <= digits <= 12 else match.group()


def _spell_phones(text: str) -> str:
    text = _AREA_CODE.sub(r"\1 ", text)
    text = _PHONE_PAIR.sub(_phone_pair, text)
    text = _PHONE.sub(_phone, text)
    text = _HOTLINE.sub(_hotline, text)
    # Last, so that only short service numbers ("gọi 115") are left for it.
    return _PHONE_KEYWORD.sub(_phone_keyword, text)


def _roman(match: re.Match[str]) -> str:
    value = roman_to_int(match.group(3))
    if value is None:
        return match.group()
    trigger = match.group(1)
    words = ordinal_to_words(value) if trigger.lower().endswith("thứ") else number_to_words(value)
    return trigger + match.group(2) + words


def _ordinal(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2) + ordinal_to_words(int(match.group(3)))


def _number_range(match: re.Match[str]) -> str:
    words = read_number(match.group(1)) + " đến " + read_number(match.group(2))
    if match.group(3):
        words += " " + UNITS[match.group(3)]
    return _spaced(match.string, match.start(), match.end(), words)


def _number_unit(match: re.Match[str]) -> str:
    words = read_number(match.group(1)) + " " + UNITS[match.group(2)]
    return _spaced(match.string, match.start(), match.end(), words)


def _fraction(match: re.Match[str]) -> str:
    words = read_number(match.group(1)) + " trên " + read_number(match.group(2))
    return _spaced(match.string, match.start(), match.end(), words)


def _number(match: re.Match[str]) -> str:
    return _spaced(match.string, match.start(), match.end(), read_number(match.group()))


def _day_of_month(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2) + "mồng " + number_to_words(int(match.group(3)))


def _quarter_year(match: re.Match[str]) -> str:
    numeral = match.group(3)
    value = roman_to_int(numeral) if numeral.isalpha() else int(numeral)
    if value is None:
        return match.group()
    words = number_to_words(value) + " năm " + number_to_words(int(match.group(4)))
    return match.group(1) + match.group(2) + words


def _months(match: re.Match[str]) -> str:
    def month(number: re.Match[str]) -> str:
        return MONTHS[int(number.group())]

    return match.group(1) + match.group(2) + _MONTH_IN_LIST.sub(month, match.group(3))


def _for_the_ear(text: str) -> str:
    """Turn marks a reader cannot say into pauses: bullets go, brackets and dashes become commas.

    Runs last, when every number is spelled out, so a remaining dash stands
    between words ("Độc lập - Tự do" -> "Độc lập, Tự do").
    """
    text = _BULLET.sub(r"\1", text)
    text = _PER_SLASH.sub(" mỗi ", text)  # after a unit just spelled: "đồng/người"
    text = _WORD_DASH.sub(", ", text)
    text = _BRACKET_OPEN.sub(", ", text)
    text = _BRACKET_CLOSE.sub(", ", text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    text = _COMMA_AFTER_MARK.sub("", text)
    text = _COMMA_BEFORE_MARK.sub("", text)
    return _COMMA_AT_LINE_START.sub("", text)


def _symbol(match: re.Match[str]) -> str:
    return " " + _SYMBOLS[match.group()] + " "


def spell_out(text: str, abbreviations: Mapping[str, str] | None = None) -> str:
    """Turn Vietnamese text into its reading version; NFC in and out.

    ``abbreviations`` maps abbreviation to expansion; ``None`` uses the table in
    ``config/abbreviations.yaml``; pass ``{}`` to expand none. Expansions are
    inserted as the table writes them (capitalised at a sentence start), and a
    capitalised name head just before a lower-case expansion is lower-cased
    ("tại Hội trường UBND" -> "tại hội trường ủy ban nhân dân"); no other word is
    re-cased. Newlines are kept; runs of spaces are collapsed.
    """
    key = None if abbreviations is None else tuple(sorted(abbreviations.items()))
    return _spell_out_cached(text, key)


@lru_cache(maxsize=8192)
def _spell_out_cached(text: str, table_items: tuple[tuple[str, str], ...] | None) -> str:
    # Bulletins for thousands of communes read the same items and station lines again and
    # again: the reading version of a text is a pure function of the text and the table.
    abbreviations = None if table_items is None else dict(table_items)
    if abbreviations is None:
        table: Mapping[str, str] = default_abbreviations()
    else:
        # The text is NFC from here on, so the keys must be too to match.
        table = {_nfc(key): _nfc(value) for key, value in abbreviations.items()}
    text = _nfc(text)
    text = _document(text, table)
    text = expand_abbreviations(text, table)
    text = _PER_SLASH.sub(" mỗi ", text)  # "lần/phút" -> "lần mỗi phút"
    text = _WORD_SLASH.sub(" hoặc ", text)  # "xã/phường" -> "xã hoặc phường"
    text = _SYMBOL_PATTERN.sub(_symbol, text)
    text = _spell_phones(text)
    text = _QUARTER_YEAR.sub(_quarter_year, text)
    text = spell_dates(text)
    text = _DAY_OF_MONTH.sub(_day_of_month, text)
    text = spell_times(text)
    text = _MONTH_LIST.sub(_months, text)
    text = _ROMAN_AFTER.sub(_roman, text)
    text = _NUMBER_RANGE.sub(_number_range, text)
    text = _NUMBER_UNIT.sub(_number_unit, text)
    text = _ORDINAL.sub(_ordinal, text)
    text = _FRACTION.sub(_fraction, text)
    text = _NUMBER.sub(_number, text)
    text = _BARE_UNIT.sub(lambda m: UNITS[m.group()], text)
    text = _SPACES.sub(" ", text)
    text = _for_the_ear(text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip(" \t") for line in text.split("\n")]
    return _nfc("\n".join(lines))


def count_syllables(text: str, abbreviations: Mapping[str, str] | None = None) -> int:
    """Syllables read aloud: words of the spelled-out text, punctuation and hyphens ignored.

    A written Vietnamese syllable is one space-separated word; hyphenated loan
    words ("mi-li-lít") count one per part.
    """
    return len(_WORD.findall(spell_out(text, abbreviations)))


def reading_seconds(
    text: str,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    abbreviations: Mapping[str, str] | None = None,
) -> int:
    """Seconds needed to read ``text`` once at ``rate_per_minute`` syllables, rounded up."""
    if rate_per_minute <= 0:
        raise ValueError("rate_per_minute must be positive")
    return math.ceil(count_syllables(text, abbreviations) * 60 / rate_per_minute)
