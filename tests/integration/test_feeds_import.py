"""Feed import into the database, against a real HTTP server serving real-world shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from content_library.db import utcnow
from content_library.models import ContentItem
from content_library.services import latest
from publisher.feedimport.models import FeedSource
from publisher.feedimport.service import import_enabled, import_source
from tests.integration.feed_server import ETAG, LAST_MODIFIED, feed_server
from tests.integration.feeds_support import assert_inert, campaign


@pytest.fixture
def feeds():
    with feed_server() as server:
        yield server


def _source(db, url: str, **kw) -> FeedSource:
    source = FeedSource(url=url, interval_minutes=kw.pop("interval_minutes", 30), **kw)
    db.add(source)
    db.commit()
    return source


def _items(db, source: FeedSource) -> list[ContentItem]:
    return list(
        db.scalars(
            select(ContentItem)
            .where(ContentItem.feed_source_id == source.id)
            .order_by(ContentItem.id)
        )
    )


def _count(db) -> int:
    return db.scalar(select(func.count(ContentItem.id)))


def test_rss_entries_become_drafts_naming_and_linking_their_source(db, feeds):
    camp = campaign(db)
    source = _source(db, feeds.url("/rss.xml"), campaign_id=camp.id, tags=["báo chí"])
    now = utcnow()
    report = import_source(db, source, allow_private=True, now=now)
    assert (report.created, report.skipped, report.not_modified, report.error) == (
        2,
        0,
        False,
        None,
    )
    items = _items(db, source)
    # Oldest first: ids follow the articles' order in time.
    assert [latest(i).title for i in items] == [
        "Điều kiện hiến máu",
        "Chủ nhật Đỏ: hơn 300 đơn vị máu",
    ]
    oldest, newest = items
    for item in items:
        assert item.status == "draft" and item.kind == "article"
        assert item.campaign_id == camp.id and latest(item).tags == ["báo chí"]
        assert item.source_name == "Báo Lai Châu"
        assert item.approved_version_id is None
        assert latest(item).status == "draft"
        assert "<" not in latest(item).title
        assert_inert(latest(item).body_html)
    assert newest.source_guid == "bao-lc-1"
    assert newest.source_url == "https://baolaichau.vn/xa-hoi/chu-nhat-do-300-don-vi.html"
    body = latest(newest).body_html
    assert f'href="{feeds.url("/dia-diem")}"' in body  # made absolute (against the feed)
    assert (
        'Nguồn: <a href="https://baolaichau.vn/xa-hoi/chu-nhat-do-300-don-vi.html"' in body
    ) and ">Báo Lai Châu</a>" in body
    assert latest(oldest).title == "Điều kiện hiến máu"
    assert "Từ 18 đến 60 tuổi" in latest(oldest).body_html  # no content: the summary
    db.expire_all()
    row = db.get(FeedSource, source.id)
    assert row.last_status == "ok" and row.last_error is None
    assert row.last_fetched_at == now
    assert row.next_fetch_at == now + timedelta(minutes=30)
    assert row.imported_count == 2
    assert row.name == "Báo Lai Châu"  # a source without a name takes the feed's title


def test_importing_again_creates_nothing(db, feeds):
    source = _source(db, feeds.url("/rss.xml"), name="Báo tỉnh")
    import_source(db, source, allow_private=True, now=utcnow())
    again = import_source(db, source, allow_private=True, now=utcnow())
    assert (again.created, again.skipped, again.error) == (0, 2, None)
    assert _count(db) == 2
    assert {i.source_name for i in _items(db, source)} == {"Báo tỉnh"}
    # Another source carrying the same articles (other guids, same links) adds nothing either.
    mirror = _source(db, feeds.url("/mirror.xml"))
    report = import_source(db, mirror, allow_private=True, now=utcnow())
    assert (report.created, report.skipped) == (0, 2)
    assert _count(db) == 2
    db.expire_all()
    assert db.get(FeedSource, source.id).imported_count == 2


def test_atom_and_a_wrongly_declared_encoding_import_cleanly(db, feeds):
    atom = _source(db, feeds.url("/atom.xml"))
    report = import_source(db, atom, allow_private=True, now=utcnow())
    assert report.created == 1
    (item,) = _items(db, atom)
    assert latest(item).title == "Ngày toàn dân hiến máu 7/4"
    assert item.source_url == "https://vienhuyethoc.vn/tin/7-4"
    assert "Đủ 18 tuổi, nặng từ 45 kg (nam), 42 kg (nữ)." in latest(item).body_html
    assert item.source_name == "Viện Huyết học"
    wrong = _source(db, feeds.url("/wrong-encoding.xml"))
    assert import_source(db, wrong, allow_private=True, now=utcnow()).created == 2
    titles = {latest(i).title for i in _items(db, wrong)}
    assert "Chủ nhật Đỏ: hơn 300 đơn vị máu" in titles  # not mojibake


def test_an_unchanged_feed_answering_304_only_moves_the_timestamps(db, feeds):
    source = _source(db, feeds.url("/unchanged.xml"))
    first_at = utcnow() - timedelta(hours=1)
    assert import_source(db, source, allow_private=True, now=first_at).created == 2
    db.expire_all()
    row = db.get(FeedSource, source.id)
    assert (row.etag, row.last_modified) == (ETAG, LAST_MODIFIED)
    later = utcnow()
    report = import_source(db, row, allow_private=True, now=later)
    assert report.not_modified is True and report.created == 0 and report.error is None
    sent = feeds.requests_to("/unchanged.xml")[-1]
    assert sent["If-None-Match"] == ETAG and sent["If-Modified-Since"] == LAST_MODIFIED
    db.expire_all()
    row = db.get(FeedSource, source.id)
    assert row.last_status == "not_modified"
    assert row.last_fetched_at == later and row.next_fetch_at == later + timedelta(minutes=30)
    assert row.imported_count == 2 and _count(db) == 2
    assert (row.etag, row.last_modified) == (ETAG, LAST_MODIFIED)


EXPECTED_ERRORS = {
    "/broken.xml": ("Nguồn tin bị lỗi định dạng",),
    # A web page instead of a feed: either message tells the editor what is wrong.
    "/page.html": ("không phải nguồn tin RSS hoặc Atom", "Nguồn tin bị lỗi định dạng"),
    "/enormous.xml": ("Nguồn tin quá lớn (trên 5 MB)",),
    "/loop-a": ("Vòng lặp chuyển hướng",),
    "/gone": ("Không tìm thấy nguồn tin (HTTP 410)",),
}


def test_broken_sources_record_readable_errors_and_do_not_stop_the_others(db, feeds):
    broken = {path: _source(db, feeds.url(path)) for path in EXPECTED_ERRORS}
    good = _source(db, feeds.url("/rss.xml"))
    recoverable = _source(db, feeds.url("/recoverable.xml"))
    off = _source(db, feeds.url("/atom.xml"), enabled=False)
    now = utcnow()
    reports = {r.source_id: r for r in import_enabled(db, allow_private=True, now=now)}
    assert set(reports) == {s.id for s in [*broken.values(), good, recoverable]}
    assert reports[good.id].created == 2
    assert reports[recoverable.id].created == 1  # broken XML that still yields entries
    assert off.id not in reports and _items(db, off) == []
    db.expire_all()
    for path, expected in EXPECTED_ERRORS.items():
        row = db.get(FeedSource, broken[path].id)
        assert reports[row.id].error == row.last_error
        assert any(text in row.last_error for text in expected), (path, row.last_error)
        assert row.last_status == "error"
        assert row.last_fetched_at == now and row.next_fetch_at == now + timedelta(minutes=30)
        assert row.etag is None and row.imported_count == 0
    # A later success clears the error.
    feeds.routes["/gone"] = feeds.routes["/rss.xml"]
    gone = db.get(FeedSource, broken["/gone"].id)
    assert import_source(db, gone, allow_private=True, now=utcnow()).error is None
    db.expire_all()
    assert db.get(FeedSource, gone.id).last_error is None


def test_redirects_are_followed_to_the_feed(db, feeds):
    source = _source(db, feeds.url("/moved"))
    assert import_source(db, source, allow_private=True, now=utcnow()).created == 2


def test_private_addresses_are_refused_unless_allowed(db, feeds):
    source = _source(db, feeds.url("/rss.xml"))
    report = import_source(db, source, allow_private=False, now=utcnow())
    assert report.error == "Địa chỉ nội bộ bị chặn"
    assert feeds.requests_to("/rss.xml") == []  # refused before any request left
    assert _count(db) == 0
