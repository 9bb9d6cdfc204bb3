"""`publisher donors purge --older-than-years N`: old donations go, donors left with none are
erased, recent ones stay; every donor touched is in the audit log by id only."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from publisher.audit.models import AuditEvent
from publisher.donors.models import Donation, Donor
from publisher.donors.retention import cutoff_for
from tests.integration.donors_support import OTHER_NAME, SECRET_NAME, UNIT_A, add_donor, units


def test_purge_keeps_recent_donations_and_erases_donors_left_with_none(app, client, db):
    u = units(app)
    admin = u[UNIT_A].headers["admin"]
    today = date.today()
    old, recent = today - timedelta(days=6 * 366), today - timedelta(days=30)
    mixed = add_donor(
        client, admin, donations=[{"date": old.isoformat()}, {"date": recent.isoformat()}]
    )
    gone = add_donor(client, admin, name=OTHER_NAME, donations=[{"date": old.isoformat()}])
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["donors", "purge", "--older-than-years", "5", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete 2 donation(s)" in dry.output and "1 donor(s) erased, 1 kept" in dry.output
    db.expire_all()
    assert db.scalar(select(Donor).where(Donor.id == gone)) is not None

    done = runner.invoke(args=["donors", "purge", "--older-than-years", "5"])
    assert done.exit_code == 0, done.output
    assert SECRET_NAME not in done.output and OTHER_NAME not in done.output
    db.expire_all()
    assert db.get(Donor, gone) is None
    assert [d.donated_on for d in db.scalars(select(Donation))] == [recent]
    entries = db.scalars(
        select(AuditEvent).where(AuditEvent.detail["reason"].as_string() == "retention")
    )
    by_donor = {e.entity_id: e for e in entries}
    assert by_donor[gone].action == "delete" and by_donor[mixed].action == "update"
    assert by_donor[mixed].detail["purged"] == 1 and by_donor[mixed].actor_id is None

    refused = runner.invoke(args=["donors", "purge", "--older-than-years", "0"])
    assert refused.exit_code != 0


def test_the_cutoff_is_the_same_day_years_ago():
    assert cutoff_for(5, date(2026, 12, 4)) == date(2021, 12, 4)
    assert cutoff_for(1, date(2024, 2, 29)) == date(2023, 2, 28)
