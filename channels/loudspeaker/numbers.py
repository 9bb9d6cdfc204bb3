"""Vietnamese number words in the Northern (Hà Nội) forms a commune reader uses.

The forms follow everyday broadcast speech: "nghìn" (not "ngàn"), "linh" for a
zero tens digit (105 = "một trăm linh năm"), "mốt" for a final 1 after "mươi",
"tư" for a final 4 after "mươi" (24 = "hai mươi tư", but 4 = "bốn" and 14 =
"mười bốn"), "lăm" for a final 5 after a tens word (15 = "mười lăm"), and
"không trăm" for an empty hundreds place inside a larger number
(2024 = "hai nghìn không trăm hai mươi tư").
"""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# Scale words for groups of three digits below a billion; from "tỷ" upwards the
# words repeat ("một nghìn tỷ"), which number_to_words handles by recursion.
_SCALES = ("", "nghìn", "triệu")
_BILLION = 1_000_000_000

_ROMAN = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

# A written number: digits, optionally with dot thousands separators and a
# decimal comma ("1.250", "2,5", "1.250.000,75").
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")

# Unseparated digit runs this long are identifiers (ID cards, accounts), not amounts.
_IDENTIFIER_DIGITS = 10


def _tens_and_units(n: int) -> str:
    """Words for 1..99 (0 is handled by the callers)."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return DIGITS[unit]
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if unit == 1 and tens > 1:
        words.append("mốt")
    elif unit == 4 and tens > 1:
        words.append("tư")
    elif unit == 5:
        words.append("lăm")
    elif unit:
        words.append(DIGITS[unit])
    return " ".join(words)


def _hundreds(n: int, *, full: bool) -> str:
    """Words for 0..999; ``full`` spells an empty hundreds place ("không trăm linh năm")."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if rest:
        if rest < 10 and words:
            words.append("linh")
        words.append(_tens_and_units(rest))
    return " ".join(words)


def number_to_words(n: int) -> str:
    """Spell a whole number in Northern Vietnamese: 2024 -> "hai nghìn không trăm hai mươi tư"."""
    if n < 0:
        return "âm " + number_to_words(-n)
    if n == 0:
        return DIGITS[0]
    if n >= _BILLION:
        billions, rest = divmod(n, _BILLION)
        head = number_to_words(billions) + " tỷ"
        if not rest:
            return head
        return head + " " + _below_billion(rest, inner=True)
    return _below_billion(n, inner=False)


def _below_billion(n: int, *, inner: bool) -> str:
    """Words for 1..999 999 999; ``inner`` when a larger scale word comes before."""
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        leading = not words and not inner
        words.append(_hundreds(group, full=not leading))
        if _SCALES[index]:
            words.append(_SCALES[index])
    return " ".join(words)


def digits_to_words(digits: str) -> str:
    """Read digits one by one: "0213" -> "không hai một ba"."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def ordinal_to_words(n: int) -> str:
    """The word after "thứ": 1 -> "nhất", 4 -> "tư", otherwise the cardinal."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return number_to_words(n)


def roman_to_int(numeral: str) -> int | None:
    """The value of an upper-case Roman numeral, or None when it is not one."""
    if not numeral or not _ROMAN.fullmatch(numeral):
        return None
    total = 0
    for current, following in zip(numeral, [*numeral[1:], ""], strict=True):
        value = _ROMAN_VALUES[current]
        if following and _ROMAN_VALUES[following] > value:
            total -= value
        else:
            total += value
    return total


def _integer_words(digits: str) -> str:
    """Words for a digit string without separators, minding leading zeros."""
    if len(digits) > 1 and digits[0] == "0":
        # "05 ngày" in administrative style is read "năm ngày"; longer zero-led
        # runs are codes and are read digit by digit.
        if len(digits) <= 3:
            return number_to_words(int(digits))
        return digits_to_words(digits)
    if len(digits) >= _IDENTIFIER_DIGITS:
        return digits_to_words(digits)
    return number_to_words(int(digits))


def _fraction_words(digits: str) -> str:
    """Words after "phẩy": short parts as a number ("2,25" -> "hai mươi lăm"), else digits."""
    if len(digits) > 2 or digits[0] == "0":
        return digits_to_words(digits)
    return number_to_words(int(digits))


def read_number(token: str) -> str:
    """Spell a written number token such as "1.250", "2,5", "05" or "1.5".

    Dots are thousands separators when every group after the first has three
    digits; a comma introduces decimals ("phẩy"). Any other dotted token (a
    section number such as "1.5") is read part by part with "chấm".
    """
    whole, comma, fraction = token.partition(",")
    if _THOUSANDS.fullmatch(whole):
        words = number_to_words(int(whole.replace(".", "")))
    elif "." in whole:
        words = " chấm ".join(_integer_words(part) for part in whole.split(".") if part)
    else:
        words = _integer_words(whole)
    if comma and fraction:
        words += " phẩy " + _fraction_words(fraction)
    return words
