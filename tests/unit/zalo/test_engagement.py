"""Engagement of a Zalo article: the views and shares the OA's article list reports."""

from __future__ import annotations

import pytest

from channels.base import Permanent
from tests.unit.zalo.conftest import make_post


def test_views_and_shares_come_from_the_article_list(adapter, zalo):
    published = adapter.publish(make_post())
    zalo.set_engagement(published.external_id, views=1523, shares=41)
    assert adapter.engagement(published.external_id) == {"views": 1523, "shares": 41}


def test_an_article_on_a_later_page_is_found(adapter, zalo):
    first = adapter.publish(make_post(title="Bài thứ nhất", publication_id=1))
    for n in range(2, 14):  # twelve newer articles push the first onto the second page
        adapter.publish(make_post(title=f"Bài thứ {n}", publication_id=n))
    zalo.set_engagement(first.external_id, views=7, shares=2)
    assert adapter.engagement(first.external_id) == {"views": 7, "shares": 2}


def test_an_article_the_list_no_longer_has_reads_as_nothing(adapter, zalo):
    published = adapter.publish(make_post())
    adapter.withdraw(published.external_id)
    assert adapter.engagement(published.external_id) is None


def test_no_article_id_is_refused(adapter):
    with pytest.raises(Permanent, match="Chưa có mã bài viết Zalo"):
        adapter.engagement("")
