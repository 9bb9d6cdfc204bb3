"""The checks on a reading version, one by one, and on the four errors listeners heard."""

from __future__ import annotations

import unicodedata

import pytest

from channels.loudspeaker import spell_out
from channels.loudspeaker.lints import lint_reading, split_sentences


def codes(reading: str, source: str | None = None, **kw: object) -> list[tuple[str, str]]:
    return [(f.code, f.text) for f in lint_reading(reading, source, **kw)]


def test_a_clean_reading_has_no_findings() -> None:
    assert lint_reading("Kính thưa bà con nhân dân! Mời bà con đến hiến máu, mi-li-lít.") == []


def test_findings_carry_their_span_and_a_vietnamese_message() -> None:
    reading = "Mang theo CCCD khi đến."
    [finding] = lint_reading(reading)
    assert (finding.code, finding.start, finding.end) == ("capitals", 10, 14)
    assert reading[finding.start : finding.end] == finding.text == "CCCD"
    assert finding.message == "Còn chữ viết tắt “CCCD” chưa đọc thành chữ."
    assert finding.as_dict() == {
        "code": "capitals",
        "message": finding.message,
        "start": 10,
        "end": 14,
        "text": "CCCD",
    }


@pytest.mark.parametrize(
    ("reading", "found"),
    [
        ("lúc 7h30 sáng", [("digit", "7h30")]),
        ("ngày 20/12/2024", [("digit", "20/12/2024")]),
        ("số 0912 345", [("digit", "0912"), ("digit", "345")]),
        ("Đại hội XIII", [("capitals", "XIII")]),
        ("tại UBND xã", [("capitals", "UBND")]),
        ("TP.HCM", [("capitals", "TP.HCM")]),
        ("bệnh HIV và nhóm máu AB", []),  # allow-listed in the table as read-as-letters
        ("viêm gan B, Quý bốn", []),
        ("xã/phường", [("punctuation", "/")]),
        ("hiến máu (tình nguyện)", [("punctuation", "("), ("punctuation", ")")]),
        ("Tết sum vầy – Xuân hồng", [("punctuation", "–")]),
        ("Độc lập - Tự do", [("punctuation", "-")]),
        ("- Mang theo giấy tờ", [("punctuation", "-")]),
        ("hiến máu & sức khỏe", [("punctuation", "&")]),
        ("tăng mười %", [("punctuation", "%")]),
        ("tiếp theo...", []),
        ("tiếp theo…", []),
        ("tiếp theo ...", [("punctuation", "...")]),
        ("tiếp theo....", [("punctuation", "....")]),
        ("tiếp theo..", [("punctuation", "..")]),
        ("tiếp theo……", [("punctuation", "……")]),
        ("xã, , phường", [("punctuation", ", ,")]),
        ("xã,. phường", [("punctuation", ",.")]),
        ("Hết., rồi", [("punctuation", ".,")]),
    ],
)
def test_each_check(reading: str, found: list[tuple[str, str]]) -> None:
    assert codes(reading) == found


def test_decomposed_letters_are_found() -> None:
    reading = unicodedata.normalize("NFD", "bệnh viện")
    found = lint_reading(reading)
    assert {f.code for f in found} == {"nfc"}
    assert all(unicodedata.normalize("NFC", f.text) != f.text for f in found)


def test_a_repeat_the_source_did_not_write_is_found() -> None:
    source = "Thông tư 26/2013/TT-BYT của Bộ Y tế quy định"
    doubled = (
        "Thông tư số hai mươi sáu năm hai nghìn không trăm mười ba của Bộ Y tế của Bộ Y tế quy định"
    )
    [finding] = lint_reading(doubled, source)
    assert finding.code == "repeat"
    assert finding.text == "của Bộ Y tế"
    assert finding.start == doubled.rindex("của Bộ Y tế")
    assert lint_reading(spell_out(source), source) == []


def test_a_repeat_the_source_wrote_is_not_found() -> None:
    # The author repeats the place and the abbreviation: the reading may too.
    source = "Tại phường Tân Phong, phường Tân Phong có hai điểm HMTN và HMTN lưu động."
    assert lint_reading(spell_out(source), source) == []
    # Without the source, every close repeat is shown.
    assert [f.code for f in lint_reading(spell_out(source))] == ["repeat", "repeat"]


def test_repeats_far_apart_are_not_findings() -> None:
    filler = "mời bà con cô bác anh chị em thanh niên đoàn viên học sinh sinh viên"
    assert len(filler.split()) >= 12
    assert lint_reading(f"hiến máu tình nguyện {filler} hiến máu tình nguyện") == []
    assert [f.code for f in lint_reading("hiến máu tình nguyện mời hiến máu tình nguyện")] == [
        "repeat"
    ]


@pytest.mark.parametrize(
    ("source", "wrong"),
    [
        (
            "Theo Thông tư 26/2013/TT-BYT của Bộ Y tế.",
            "Theo Thông tư số hai mươi sáu năm hai nghìn không trăm mười ba "
            "của Bộ Y tế của Bộ Y tế.",
        ),
        (
            "tại Hội trường UBND phường Tân Phong.",
            "tại hội trường ủy ban nhân dân phường Tân Phong. phường Tân Phong",
        ),
        ("mang theo CCCD", "mang theo CCCD"),
        ("trong tháng 4 năm nay", "trong tháng 4 năm nay"),
    ],
)
def test_the_four_reported_errors_are_caught_and_no_longer_made(source: str, wrong: str) -> None:
    assert lint_reading(wrong, source) != []
    assert lint_reading(spell_out(source), source) == []


def test_the_four_reported_errors_read_right() -> None:
    assert spell_out("theo Thông tư 26/2013/TT-BYT của Bộ Y tế") == (
        "theo Thông tư số hai mươi sáu năm hai nghìn không trăm mười ba của Bộ Y tế"
    )
    assert spell_out("mang theo CCCD") == "mang theo căn cước công dân"
    assert spell_out("trong tháng 4 năm nay") == "trong tháng tư năm nay"
    assert spell_out("ngày 5/4") == "ngày mồng năm tháng tư"


def test_split_sentences_keeps_abbreviation_dots_and_lines() -> None:
    text = "Kính thưa bà con! Tại TP. Lai Châu, ngày 7/4. Hết.\n\n- Mang theo CCCD."
    assert split_sentences(text) == [
        "Kính thưa bà con!",
        "Tại TP. Lai Châu, ngày 7/4.",
        "Hết.",
        "- Mang theo CCCD.",
    ]
