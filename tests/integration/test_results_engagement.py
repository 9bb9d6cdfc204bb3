"""Engagement for the results report: the Page adapter reads reactions, comments and shares
from the Graph emulator over HTTP; the dispatcher's hook enqueues the read on the maintenance
queue, a real worker runs it, and the readings reach the report with the time read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from channels.base import ChannelConfig, Permanent
from channels.fanpage import FanpageAdapter
from content_library.db import utcnow
from jobqueue.worker import EmbeddedWorker
from publisher import create_app
from publisher.delivery.channels import create_channel
from publisher.delivery.dispatch import dispatch_once
from publisher.reports.engagement import ENGAGEMENT_JOB, engagement_kinds, engagement_reads
from publisher.reports.models import EngagementReading
from tests.conftest import app_config, clean_database
from tests.factories import approved_content, due_publication
from tests.fakes import GraphEmulator

PAGE_ID = "1001"


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        yield emulator


@pytest.fixture
def token(graph: GraphEmulator) -> str:
    return graph.add_page(PAGE_ID, "Hội Chữ thập đỏ tỉnh Lai Châu")


@pytest.fixture
def app(database_url: str, tmp_path: Path, graph: GraphEmulator) -> Iterator[object]:
    application = create_app(app_config(database_url, tmp_path, FACEBOOK_GRAPH_URL=graph.base_url))
    yield application
    clean_database(application)


def _adapter(graph: GraphEmulator, token: str) -> FanpageAdapter:
    return FanpageAdapter(
        ChannelConfig(
            1,
            "trang",
            "Trang",
            {"page_id": PAGE_ID, "access_token": token},
            {"graph_url": graph.base_url},
        )
    )


def test_page_adapter_reads_the_summaries_graph_offers(graph, token):
    shared = graph.add_post(PAGE_ID, "Mời hiến máu")
    graph.set_engagement(shared, reactions=12, comments=3, shares=2)
    unshared = graph.add_post(PAGE_ID, "Cảm ơn")
    graph.set_engagement(unshared, reactions=4)
    with _adapter(graph, token) as adapter:
        assert adapter.engagement(shared) == {"reactions": 12, "comments": 3, "shares": 2}
        # Graph sends no "shares" for a post nobody shared.
        assert adapter.engagement(unshared) == {"reactions": 4, "comments": 0, "shares": 0}
        with pytest.raises(Permanent):
            adapter.engagement(f"{PAGE_ID}_999999")
    asked = [e for e in graph.requests_log if e.method == "GET"]
    assert asked[0].params["fields"] == (
        "reactions.summary(total_count),comments.summary(total_count),shares"
    )


def test_engagement_is_a_trait_of_the_adapter_not_of_a_name():
    # The Page and the Zalo OA report engagement; the feed, the stations and webhooks do not.
    assert engagement_kinds() == ["fanpage", "zalo"]


def _published(db, channel, post_id: str, *, days_ago: float = 1, withdrawn: bool = False):
    pub = due_publication(db, approved_content(db), channel)
    pub.status = "published"
    pub.published_at = utcnow() - timedelta(days=days_ago)
    pub.external_id = post_id
    if withdrawn:
        pub.withdrawn_at = utcnow()
    db.flush()
    return pub


def _page_channel(app, db, token):
    return create_channel(
        db,
        kind="fanpage",
        slug="trang-ctd",
        name="Trang Hội CTĐ",
        settings={"page_id": PAGE_ID, "access_token": token},
        secret_key=app.config["SETTINGS"].SECRET_KEY,
    )


def _work(app) -> None:
    queue = app.extensions["jobqueue"]
    worker = EmbeddedWorker(queue.queues(), connection=queue.redis)
    worker.app = app
    worker.work(burst=True, logging_level="WARNING", with_scheduler=False)


def test_dispatcher_enqueues_and_a_worker_reads_and_keeps(app, db, graph, token, make_user):
    channel = _page_channel(app, db, token)
    recent = graph.add_post(PAGE_ID, "Tin mới")
    graph.set_engagement(recent, reactions=7, comments=2, shares=1)
    old = graph.add_post(PAGE_ID, "Tin cũ")
    gone = graph.add_post(PAGE_ID, "Tin đã gỡ")
    fresh = _published(db, channel, recent)
    _published(db, channel, old, days_ago=40)
    _published(db, channel, gone, withdrawn=True)
    db.commit()

    with app.app_context():
        report = dispatch_once()
    assert report.extra["engagement_reads"] == 1
    queue = app.extensions["jobqueue"]
    jobs = queue.queue("maintenance").jobs
    # The Page's token check rides on the same queue.
    assert [job.func_name for job in jobs].count(ENGAGEMENT_JOB) == 1
    with app.app_context():
        # The next tick in the same hour does not ask again.
        assert engagement_reads(queue, utcnow()) == 0
    graph.clear_log()
    _work(app)
    db.expire_all()
    readings = db.scalars(select(EngagementReading)).all()
    assert [(r.publication_id, r.figures) for r in readings] == [
        (fresh.id, {"reactions": 7, "comments": 2, "shares": 1})
    ]
    assert utcnow() - readings[0].read_at < timedelta(minutes=5)
    asked = {
        e.path.rsplit("/", 1)[-1]
        for e in graph.requests_log
        if e.method == "GET" and "fields" in e.params
    }
    assert asked == {recent}  # neither the month-old post nor the withdrawn one
    channel_id = channel.id
    db.rollback()  # SQLite: the job below writes; this session must hold no transaction

    # Just read: nothing is due until READ_EVERY has passed.
    from publisher.reports.engagement import read_engagement

    with app.app_context():
        assert read_engagement(channel_id) == "read 0"
        later = utcnow() + timedelta(hours=7)
        graph.set_engagement(recent, reactions=9, comments=2, shares=1)
        assert read_engagement(channel_id, now=later) == "read 1"

    _, headers = make_user("editor")
    today = utcnow().date()
    answer = (
        app.test_client()
        .get(
            "/api/v1/reports/results",
            query_string={
                "from": (today - timedelta(days=3)).isoformat(),
                "to": (today + timedelta(days=1)).isoformat(),
            },
            headers=headers,
        )
        .get_json()
    )
    assert answer["engagement"]["totals"] == {"reactions": 9, "comments": 2, "shares": 1}


def test_a_token_without_read_permission_stops_the_run(app, db, graph, token):
    channel = _page_channel(app, db, token)
    first = graph.add_post(PAGE_ID, "Một")
    second = graph.add_post(PAGE_ID, "Hai")
    _published(db, channel, first)
    _published(db, channel, second)
    channel_id = channel.id
    db.commit()
    graph.set_scopes(token, ["pages_manage_posts", "pages_show_list"])
    graph.clear_log()
    from publisher.reports.engagement import read_engagement

    with app.app_context():
        assert read_engagement(channel_id) == "stopped after 0"
    assert len([e for e in graph.requests_log if e.method == "GET"]) == 1  # not one per post
    db.expire_all()
    assert db.scalars(select(EngagementReading)).all() == []
