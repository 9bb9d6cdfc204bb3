"""Northern Vietnamese number words."""

from __future__ import annotations

import pytest

from channels.loudspeaker import number_to_words
from channels.loudspeaker.numbers import (
    digits_to_words,
    ordinal_to_words,
    read_number,
    roman_to_int,
)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (31, "ba mươi mốt"),
        (44, "bốn mươi tư"),
        (99, "chín mươi chín"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (104, "một trăm linh bốn"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (350, "ba trăm năm mươi"),
        (1000, "một nghìn"),
        (1005, "một nghìn không trăm linh năm"),
        (1010, "một nghìn không trăm mười"),
        (1250, "một nghìn hai trăm năm mươi"),
        (2024, "hai nghìn không trăm hai mươi tư"),
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (10_000, "mười nghìn"),
        (21_000, "hai mươi mốt nghìn"),
        (100_000, "một trăm nghìn"),
        (1_000_000, "một triệu"),
        (1_000_005, "một triệu không trăm linh năm"),
        (1_050_000, "một triệu không trăm năm mươi nghìn"),
        (3_300_000, "ba triệu ba trăm nghìn"),
        (1_000_000_000, "một tỷ"),
        (2_500_000_000, "hai tỷ năm trăm triệu"),
        (1_000_050_000, "một tỷ không trăm năm mươi nghìn"),
        (1_000_000_000_000, "một nghìn tỷ"),
    ],
)
def test_number_to_words(number: int, words: str) -> None:
    assert number_to_words(number) == words


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("1.250", "một nghìn hai trăm năm mươi"),
        ("1.250.000", "một triệu hai trăm năm mươi nghìn"),
        ("2,5", "hai phẩy năm"),
        ("0,5", "không phẩy năm"),
        ("2,05", "hai phẩy không năm"),
        ("2,25", "hai phẩy hai mươi lăm"),
        ("3,141", "ba phẩy một bốn một"),
        ("05", "năm"),
        ("0213", "không hai một ba"),
        ("1.5", "một chấm năm"),
        ("123456789012", "một hai ba bốn năm sáu bảy tám chín không một hai"),
    ],
)
def test_read_number(token: str, words: str) -> None:
    assert read_number(token) == words


def test_digits_and_ordinals() -> None:
    assert digits_to_words("0912") == "không chín một hai"
    assert [ordinal_to_words(n) for n in (1, 2, 4, 14)] == ["nhất", "hai", "tư", "mười bốn"]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("I", 1), ("IV", 4), ("IX", 9), ("XIV", 14), ("XV", 15), ("XXI", 21), ("MMXXIV", 2024)],
)
def test_roman_to_int(numeral: str, value: int) -> None:
    assert roman_to_int(numeral) == value


@pytest.mark.parametrize("numeral", ["", "IIII", "VV", "IC", "xv", "ABC"])
def test_roman_to_int_rejects(numeral: str) -> None:
    assert roman_to_int(numeral) is None
