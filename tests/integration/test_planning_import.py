"""Seeding the 2025 plan and importing drives from CSV (function and CLI)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from content_library.models import Asset, Campaign, ContentItem, ContentVersion, Drive
from publisher.planning.drives_csv import import_drives_csv
from publisher.planning.models import PlaybookRecord
from publisher.seed import seed_reference
from tests.integration.planning_support import LOCAL, released, seed_2025

HEADER = (
    "ref,campaign_slug,name,starts_at,ends_at,location,commune_code,target_units,status,is_sample\n"
)
GOOD = HEADER + (
    "LC-01,chu-nhat-do,Hiến máu tại trường THPT Mường Tè,2025-10-02 07:30,2025-10-02 11:00,"
    "Trường THPT Mường Tè,03445,150,planned,false\n"
    'LC-02,,"Ngày hội hiến máu, phường Đoàn Kết",2025-10-16 07:00,2025-10-16 11:30,'
    '"Nhà văn hóa tổ 3, phường Đoàn Kết",03388,,,true\n'
)
BAD = HEADER + (
    "LC-01,chu-nhat-do,Đợt một,2025-10-02 07:30,2025-10-02 11:00,Trường,03445,150,planned,false\n"
    "LC-02,khong-co,Đợt hai,2025-13-01 07:00,2025-10-16 11:30,Nhà văn hóa,99999,-5,maybe,perhaps\n"
    "LC-01,chu-nhat-do,Đợt ba,2025-10-20 09:00,2025-10-20 08:00,Trường,03445,,planned,false\n"
    "LC-04,chu-nhat-do,Đợt bốn,2025-10-21 09:00,2025-10-21 10:00,Trường, xã,03445,,planned,false\n"
)


def count(db, model) -> int:
    value = db.scalar(select(func.count()).select_from(model))
    released(db)
    return value


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "drives.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_seeding_the_reference_data_twice_duplicates_nothing(db):
    lines: list[str] = []
    first = seed_reference(db, echo=lines.append)
    db.commit()
    assert (first["campaigns"], first["drives"], first["templates"], first["playbooks"]) == (
        5,
        18,
        7,
        1,
    )
    counts = {
        m.__name__: count(db, m)
        for m in (Campaign, Drive, ContentItem, ContentVersion, Asset, PlaybookRecord)
    }
    assert counts == {
        "Campaign": 5,
        "Drive": 18,
        "ContentItem": 7,
        "ContentVersion": 7,
        "Asset": 1,
        "PlaybookRecord": 1,
    }
    lines.clear()
    seed_reference(db, echo=lines.append)
    db.commit()
    assert {
        m.__name__: count(db, m)
        for m in (Campaign, Drive, ContentItem, ContentVersion, Asset, PlaybookRecord)
    } == counts
    assert "templates: 7 (0 new, 0 updated, 7 unchanged)" in lines
    assert any(line.startswith("drives: 18 (0 new") for line in lines)

    first_drive = db.scalar(select(Drive).where(Drive.external_ref == "HMTN-2025-01"))
    assert first_drive.starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") == "2024-12-20 07:00"
    assert first_drive.is_sample is False
    assert db.scalar(select(Drive).where(Drive.external_ref == "HMTN-2025-02")).is_sample
    poster = db.scalar(
        select(ContentItem).where(ContentItem.source_guid == "template:poster_caption")
    )
    version = db.get(ContentVersion, poster.approved_version_id)
    assert (poster.is_template, poster.kind, poster.status) == (True, "poster", "approved")
    assert (version.reviewed_by, version.created_by) == (None, None)
    assert version.review_note == "Mẫu kèm theo cấu hình triển khai"
    assert version.content_hash and version.asset_id is not None
    assert version.title == "{drive.name}"
    released(db)


def test_an_editors_approved_template_survives_reseeding(db):
    seed_2025(db)
    item = db.scalar(select(ContentItem).where(ContentItem.source_guid == "template:thanks"))
    from content_library.services import approve, edit_content, submit
    from publisher.auth.services import create_user

    author = create_user(db, "bien-tap", "editor")
    boss = create_user(db, "lanh-dao", "approver")
    edit_content(db, item, {"title": "Cảm ơn bà con đã đến {drive.name}"}, author.id)
    submit(item, author.id)
    approve(db, item, boss.id)
    db.commit()
    seed_2025(db)
    db.expire_all()
    item = db.get(ContentItem, item.id)
    assert len(item.versions) == 2
    approved = db.get(ContentVersion, item.approved_version_id)
    assert approved.title == "Cảm ơn bà con đã đến {drive.name}"
    released(db)


def test_importing_a_good_file_then_again_changes_nothing(db, tmp_path):
    seed_2025(db)
    path = write(tmp_path, GOOD)
    summary = import_drives_csv(db, path)
    db.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.errors) == (2, 0, 0, [])
    drive = db.scalar(select(Drive).where(Drive.external_ref == "LC-02"))
    assert drive.name == "Ngày hội hiến máu, phường Đoàn Kết"
    assert (drive.campaign_id, drive.target_units, drive.status, drive.is_sample) == (
        None,
        None,
        "planned",
        True,
    )
    assert drive.ends_at.astimezone(LOCAL).strftime("%H:%M") == "11:30"
    released(db)

    again = import_drives_csv(db, path)
    db.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    moved = write(tmp_path, GOOD.replace("2025-10-02", "2025-10-03"))
    third = import_drives_csv(db, moved)
    db.commit()
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert count(db, Drive) == 20


def test_a_bad_file_reports_every_problem_by_line_and_writes_nothing(db, tmp_path):
    seed_2025(db)
    before = count(db, Drive)
    summary = import_drives_csv(db, write(tmp_path, BAD))
    db.rollback()
    assert summary.created == summary.updated == 0
    text = "\n".join(summary.errors)
    for expected in (
        "dòng 3, cột campaign_slug",
        "dòng 3, cột starts_at",
        "dòng 3, cột commune_code",
        "dòng 3, cột target_units",
        "dòng 3, cột status",
        "dòng 3, cột is_sample",
        "dòng 4, cột ends_at",
        "dòng 4: ref “LC-01” trùng với dòng 2",
        "dòng 5: nhiều giá trị hơn số cột",
    ):
        assert expected in text, (expected, text)
    assert "dòng 2" not in text.replace("trùng với dòng 2", "")
    assert count(db, Drive) == before
    missing = import_drives_csv(db, write(tmp_path, "ref,name\nX,Y\n"))
    assert missing.errors and missing.errors[0].startswith("dòng 1: thiếu cột")


def test_the_cli_imports_and_refuses(app, db, tmp_path):
    seed_2025(db)
    runner = app.test_cli_runner()
    good = runner.invoke(args=["drives", "import", str(write(tmp_path, GOOD))])
    assert good.exit_code == 0, good.output
    assert good.output.strip().splitlines()[-1] == (
        "drives.csv: 2 mới, 0 cập nhật, 0 không đổi / 2 created, 0 updated, 0 unchanged"
    )
    bad = runner.invoke(args=["drives", "import", str(write(tmp_path, BAD))])
    assert bad.exit_code == 1
    assert "dòng 3, cột starts_at" in bad.output
    assert "nothing imported" in bad.output
    assert count(db, Drive) == 20
