"""The reading version: exact outputs of ``spell_out``."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from channels.loudspeaker import (
    count_syllables,
    default_abbreviations,
    load_abbreviations,
    parse_abbreviations,
    reading_seconds,
    spell_out,
)

REPO = Path(__file__).resolve().parents[3]
Y2024 = "hai nghìn không trăm hai mươi tư"
Y2025 = "hai nghìn không trăm hai mươi lăm"

REFERENCE_INPUT = (
    "Đợt HMTN ngày 20/12/2024 lúc 7h30 tại Hội trường UBND TP. Lai Châu, mục tiêu 350 đơn vị máu."
)
# Copied from reference/loudspeaker.md.
REFERENCE_OUTPUT = (
    "Đợt hiến máu tình nguyện ngày hai mươi tháng mười hai năm hai nghìn "
    "không trăm hai mươi tư lúc bảy giờ ba mươi tại hội trường ủy ban nhân dân "
    "thành phố Lai Châu, mục tiêu ba trăm năm mươi đơn vị máu."
)


def test_reference_sentence() -> None:
    assert spell_out(REFERENCE_INPUT) == REFERENCE_OUTPUT


def test_reference_sentence_from_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", REFERENCE_INPUT)
    assert decomposed != REFERENCE_INPUT
    result = spell_out(decomposed)
    assert result == REFERENCE_OUTPUT
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # dates
        ("vào 20/12/2024", f"vào ngày hai mươi tháng mười hai năm {Y2024}"),
        ("ngày 20/12/2024", f"ngày hai mươi tháng mười hai năm {Y2024}"),
        ("Ngày 20/12/2024 khai mạc", f"Ngày hai mươi tháng mười hai năm {Y2024} khai mạc"),
        ("vào 20-12-2024", f"vào ngày hai mươi tháng mười hai năm {Y2024}"),
        ("vào 20.12.2024", f"vào ngày hai mươi tháng mười hai năm {Y2024}"),
        ("ngày 14/6", "ngày mười bốn tháng sáu"),
        ("hưởng ứng 14/6", "hưởng ứng ngày mười bốn tháng sáu"),
        ("ngày 7/4", "ngày mồng bảy tháng tư"),
        ("ngày 5/1/2025", f"ngày mồng năm tháng một năm {Y2025}"),
        ("ngày 10/10", "ngày mồng mười tháng mười"),
        ("ngày 11/11", "ngày mười một tháng mười một"),
        ("ngày 28/11/2025", f"ngày hai mươi tám tháng mười một năm {Y2025}"),
        ("ngày 31/12", "ngày ba mươi mốt tháng mười hai"),
        ("tháng 12/2024", f"tháng mười hai năm {Y2024}"),
        ("trong 12/2024", f"trong tháng mười hai năm {Y2024}"),
        (
            "từ 20/12 đến 22/12",
            "từ ngày hai mươi tháng mười hai đến ngày hai mươi hai tháng mười hai",
        ),
        (
            "diễn ra 20-22/12/2024",
            f"diễn ra từ ngày hai mươi đến ngày hai mươi hai tháng mười hai năm {Y2024}",
        ),
        (
            "ngày 20-22/12/2024",
            f"ngày hai mươi đến ngày hai mươi hai tháng mười hai năm {Y2024}",
        ),
        (
            "từ ngày 20-22/12/2024",
            f"từ ngày hai mươi đến ngày hai mươi hai tháng mười hai năm {Y2024}",
        ),
        (
            "diễn ra 30/12/2024 - 2/1/2025",
            f"diễn ra từ ngày ba mươi tháng mười hai năm {Y2024} "
            f"đến ngày mồng hai tháng một năm {Y2025}",
        ),
        ("ngày 32/13/2024", "ngày ba mươi hai/mười ba/hai nghìn không trăm hai mươi tư"),
        # times
        ("lúc 7h30", "lúc bảy giờ ba mươi"),
        ("lúc 7h", "lúc bảy giờ"),
        ("lúc 7h00", "lúc bảy giờ"),
        ("lúc 07:30", "lúc bảy giờ ba mươi"),
        ("lúc 13:00", "lúc mười ba giờ"),
        ("lúc 7 giờ 30", "lúc bảy giờ ba mươi"),
        ("lúc 7h05", "lúc bảy giờ năm phút"),
        ("lúc 17h45", "lúc mười bảy giờ bốn mươi lăm"),
        ("tiếp nhận 7h00-11h30", "tiếp nhận từ bảy giờ đến mười một giờ ba mươi"),
        ("từ 7h00 - 11h30", "từ bảy giờ đến mười một giờ ba mươi"),
        ("tiếp nhận 7:00–11:30", "tiếp nhận từ bảy giờ đến mười một giờ ba mươi"),
        ("tiếp nhận 7-11h", "tiếp nhận từ bảy giờ đến mười một giờ"),
        # percentages
        ("đạt 95%", "đạt chín mươi lăm phần trăm"),
        ("đạt 2,5%", "đạt hai phẩy năm phần trăm"),
        ("đạt 100 %", "đạt một trăm phần trăm"),
        ("từ 90-95%", "từ chín mươi đến chín mươi lăm phần trăm"),
        # phones
        ("số 0213 3876 543", "số không hai một ba, ba tám bảy sáu, năm bốn ba"),
        ("gọi 0912.345.678", "gọi không chín một hai, ba bốn năm, sáu bảy tám"),
        ("gọi 0912345678", "gọi không chín một hai, ba bốn năm, sáu bảy tám"),
        ("hotline 1900 1234", "hotline một chín không không, một hai ba bốn"),
        ("gọi 115", "gọi một một năm"),
        ("số +84 912 345 678", "số cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám"),
        ("ĐT: 0912 345 678", "Điện thoại: không chín một hai, ba bốn năm, sáu bảy tám"),
        # Roman numerals and ordinals
        ("lần thứ XV", "lần thứ mười lăm"),
        ("lần thứ IV", "lần thứ tư"),
        ("lần thứ I", "lần thứ nhất"),
        ("Đợt II", "Đợt hai"),
        ("kỳ IV", "kỳ bốn"),
        ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
        ("lần thứ 2", "lần thứ hai"),
        ("vào thứ 4", "vào thứ tư"),
        ("vào thứ 7, ngày 14/6", "vào thứ bảy, ngày mười bốn tháng sáu"),
        ("về thứ 1", "về thứ nhất"),
        ("Phòng IV", "Phòng IV"),
        # units and money
        ("hiến 350 ml", "hiến ba trăm năm mươi mi-li-lít"),
        ("hiến 350ml", "hiến ba trăm năm mươi mi-li-lít"),
        ("nặng 45 kg", "nặng bốn mươi lăm ki-lô-gam"),
        ("cách 5km", "cách năm ki-lô-mét"),
        ("hỗ trợ 50.000đ", "hỗ trợ năm mươi nghìn đồng"),
        ("hỗ trợ 50.000 VNĐ", "hỗ trợ năm mươi nghìn đồng"),
        ("hỗ trợ 1.000.000 đồng", "hỗ trợ một triệu đồng"),
        ("huyết sắc tố ≥ 120 g/l", "huyết sắc tố lớn hơn hoặc bằng một trăm hai mươi gam trên lít"),
        ("có 5 đơn vị", "có năm đơn vị"),
        ("Thời gian: 7h30", "Thời gian: bảy giờ ba mươi"),
        ("5 đơn vị", "Năm đơn vị"),
        # plain numbers, ranges, fractions
        ("có 1.250 người", "có một nghìn hai trăm năm mươi người"),
        ("cấp 05 bản", "cấp năm bản"),
        ("từ 18-60 tuổi", "từ mười tám đến sáu mươi tuổi"),
        ("đạt 35/40 xã", "đạt ba mươi lăm trên bốn mươi xã"),
        ("350 đơn vị máu.", "Ba trăm năm mươi đơn vị máu."),
        ("phòng COVID-19", "phòng COVID-mười chín"),
        # document numbers
        (
            "Thông tư 26/2013/TT-BYT",
            "Thông tư số hai mươi sáu năm hai nghìn không trăm mười ba của Bộ Y tế",
        ),
        ("Kế hoạch số 123/KH-UBND", "Kế hoạch số một trăm hai mươi ba của ủy ban nhân dân"),
        ("Quyết định 45/QĐ", "Quyết định số bốn mươi lăm"),
    ],
)
def test_spell_out(text: str, spoken: str) -> None:
    assert spell_out(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Đợt HMTN năm nay", "Đợt hiến máu tình nguyện năm nay"),
        ("HMTN là nghĩa cử cao đẹp.", "Hiến máu tình nguyện là nghĩa cử cao đẹp."),
        ("tại Hội trường UBND xã", "tại hội trường ủy ban nhân dân xã"),
        ("tại Nhà văn hóa UBND xã", "tại nhà văn hóa ủy ban nhân dân xã"),
        ("Địa điểm: Hội trường UBND xã", "Địa điểm: Hội trường ủy ban nhân dân xã"),
        ("Ban Chỉ đạo HMTN tỉnh", "Ban Chỉ đạo hiến máu tình nguyện tỉnh"),
        ("tuổi trẻ Lai Châu HMTN", "tuổi trẻ Lai Châu hiến máu tình nguyện"),
        ("Ủy ban MTTQ VN", "Ủy ban Mặt trận Tổ quốc Việt Nam"),
        ("Hội CTĐ tỉnh", "Hội Chữ thập đỏ tỉnh"),
        ("BCĐ và TTYT", "Ban chỉ đạo và trung tâm y tế"),
        ("học sinh THPT, CBCNVC", "học sinh trung học phổ thông, cán bộ công nhân viên chức"),
        ("các ĐVTN và BHXH", "các đoàn viên thanh niên và bảo hiểm xã hội"),
        ("Sở GD&ĐT", "Sở giáo dục và đào tạo"),
        ("HĐND và TƯ, TW", "Hội đồng nhân dân và trung ương, trung ương"),
        ("ở TP. Lai Châu", "ở thành phố Lai Châu"),
        ("ở TP Lai Châu", "ở thành phố Lai Châu"),
        ("các HMTNX, hmtn, Hmtn", "các HMTNX, hmtn, Hmtn"),
        ("BVĐK tỉnh", "Bệnh viện đa khoa tỉnh"),
    ],
)
def test_abbreviations(text: str, spoken: str) -> None:
    assert spell_out(text) == spoken


def test_custom_table_longest_first_and_case_sensitive() -> None:
    table = {"UB": "ủy ban", "UBND": "ủy ban nhân dân", "Tp.": "thành phố"}
    assert spell_out("UBND và UB, Tp. Lai Châu, TP.", table) == (
        "Ủy ban nhân dân và ủy ban, thành phố Lai Châu, TP."
    )
    assert spell_out("HMTN 2025", {}) == "HMTN hai nghìn không trăm hai mươi lăm"


def test_newlines_and_spaces_are_kept_tidy() -> None:
    assert spell_out("Dòng  một 1\n  dòng hai 2  ") == "Dòng một một\ndòng hai hai"


def test_parse_abbreviations() -> None:
    table = parse_abbreviations('HMTN: hiến  máu tình nguyện\n"TP.": thành phố\n')
    assert table == {"HMTN": "hiến máu tình nguyện", "TP.": "thành phố"}
    assert parse_abbreviations("") == {}
    assert parse_abbreviations("abbreviations:\n  VN: Việt Nam\n") == {"VN": "Việt Nam"}


@pytest.mark.parametrize(
    "yaml_text",
    ["- a\n- b\n", "NO: không\n", "HMTN: ''\n", "HMTN: [1, 2]\n", "a: [\n"],
)
def test_parse_abbreviations_rejects(yaml_text: str) -> None:
    with pytest.raises(ValueError):
        parse_abbreviations(yaml_text)


def test_shipped_table() -> None:
    table = load_abbreviations(REPO / "config" / "abbreviations.yaml")
    assert table == default_abbreviations()
    for key in ("HMTN", "UBND", "TP.", "BCĐ", "MTTQ", "CTĐ", "TTYT", "BV", "BHXH", "THPT"):
        assert key in table
    for key in ("CBCNVC", "ĐVTN", "HĐND", "TW", "TƯ", "VN"):
        assert key in table
    assert table["UBND"] == "ủy ban nhân dân"
    assert all(unicodedata.is_normalized("NFC", k + v) for k, v in table.items())


@pytest.mark.parametrize(
    ("text", "syllables"),
    [
        ("", 0),
        ("Kính thưa bà con nhân dân!", 6),
        ("ngày 20/12/2024", 14),
        ("350 ml", 7),
        ("HMTN", 4),
        (REFERENCE_INPUT, 44),
    ],
)
def test_count_syllables(text: str, syllables: int) -> None:
    assert count_syllables(text) == syllables


def test_date_alone_after_ngay_is_thirteen_syllables() -> None:
    # The reference's "20/12/2024 alone is 13 syllables" counts the date words;
    # our standalone date adds the word "ngày".
    assert count_syllables("ngày 20/12/2024") - count_syllables("ngày") == 13


@pytest.mark.parametrize(
    ("text", "rate", "seconds"),
    [
        ("", 190, 0),
        ("một", 190, 1),
        (" ".join(["tiếng"] * 190), 190, 60),
        (" ".join(["tiếng"] * 191), 190, 61),
        (" ".join(["tiếng"] * 95), 190, 30),
        (" ".join(["tiếng"] * 100), 200, 30),
        (REFERENCE_INPUT, 190, 14),
    ],
)
def test_reading_seconds(text: str, rate: int, seconds: int) -> None:
    assert reading_seconds(text, rate) == seconds


def test_reading_seconds_rejects_bad_rate() -> None:
    with pytest.raises(ValueError):
        reading_seconds("một", 0)
