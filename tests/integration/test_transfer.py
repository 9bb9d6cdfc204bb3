"""Export and import: a lossless round trip between instances on different databases.

The source is the ``app`` fixture (SQLite, then PostgreSQL); the target is a fresh
database of the other kind. Export, import, export again: the data files must be
byte-equal, because an export names rows by natural keys and never by database ids.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import app_config, migrate_and_seed_communes
from tests.servers import throwaway_database

WEBHOOK_SECRET = "webhook-signing-secret-0123456789"


def poster_png() -> bytes:
    image = Image.new("RGB", (60, 40), (200, 16, 46))
    for x in range(20, 40):
        for y in range(10, 30):
            image.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_library(app) -> dict[str, Any]:
    """A small library with every kind of row the export carries, and some it must not.

    Seeded in an app context of its own: ``publisher export``/``import`` run by the CLI
    runner would otherwise use the context already pushed, whichever app it belongs to.
    """
    from publisher.db import db

    with app.app_context():
        return _seed(db.session)


def _seed(session) -> dict[str, Any]:
    from flask import current_app

    from content_library.assets import process_image
    from content_library.models import Asset, Campaign, Drive
    from content_library.services import approve, create_content, edit_content, submit
    from publisher.auth.services import create_token, create_user
    from publisher.delivery.channels import create_channel
    from publisher.delivery.publications import schedule
    from publisher.feedimport.models import FeedSource
    from publisher.planning.models import PlaybookRecord

    key = current_app.config["SETTINGS"].SECRET_KEY
    editor = create_user(session, "bien-tap", "editor", password="correct horse battery")
    approver = create_user(session, "lanh-dao", "approver", password="correct horse battery")
    create_token(session, "partner", editor)
    image = process_image(poster_png(), max_bytes=10_000_000, max_pixels=10_000_000)
    asset = Asset(
        sha256=image.sha256,
        mime=image.mime,
        filename="ngay-hoi.png",
        width=image.width,
        height=image.height,
        bytes=len(image.data),
        data=image.data,
        thumbnail=image.thumbnail,
        created_by=editor.id,
    )
    campaign = Campaign(
        slug="hien-mau-thu-nghiem",
        name="Chủ nhật Đỏ",
        description="Lần thứ XVII",
        starts_on=date(2025, 1, 5),
        ends_on=date(2025, 1, 26),
        recurrence=[{"freq": "weekly", "byday": "SU"}],
    )
    session.add_all([asset, campaign])
    session.flush()
    drives = [
        Drive(
            campaign_id=campaign.id,
            name="Hiến máu tại Tam Đường",
            location="Hội trường xã",
            starts_at=datetime(2025, 1, 5, 0, 30, tzinfo=UTC),
            ends_at=datetime(2025, 1, 5, 4, 0, tzinfo=UTC),
            commune_code="03408",
            target_units=250,
            status="confirmed",
            external_ref="LC-2025-01",
        ),
        Drive(
            campaign_id=None,
            name="Đợt mẫu",
            location="Nhà văn hoá",
            commune_code="03408",
            starts_at=datetime(2025, 3, 2, 1, 0, tzinfo=UTC),
            ends_at=datetime(2025, 3, 2, 5, 0, tzinfo=UTC),
            is_sample=True,
        ),
    ]
    feed = FeedSource(
        url="https://baolaichau.vn/rss/suc-khoe.rss",
        name="Báo Lai Châu",
        campaign_id=campaign.id,
        tags=["báo chí"],
        interval_minutes=30,
    )
    session.add_all([*drives, feed])
    session.flush()

    poster = create_content(
        session,
        kind="poster",
        title="Ngày hội Xuân hồng",
        body="<p>Mời bà con đi hiến máu</p>",
        author_id=editor.id,
        campaign_id=campaign.id,
        tags=["xuân hồng", "áp phích"],
        asset_id=asset.id,
        reading_text="Ngày hội Xuân hồng, mời bà con",
        variants={"hmn": {"name": "Tiếng Mông", "text": "Tuaj pub ntshav"}},
    )
    submit(poster, editor.id)
    approve(session, poster, approver.id)
    edit_content(session, poster, {"title": "Ngày hội Xuân hồng 2025"}, editor.id)  # v2 draft
    article = create_content(
        session,
        kind="article",
        title="Ai được hiến máu?",
        body="<p>Từ 18 đến 60 tuổi.</p>",
        author_id=editor.id,
    )
    article.feed_source_id, article.source_guid = feed.id, "baolaichau-12345"
    article.source_url, article.source_name = "https://baolaichau.vn/a/12345", "Báo Lai Châu"
    submit(article, editor.id)
    approve(session, article, approver.id)
    script = create_content(
        session,
        kind="script",
        title="Thông báo lịch hiến máu",
        body="<p>Sáng chủ nhật 5/1</p>",
        author_id=editor.id,
    )
    submit(script, editor.id)

    webhook = create_channel(
        session,
        kind="webhook",
        slug="doi-tac",
        name="Đối tác",
        settings={"url": "https://partner.example/hook", "secret": WEBHOOK_SECRET},
        rules={"quiet_hours": ["22:00", "06:00"], "daily_cap": 4},
        secret_key=key,
    )
    create_channel(
        session,
        kind="rss",
        slug="cong-thong-tin",
        name="Cổng thông tin",
        settings={"title": "Hiến máu Lai Châu", "description": "Tin hiến máu"},
        secret_key=key,
    )
    create_channel(
        session,
        kind="loudspeaker",
        slug="loa-tam-duong",
        name="Loa xã",
        settings={"commune_codes": ["03408"], "slots": {"morning": "06:00"}},
        enabled=False,
        secret_key=key,
    )
    session.add(
        PlaybookRecord(
            slug="mac-dinh",
            name="Mặc định",
            description="Ba bước",
            definition={"steps": [{"key": "t-7", "offset_days": -7}]},
        )
    )
    schedule(
        session,
        content_id=article.id,
        channel_id=webhook.id,
        scheduled_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    session.commit()
    return {"poster": poster.export_key, "asset": asset.sha256}


@contextlib.contextmanager
def other_database(source_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of the other kind than the source's."""
    if source_url.startswith("sqlite"):
        with throwaway_database() as url:
            migrate_and_seed_communes(url)
            yield url
    else:
        url = f"sqlite:///{tmp_path / 'target.db'}"
        migrate_and_seed_communes(url)
        yield url


@pytest.fixture
def target(database_url, tmp_path):
    from publisher import create_app

    with other_database(database_url, tmp_path) as url:
        application = create_app(app_config(url, tmp_path / "target"))
        yield application
        application.extensions["db"]["engine"].dispose()


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)
    return result


def data_files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def rewrite(directory: Path, name: str, change) -> None:
    """Edit one data file and keep the manifest's checksum in step (a deliberate edit)."""
    data = json.loads((directory / name).read_text(encoding="utf-8"))
    change(data)
    payload = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    (directory / name).write_bytes(payload)
    meta = manifest(directory)
    meta["checksums"][name] = hashlib.sha256(payload).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")


def counts(app) -> dict[str, int]:
    from content_library.models import Asset, Campaign, ContentItem, ContentVersion, Drive
    from publisher.auth.models import User
    from publisher.db import db
    from publisher.delivery.models import Channel, Publication

    models = {
        "assets": Asset,
        "campaigns": Campaign,
        "drives": Drive,
        "items": ContentItem,
        "versions": ContentVersion,
        "channels": Channel,
        "publications": Publication,
        "users": User,
    }
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in models.items()
        }


def test_round_trip_to_the_other_database_is_lossless(app, target, tmp_path):
    seeded = seed_library(app)
    first, second = tmp_path / "first", tmp_path / "second"

    result = run(app, "export", str(first))
    assert result.exit_code == 0, result.output
    assert "exported to" in result.output and "1 assets" in result.output
    assert manifest(first)["counts"] == {
        "assets": 1,
        "feed_sources": 1,
        "campaigns": 1,
        "drives": 2,
        "content_items": 3,
        "content_versions": 4,
        "channels": 3,
        "playbooks": 1,
    }
    everything = b"".join(p.read_bytes() for p in first.rglob("*") if p.is_file())
    assert WEBHOOK_SECRET.encode() not in everything
    assert b"correct horse" not in everything and b"bien-tap" not in everything

    result = run(target, "import", str(first))
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        "imported: 12 new, 0 updated, 0 unchanged, 0 kept"
    )
    assert run(target, "export", str(second)).exit_code == 0
    assert data_files(second) == data_files(first)
    first_manifest, second_manifest = manifest(first), manifest(second)
    first_manifest.pop("created_at"), second_manifest.pop("created_at")
    assert first_manifest == second_manifest

    # Idempotent: the same export again changes nothing.
    again = run(target, "import", str(first))
    assert again.output.strip().splitlines()[-1] == (
        "imported: 0 new, 0 updated, 12 unchanged, 0 kept"
    )
    assert counts(target) == {
        "assets": 1,
        "campaigns": 1,
        "drives": 2,
        "items": 3,
        "versions": 4,
        "channels": 3,
        "publications": 0,
        "users": 0,
    }
    check_imported_rows(target, seeded)


def test_round_trip_between_seeded_instances_makes_no_duplicates(app, target, tmp_path):
    """Both instances ran ``publisher seed``: the plan's campaigns, drives, playbooks and the
    shipped templates exist on both and are matched, not copied again."""
    assert run(app, "seed").exit_code == 0
    assert run(target, "seed").exit_code == 0
    seed_library(app)
    first, second = tmp_path / "first", tmp_path / "second"
    assert run(app, "export", str(first)).exit_code == 0
    result = run(target, "import", str(first))
    assert result.exit_code == 0, result.output
    source_counts, target_counts = counts(app), counts(target)
    for name in ("assets", "campaigns", "drives", "items", "versions", "channels"):
        assert target_counts[name] == source_counts[name], name
    assert run(target, "export", str(second)).exit_code == 0
    assert data_files(second) == data_files(first)
    again = run(target, "import", str(first)).output.strip().splitlines()[-1]
    assert again.startswith("imported: 0 new, 0 updated, ")


def check_imported_rows(target, seeded) -> None:
    from content_library.models import Asset, ContentItem
    from publisher.db import db
    from publisher.delivery.models import Channel

    with target.app_context():
        poster = db.session.scalar(
            select(ContentItem).where(ContentItem.export_key == seeded["poster"])
        )
        assert [v.status for v in poster.versions] == ["approved", "draft"]
        assert poster.status == "draft" and poster.latest_version == 2
        assert poster.approved_version_id == poster.versions[0].id
        asset = db.session.scalar(select(Asset).where(Asset.sha256 == seeded["asset"]))
        assert poster.versions[0].asset_id == asset.id
        assert hashlib.sha256(asset.data).hexdigest() == asset.sha256 and asset.thumbnail
        webhook = db.session.scalar(select(Channel).where(Channel.slug == "doi-tac"))
        assert webhook.secrets_encrypted is None
        assert webhook.health_status == "needs_attention"  # until someone sets the secret
        rss = db.session.scalar(select(Channel).where(Channel.slug == "cong-thong-tin"))
        assert rss.health_status == "ok"


def test_import_keeps_this_instances_secrets(app, target, tmp_path):
    from publisher.db import db as database
    from publisher.delivery.channels import create_channel
    from publisher.delivery.crypto import decrypt_secrets
    from publisher.delivery.models import Channel

    seed_library(app)
    assert run(app, "export", str(tmp_path / "out")).exit_code == 0
    key = target.config["SETTINGS"].SECRET_KEY
    with target.app_context():
        create_channel(
            database.session,
            kind="webhook",
            slug="doi-tac",
            name="Cũ",
            settings={"url": "https://old.example/hook", "secret": "target-secret-0123456789"},
            secret_key=key,
        )
        database.session.commit()
    result = run(target, "import", str(tmp_path / "out"))
    assert "channels: 2 new, 1 updated" in result.output
    with target.app_context():
        channel = database.session.scalar(select(Channel).where(Channel.slug == "doi-tac"))
        assert (
            channel.name == "Đối tác" and channel.settings["url"] == "https://partner.example/hook"
        )
        assert decrypt_secrets(key, channel.secrets_encrypted) == {
            "secret": "target-secret-0123456789"
        }
        assert channel.health_status == "ok"


def test_a_failed_import_writes_nothing(app, target, tmp_path):
    seed_library(app)
    out = tmp_path / "out"
    assert run(app, "export", str(out)).exit_code == 0
    before = counts(target)
    # The last step fails: assets, campaigns, drives and channels were already flushed.
    rewrite(out, "content.json", lambda d: d["items"][0].update(campaign="khong-co"))
    result = run(target, "import", str(out))
    assert result.exit_code == 1
    assert "campaign 'khong-co'" in result.output and "nothing was imported" in result.output
    assert counts(target) == before


def test_an_export_of_a_newer_format_is_refused(app, target, tmp_path):
    seed_library(app)
    out = tmp_path / "out"
    assert run(app, "export", str(out)).exit_code == 0
    meta = manifest(out)
    meta["format_version"] += 1
    (out / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")
    result = run(target, "import", str(out))
    assert result.exit_code == 1
    assert "newer than this publisher reads" in result.output
    assert counts(target)["campaigns"] == 0


def test_damaged_files_are_refused(app, target, tmp_path):
    seeded = seed_library(app)
    out = tmp_path / "out"
    assert run(app, "export", str(out)).exit_code == 0
    (out / "assets" / f"{seeded['asset']}.png").write_bytes(poster_png()[:-10])
    assert "does not match its SHA-256" in run(target, "import", str(out)).output
    (out / "channels.json").write_text("{}", encoding="utf-8")
    assert "checksum" in run(target, "import", str(out)).output
    assert counts(target)["assets"] == 0


def test_an_item_edited_here_after_the_export_is_kept_and_dry_run_changes_nothing(
    app, target, tmp_path
):
    from content_library.models import ContentItem
    from content_library.services import approve, edit_content, submit
    from publisher.auth.services import create_user
    from publisher.db import db as database

    seeded = seed_library(app)
    out = tmp_path / "out"
    assert run(app, "export", str(out)).exit_code == 0
    dry = run(target, "import", "--dry-run", str(out))
    assert "dry run, rolled back; imported: 12 new" in dry.output
    assert counts(target)["items"] == 0
    assert run(target, "import", str(out)).exit_code == 0
    with target.app_context():
        poster = database.session.scalar(
            select(ContentItem).where(ContentItem.export_key == seeded["poster"])
        )
        # Approve the imported draft v2 here, then edit: v3, which the export does not have.
        approver = create_user(database.session, "duyet", "approver", password="x" * 12)
        submit(poster, None)
        approve(database.session, poster, approver.id)
        edit_content(database.session, poster, {"title": "Bản sửa tại đây"}, approver.id)
        database.session.commit()
    result = run(target, "import", str(out))
    assert "content: 0 new, 0 updated, 2 unchanged, 1 kept (newer here)" in result.output
    with target.app_context():
        poster = database.session.scalar(
            select(ContentItem).where(ContentItem.export_key == seeded["poster"])
        )
        assert poster.latest_version == 3 and poster.versions[-1].title == "Bản sửa tại đây"


def test_export_refuses_a_directory_that_is_not_empty(app, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    result = run(app, "export", str(tmp_path / "busy"))
    assert result.exit_code == 1
    assert "not an empty directory" in result.output


def test_help_says_what_is_not_exported(app):
    for command in ("export", "import"):
        text = " ".join(run(app, command, "--help").output.split())
        assert "Users, API tokens, publications" in text and "secrets" in text


def test_an_approved_version_is_never_overwritten(app, target, tmp_path):
    seeded = seed_library(app)
    out = tmp_path / "out"
    assert run(app, "export", str(out)).exit_code == 0
    assert run(target, "import", str(out)).exit_code == 0

    def reword(data: dict[str, Any]) -> None:
        item = next(i for i in data["items"] if i["key"] == seeded["poster"])
        item["versions"][0].update(title="Lời khác", content_hash="0" * 64)

    rewrite(out, "content.json", reword)
    result = run(target, "import", str(out))
    assert result.exit_code == 1
    assert "an approved version never changes" in result.output


def test_tags_travel_with_each_version_and_format_1_exports_still_import(app, target, tmp_path):
    from content_library.models import ContentItem
    from publisher.db import db

    seed_library(app)
    out = tmp_path / "out"
    assert run(app, "export", str(out)).exit_code == 0
    items = json.loads((out / "content.json").read_text(encoding="utf-8"))["items"]
    poster = next(i for i in items if i["kind"] == "poster")
    assert "tags" not in poster
    assert [v["tags"] for v in poster["versions"]] == [["xuân hồng", "áp phích"]] * 2
    assert {v["campaign"] for v in poster["versions"]} == {"hien-mau-thu-nghiem"}
    assert all("authors" not in v for v in poster["versions"]), "people are not exported"

    def to_format_1(data: dict[str, Any]) -> None:
        for item in data["items"]:
            item["tags"] = item["versions"][-1]["tags"] + ["cũ"]
            for version in item["versions"]:
                for name in ("tags", "language", "campaign"):
                    version.pop(name)

    rewrite(out, "content.json", to_format_1)
    meta = manifest(out)
    meta["format_version"] = 1
    (out / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")
    result = run(target, "import", str(out))
    assert result.exit_code == 0, result.output
    with target.app_context():
        item = db.session.scalar(select(ContentItem).where(ContentItem.kind == "poster"))
        assert [v.tags for v in item.versions] == [["xuân hồng", "áp phích", "cũ"]] * 2
        assert {v.campaign_id for v in item.versions} == {item.campaign_id}
        assert all(v.authors == [] for v in item.versions)
