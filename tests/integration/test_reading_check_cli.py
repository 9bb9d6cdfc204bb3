"""``publisher reading check FILE`` through the CLI runner: output and exit status."""

from __future__ import annotations

from pathlib import Path

from tests.unit.loudspeaker.read_aloud import CORPUS, load_corpus


def run(app, path: Path):
    return app.test_cli_runner().invoke(args=["reading", "check", str(path)])


def test_clean_sentences_print_their_reading_and_exit_zero(app, tmp_path):
    path = tmp_path / "ban-doc.txt"
    path.write_text("Mang theo CCCD. Ngày 7/4 hằng năm.\n\n# ghi chú\nĐợt HMTN lúc 7h30.\n")
    result = run(app, path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:6] == [
        "1. Mang theo CCCD.",
        "   → Mang theo căn cước công dân.",
        "2. Ngày 7/4 hằng năm.",
        "   → Ngày mồng bảy tháng tư hằng năm.",
        "3. Đợt HMTN lúc 7h30.",
        "   → Đợt hiến máu tình nguyện lúc bảy giờ ba mươi.",
    ]
    assert lines[-1] == "3 sentences, 0 findings, 0 readings differ from the expected"


def test_a_finding_is_printed_and_exits_non_zero(app, tmp_path):
    path = tmp_path / "ban-doc.txt"
    path.write_text("Mã hồ sơ XYZW nộp ngày 32/13/2024.\n", encoding="utf-8")
    result = run(app, path)
    assert result.exit_code == 1, result.output
    assert "! [capitals]" in result.output and "“XYZW”" in result.output
    # No such date: the numbers are read, the slashes between them are shown.
    assert result.output.count("! [punctuation]") == 2 and "“/”" in result.output
    assert result.output.splitlines()[-1].startswith("1 sentences, 3 findings")


def test_an_expected_reading_that_differs_exits_non_zero(app, tmp_path):
    path = tmp_path / "corpus.tsv"
    path.write_text("Ngày 7/4.\tNgày mồng bảy tháng bốn.\n", encoding="utf-8")
    result = run(app, path)
    assert result.exit_code == 1, result.output
    assert "   ≠ expected: Ngày mồng bảy tháng bốn." in result.output


def test_the_whole_corpus_checks_clean(app):
    result = run(app, CORPUS)
    assert result.exit_code == 0, result.output[-2000:]
    total = len(load_corpus())
    assert result.output.splitlines()[-1] == (
        f"{total} sentences, 0 findings, 0 readings differ from the expected"
    )


def test_a_missing_or_binary_file_is_refused(app, tmp_path):
    assert run(app, tmp_path / "khong-co.txt").exit_code == 2
    binary = tmp_path / "anh.png"
    binary.write_bytes(b"\x89PNG\xff\xfe")
    result = run(app, binary)
    assert result.exit_code == 2 and "not UTF-8" in result.output
