"""Campaign planning: Lai Châu's 2025 plan (18 drives), then a national-scale synthetic plan.

Standalone: a throwaway SQLite database (the embedded default) migrated with Alembic and
seeded as ``publisher seed`` does; a Page, a portal feed, a partner webhook and
loudspeaker networks (nothing is delivered). Prints the figures; asserts nothing.
Goal: the 2025 plan (every campaign, through the API) under 1 s.

    python bench/plan.py [--communes 3300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from content_library.models import Campaign, Commune, Drive  # noqa: E402
from publisher import create_app  # noqa: E402
from publisher.auth.services import create_token, create_user  # noqa: E402
from publisher.db import db  # noqa: E402
from publisher.delivery.channels import create_channel  # noqa: E402
from publisher.delivery.models import Publication  # noqa: E402
from publisher.migrate import upgrade  # noqa: E402
from publisher.planning.follow import follow_drive  # noqa: E402
from publisher.planning.models import PlaybookRecord  # noqa: E402
from publisher.planning.service import plan_campaign  # noqa: E402
from publisher.seed import seed_reference  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
SYNTHETIC_FIRST = 60000
NATIONAL_START = date(2030, 1, 6)


def timed(label: str, action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed * 1000:9.1f} ms")
    return result, elapsed


def channels(codes: list[str], national: list[str]) -> None:
    def add(kind: str, slug: str, settings: dict[str, Any]) -> None:
        create_channel(
            db.session, kind=kind, slug=slug, name=slug, settings=settings, secret_key=SECRET
        )

    add("fanpage", "fanpage-so", {"page_id": "1234567890", "access_token": "bench-token"})
    add("rss", "cong-thong-tin", {"title": "Tin hiến máu"})
    add(
        "webhook",
        "doi-tac",
        {"url": "http://127.0.0.1:9/hook", "secret": "bench-secret-0123456789"},
    )
    add("loudspeaker", "loa-lai-chau", {"commune_codes": codes})
    add("loudspeaker", "loa-toan-quoc", {"commune_codes": national})
    db.session.commit()


def plan_2025(client: Any, headers: dict[str, str], playbook_id: int) -> None:
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.starts_on)).all()
    db.session.commit()
    for label, body in (("dry run", {"dry_run": True}), ("apply", {}), ("re-plan", {})):
        started = time.perf_counter()
        created = items = skipped = 0
        for campaign in campaigns:
            answer = client.post(
                f"/api/v1/campaigns/{campaign.id}/plan",
                headers=headers,
                json={"playbook_id": playbook_id, **body},
            )
            assert answer.status_code in (200, 201), answer.get_json()
            result = answer.get_json()
            created += result["created"]
            skipped += result["skipped"]
            items += len(result["items"])
        elapsed = time.perf_counter() - started
        print(
            f"  2025 plan, 5 campaigns, API {label:<18} {elapsed * 1000:9.1f} ms"
            f"   ({items} items, {created} created, {skipped} skipped as past)"
        )


def synthetic_communes(count: int) -> list[str]:
    codes = [f"{SYNTHETIC_FIRST + i:05d}" for i in range(count)]
    db.session.add_all(
        Commune(code=code, name=f"Thử nghiệm {i + 1}", kind="xã", planning_area=None)
        for i, code in enumerate(codes)
    )
    db.session.commit()
    return codes


def national_campaign(codes: list[str]) -> Campaign:
    """One drive per commune, spread over the year (Tuesdays to Saturdays)."""
    campaign = Campaign(
        slug="quoc-gia-2030",
        name="Chiến dịch toàn quốc 2030",
        starts_on=NATIONAL_START - timedelta(days=14),
        ends_on=NATIONAL_START + timedelta(days=380),
    )
    db.session.add(campaign)
    db.session.flush()
    for index, code in enumerate(codes):
        day = NATIONAL_START + timedelta(days=index % 360)
        db.session.add(
            Drive(
                campaign_id=campaign.id,
                name=f"Ngày hội hiến máu xã Thử nghiệm {index + 1}",
                starts_at=datetime.combine(day, clock(7, 30), LOCAL),
                ends_at=datetime.combine(day, clock(11, 30), LOCAL),
                location="Nhà văn hóa trung tâm",
                commune_code=code,
                target_units=150,
            )
        )
    db.session.commit()
    return campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=3300)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": SECRET,
                "INSTANCE_PATH": tmp,
                "REDIS_URL": None,
                "PUBLIC_BASE_URL": "http://bench.test",
                "LOG_FORMAT": "text",
            }
        )
        with app.app_context():
            print("set-up")
            timed("migrate", lambda: upgrade(app))
            timed(
                "seed reference data (first run)",
                lambda: (seed_reference(db.session, echo=lambda _l: None), db.session.commit()),
            )
            timed(
                "seed reference data (again: nothing new)",
                lambda: (seed_reference(db.session, echo=lambda _l: None), db.session.commit()),
            )
            lai_chau = list(db.session.scalars(select(Commune.code)))
            national = synthetic_communes(args.communes)
            channels(lai_chau, national)
            user = create_user(db.session, "bench-editor", "editor")
            _token, raw = create_token(db.session, "bench", user)
            playbook = db.session.scalar(
                select(PlaybookRecord).where(PlaybookRecord.slug == "default")
            )
            db.session.commit()

        print("Lai Châu 2025 (18 drives, 38 communes)")
        with app.app_context():
            plan_2025(app.test_client(), {"Authorization": f"Bearer {raw}"}, playbook.id)
        with app.app_context():
            client = app.test_client()
            slug = "tet-le-hoi-xuan-hong"
            response, _ = timed(f"calendar {slug}.ics", lambda: client.get(f"/calendar/{slug}.ics"))
            print(f"  ({len(response.data)} bytes)")

        print(f"national scale ({args.communes} communes, one drive each)")
        with app.app_context():
            campaign, _ = timed("create the drives", lambda: national_campaign(national))
            record = db.session.get(PlaybookRecord, playbook.id)
            dry, _ = timed(
                "dry run", lambda: plan_campaign(db.session, campaign, record, dry_run=True)
            )
            db.session.rollback()
            print(f"  ({len(dry.items)} items, {len(dry.conflicts)} conflicts)")

            def apply() -> Any:
                result = plan_campaign(db.session, campaign, record, dry_run=False)
                db.session.commit()
                return result

            applied, _ = timed("apply", apply)
            print(f"  ({applied.created} created)")
            again, _ = timed("re-plan (nothing new)", apply)
            print(f"  ({again.created} created, {again.skipped_existing} skipped)")
            drive = db.session.scalar(
                select(Drive).where(Drive.campaign_id == campaign.id).order_by(Drive.id).limit(1)
            )
            before = (drive.starts_at, drive.status)

            def move() -> Any:
                drive.starts_at += timedelta(days=7)
                drive.ends_at += timedelta(days=7)
                db.session.flush()
                report = follow_drive(
                    db.session, drive, previous_start=before[0], previous_status=before[1]
                )
                db.session.commit()
                return report

            report, _ = timed("move one drive (its items follow)", move)
            print(f"  ({report.moved} moved, {report.rerendered} re-rendered)")
            total = db.session.scalar(select(func.count()).select_from(Publication))
            print(f"  publications in the database: {total}")
            db.engine.dispose()
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
