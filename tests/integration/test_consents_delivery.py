"""Consents at delivery time and on withdrawal, through the dispatcher, the worker and the
channels' own emulators: a lapsed consent sends nothing; a withdrawal cancels what is
pending and takes down what was delivered wherever the channel can."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from content_library.db import utcnow
from publisher import create_app
from publisher.consents.models import Consent
from publisher.delivery.channels import create_channel
from publisher.delivery.models import Publication
from publisher.loudspeaker.bulletins import bulletin_for
from tests.conftest import app_config, clean_database
from tests.factories import approved_content, due_publication, webhook_channel
from tests.fakes import GraphEmulator
from tests.fakes.receiver import Receiver
from tests.fakes.zalo_oa import ZaloEmulator
from tests.integration.consents_support import PERSON
from tests.integration.feeds_support import rss_channel
from tests.integration.loudspeaker_support import DAY, LOCAL, TAN_PHONG, local, loudspeaker_channel
from tests.integration.pipeline_support import fresh, set_row
from tests.servers import run_pipeline

PAGE_ID = "1001"
APP_SECRET = "app-secret-of-the-province"


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        yield emulator


@pytest.fixture
def zalo() -> Iterator[ZaloEmulator]:
    with ZaloEmulator() as emulator:
        yield emulator


@pytest.fixture
def app(
    database_url: str, tmp_path: Path, graph: GraphEmulator, zalo: ZaloEmulator
) -> Iterator[object]:
    application = create_app(
        app_config(
            database_url,
            tmp_path,
            FACEBOOK_GRAPH_URL=graph.base_url,
            ZALO_OPENAPI_URL=zalo.base_url,
            ZALO_OAUTH_URL=zalo.base_url,
            ZALO_VERIFY_POLL_SECONDS="0.02",
            ZALO_VERIFY_WAIT_SECONDS="2",
            CHANNEL_TIMEOUT_SECONDS=1.0,
            RETRY_BACKOFF_SECONDS=(0.0,),
            OUTBOUND_ALLOW_PRIVATE=True,
        )
    )
    yield application
    clean_database(application)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def editor(app, make_user) -> dict[str, str]:
    from publisher.db import db
    from publisher.organisations.service import seed_organisations

    with app.app_context():
        seed_organisations(db.session)
        db.session.commit()
    return make_user("editor")[1]


def consent_row(db, scope: list[str], **kw) -> Consent:
    from publisher.organisations.service import department, seed_organisations

    seed_organisations(db)
    consent = Consent(
        organisation_id=department(db).id,
        person_name=PERSON,
        scope=scope,
        given_on=utcnow().date() - timedelta(days=2),
        expires_on=kw.pop("expires_on", DAY + timedelta(days=30)),
        note="",
        **kw,
    )
    db.add(consent)
    db.flush()
    return consent


def profile(db, consent: Consent, n: int = 1):
    return approved_content(
        db,
        kind="profile",
        title=f"Tấm gương hiến máu {n}",
        body=f"<p>Chị đã hiến máu tình nguyện {n * 10} lần.</p>",
        person={"name": PERSON, "commune_code": TAN_PHONG, "consent_id": consent.id},
    )


def fanpage_channel(db, token: str):
    channel = create_channel(
        db,
        kind="fanpage",
        slug="trang-hien-mau",
        name="Trang Hội Chữ thập đỏ",
        settings={"page_id": PAGE_ID, "access_token": token, "app_secret": APP_SECRET},
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
    )
    channel.health_checked_at = utcnow()
    return channel


# ---- at delivery time ----------------------------------------------------------------------


def test_a_profile_its_consent_covers_is_delivered(app, db, receiver):
    consent = consent_row(db, ["webhook"])
    pub = due_publication(db, profile(db, consent), webhook_channel(db, receiver.url))
    run_pipeline(app, db)
    assert fresh(db, Publication, pub.id).status == "published"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("lapse", ["withdrawn", "expired", "scope"])
def test_a_profile_whose_consent_lapsed_before_delivery_reaches_no_channel(
    app, db, receiver, caplog, lapse
):
    caplog.set_level(logging.DEBUG)
    consent = consent_row(db, ["webhook"])
    pub = due_publication(db, profile(db, consent), webhook_channel(db, receiver.url))
    db.commit()
    change = {
        "withdrawn": {"withdrawn_at": utcnow()},
        "expired": {"expires_on": utcnow().date() - timedelta(days=1)},
        "scope": {"scope": ["rss"]},
    }[lapse]
    set_row(db, Consent, consent.id, **change)
    run_pipeline(app, db, rounds=2)
    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled"
    assert row.last_error_class == "consent"
    assert row.published_at is None
    assert receiver.requests == []
    assert PERSON not in (row.last_error or "")
    assert PERSON not in caplog.text


def test_an_uncertain_delivery_of_a_lapsed_profile_is_not_sent_again(app, db, receiver):
    consent = consent_row(db, ["webhook"])
    pub = due_publication(db, profile(db, consent), webhook_channel(db, receiver.url))
    db.commit()
    # An earlier call timed out: the webhook (idempotent, no lookup) would simply resend.
    set_row(db, Publication, pub.id, status="unconfirmed", reconcile=True, attempts=1)
    set_row(db, Consent, consent.id, withdrawn_at=utcnow())
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.last_error_class == "consent"
    assert receiver.requests == []


# ---- withdrawal ----------------------------------------------------------------------------


def test_withdrawal_takes_the_profile_down_where_each_channel_can(
    app, db, client, editor, receiver
):
    consent = consent_row(db, ["rss", "loudspeaker", "webhook"])
    item = profile(db, consent)
    rss = rss_channel(db)
    hook = webhook_channel(db, receiver.url)
    speaker = loudspeaker_channel(db, [TAN_PHONG])
    on_rss = due_publication(db, item, rss)
    on_hook = due_publication(db, item, hook)
    db.commit()
    run_pipeline(app, db)
    assert fresh(db, Publication, on_rss.id).status == "published"
    assert fresh(db, Publication, on_hook.id).status == "published"
    feed = client.get(f"/feeds/{rss.slug}.rss").get_data(as_text=True)
    assert "Tấm gương hiến máu 1" in feed
    # Loudspeaker: one item aired yesterday, one released for a day still ahead.
    aired_day = utcnow().astimezone(LOCAL).date() - timedelta(days=1)
    aired = due_publication(db, item, speaker, at=local(aired_day, 6), expires_at=local(DAY, 23))
    ahead = due_publication(db, item, speaker, at=local(DAY, 6))
    pending = due_publication(db, item, rss, at=utcnow() + timedelta(days=3))
    for pub in (aired, ahead):
        pub.status, pub.published_at = "published", utcnow()
    db.commit()
    assert [
        e.item.publication_id for s in bulletin_for(db, TAN_PHONG, DAY).slots for e in s.entries
    ] == [ahead.id]

    answer = client.post(f"/api/v1/consents/{consent.id}/withdraw", headers=editor)
    assert answer.status_code == 200, answer.get_json()
    outcome = answer.get_json()
    assert [r["publication_id"] for r in outcome["cancelled"]] == [pending.id]
    assert {r["publication_id"] for r in outcome["withdrawn"]} == {on_rss.id, ahead.id}
    not_withdrawn = {r["publication_id"]: r["reason"] for r in outcome["not_withdrawn"]}
    assert set(not_withdrawn) == {on_hook.id, aired.id}
    assert "không cho gỡ" in not_withdrawn[on_hook.id]
    assert "Đã phát trên loa" in not_withdrawn[aired.id]
    assert PERSON not in answer.get_data(as_text=True).replace(
        answer.get_json()["consent"]["person_name"], ""
    )

    db.expire_all()
    feed = client.get(f"/feeds/{rss.slug}.rss").get_data(as_text=True)
    assert "Tấm gương hiến máu 1" not in feed
    assert bulletin_for(db, TAN_PHONG, DAY).slots == [] or not any(
        s.entries for s in bulletin_for(db, TAN_PHONG, DAY).slots
    )
    # Yesterday's aired bulletin keeps its record.
    yesterday = bulletin_for(db, TAN_PHONG, aired_day)
    assert [e.item.publication_id for s in yesterday.slots for e in s.entries] == [aired.id]
    db.commit()
    run_pipeline(app, db)
    assert len(receiver.requests) == 1  # nothing new reached the webhook


def test_withdrawal_deletes_the_page_post_through_the_withdraw_job(app, db, client, editor, graph):
    token = graph.add_page(PAGE_ID, "Hội Chữ thập đỏ tỉnh Lai Châu", app_secret=APP_SECRET)
    consent = consent_row(db, ["fanpage"])
    pub = due_publication(db, profile(db, consent), fanpage_channel(db, token))
    run_pipeline(app, db)
    assert len(graph.posts(PAGE_ID)) == 1
    answer = client.post(f"/api/v1/consents/{consent.id}/withdraw", headers=editor)
    assert [r["publication_id"] for r in answer.get_json()["withdrawing"]] == [pub.id]
    run_pipeline(app, db, rounds=2)
    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.withdrawn_at is not None
    assert graph.posts(PAGE_ID) == []


def test_withdrawal_removes_the_zalo_article(app, db, client, editor, zalo):
    from tests.integration.test_zalo_pipeline import APP_ID, zalo_channel

    secret = "zalo-app-secret"
    tokens = zalo.add_app(APP_ID, secret)
    consent = consent_row(db, ["zalo"])
    pub = due_publication(db, profile(db, consent), zalo_channel(db, tokens, secret))
    run_pipeline(app, db, rounds=2)
    assert fresh(db, Publication, pub.id).status == "published"
    assert len(zalo.articles()) == 1
    answer = client.post(f"/api/v1/consents/{consent.id}/withdraw", headers=editor)
    assert [r["publication_id"] for r in answer.get_json()["withdrawing"]] == [pub.id]
    run_pipeline(app, db)
    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.withdrawn_at is not None
    assert zalo.articles() == []


def test_a_row_in_flight_at_withdrawal_is_taken_down_once_its_outcome_is_known(
    app, db, client, editor
):
    consent = consent_row(db, ["rss"])
    rss = rss_channel(db)
    pub = due_publication(db, profile(db, consent), rss)
    run_pipeline(app, db)
    set_row(db, Publication, pub.id, status="unconfirmed")
    answer = client.post(f"/api/v1/consents/{consent.id}/withdraw", headers=editor)
    withdrawing = answer.get_json()["withdrawing"]
    assert [r["publication_id"] for r in withdrawing] == [pub.id]
    assert "khi biết kết quả" in withdrawing[0]["reason"]
    # Reconciliation finds the post: the row is published again, then the sweep takes it down.
    set_row(db, Publication, pub.id, status="published")
    assert "Tấm gương hiến máu 1" in client.get(f"/feeds/{rss.slug}.rss").get_data(as_text=True)
    reports = run_pipeline(app, db)
    assert reports[0].extra["consent_sweep"] == 1
    row = fresh(db, Publication, pub.id)
    assert row.status == "cancelled" and row.withdrawn_at is not None
    assert "Tấm gương hiến máu 1" not in client.get(f"/feeds/{rss.slug}.rss").get_data(as_text=True)
    assert run_pipeline(app, db)[0].extra["consent_sweep"] == 0
