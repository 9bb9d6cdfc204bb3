"""PortalRssAdapter: settings validation and the no-op delivery contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.base import ChannelConfig, RenderedPost, SettingsInvalid
from channels.portal_rss import PortalRssAdapter
from channels.registry import adapter_class


def _adapter() -> PortalRssAdapter:
    config = ChannelConfig(channel_id=1, slug="cong-tinh", name="Cổng tỉnh", settings={})
    return PortalRssAdapter(config)


def _post(**extra) -> RenderedPost:
    return RenderedPost(
        publication_id=42,
        idempotency_key="pub-42",
        title="Chủ nhật Đỏ",
        text="Mời bà con đến hiến máu.",
        link="https://hienmau.laichau.gov.vn/articles/7-chu-nhat-do",
        extra=extra,
    )


def test_registry_and_class_attributes():
    assert adapter_class("rss") is PortalRssAdapter
    assert PortalRssAdapter.kind == "rss"
    assert PortalRssAdapter.label == "RSS cho cổng thông tin"
    assert PortalRssAdapter.idempotent is True
    assert PortalRssAdapter.can_withdraw is True
    assert PortalRssAdapter.can_lookup is True
    assert PortalRssAdapter.secret_fields() == set()


def test_valid_settings_are_cleaned_and_defaulted():
    cleaned = PortalRssAdapter.validate_settings({"title": "  Tin hiến máu  "})
    assert cleaned == {"title": "Tin hiến máu"}
    cleaned = PortalRssAdapter.validate_settings(
        {"title": "Tin", "description": "Mô tả", "items_limit": 500}
    )
    assert cleaned == {"title": "Tin", "description": "Mô tả", "items_limit": 500}


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": 5}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Tin", "items_limit": 0}, "items_limit"),
        ({"title": "Tin", "items_limit": 501}, "items_limit"),
        ({"title": "Tin", "items_limit": "50"}, "items_limit"),
        ({"title": "Tin", "items_limit": True}, "items_limit"),
        ({"title": "Tin", "page_id": "1"}, "page_id"),
    ],
)
def test_invalid_settings_name_the_field(settings, field):
    with pytest.raises(SettingsInvalid) as caught:
        PortalRssAdapter.validate_settings(settings)
    assert field in caught.value.errors


def test_all_errors_are_reported_together():
    with pytest.raises(SettingsInvalid) as caught:
        PortalRssAdapter.validate_settings({"items_limit": 9999})
    assert set(caught.value.errors) == {"title", "items_limit"}
    with pytest.raises(SettingsInvalid) as caught:
        PortalRssAdapter.validate_settings({"title": " ", "items_limit": 0, "extra": 1})
    assert set(caught.value.errors) == {"title", "items_limit", "extra"}


def test_empty_items_limit_leaves_the_service_default():
    cleaned = PortalRssAdapter.validate_settings({"title": "Tin", "items_limit": ""})
    assert "items_limit" not in cleaned


def test_publish_uses_the_stable_guid_and_the_article_link():
    result = _adapter().publish(_post(guid="urn:campaign-publisher:content:7"))
    assert result.external_id == "urn:campaign-publisher:content:7"
    assert result.external_url == "https://hienmau.laichau.gov.vn/articles/7-chu-nhat-do"
    assert _adapter().publish(_post()).external_id == "pub-42"


def test_lookup_finds_what_publish_made_and_withdraw_is_a_no_op():
    post = _post(guid="g-7")
    adapter = _adapter()
    assert adapter.lookup(post, datetime(2025, 1, 1, tzinfo=UTC)) == adapter.publish(post)
    assert adapter.withdraw("g-7") is None
