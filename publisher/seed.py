"""Reference data (communes, the 2025 plan, playbooks) and the demo."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from content_library.models import Commune
from content_library.sanitize import nfc

CONFIG = Path(__file__).resolve().parent.parent / "config"


def load_communes(session: Session, path: Path | None = None) -> int:
    """Upsert the communes and wards from config/communes.csv; returns how many."""
    count = 0
    with open(path or CONFIG / "communes.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            commune = session.get(Commune, row["code"]) or Commune(code=row["code"])
            commune.name = nfc(row["name"])
            commune.kind = nfc(row["kind"])
            commune.planning_area = nfc(row.get("planning_area") or "") or None
            session.add(commune)
            count += 1
    session.flush()
    return count


def seed_reference(session: Session, echo: Callable[[str], None] = print) -> dict[str, int]:
    communes = load_communes(session)
    echo(f"communes: {communes}")
    from publisher.organisations.service import seed_organisations

    echo(f"organisations: {seed_organisations(session)}")
    from publisher.planning.seeding import seed_plan

    return {"communes": communes, **seed_plan(session, echo)}


def seed_demo(session: Session, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Demo users, channels, approved content and a schedule relative to today."""
    from publisher.demo import seed_demo as run

    return run(session, echo)
