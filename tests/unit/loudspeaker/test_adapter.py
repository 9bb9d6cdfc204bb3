"""The loudspeaker adapter: settings validation and delivery results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.base import Adapter, ChannelConfig, Permanent, RenderedPost, SettingsInvalid
from channels.loudspeaker import LoudspeakerAdapter
from channels.registry import adapter_class


def _adapter() -> LoudspeakerAdapter:
    config = ChannelConfig(
        channel_id=1, slug="loa-ban-hon", name="Loa Bản Hon", settings={"commune_codes": ["03385"]}
    )
    return LoudspeakerAdapter(config)


def _post(publication_id: int = 42, text: str = "Kính thưa bà con", priority: str = "normal"):
    return RenderedPost(
        publication_id=publication_id,
        idempotency_key=f"pub-{publication_id}",
        title="Thông báo",
        text=text,
        priority=priority,
    )


def test_registered_with_its_metadata() -> None:
    assert adapter_class("loudspeaker") is LoudspeakerAdapter
    assert issubclass(LoudspeakerAdapter, Adapter)
    assert LoudspeakerAdapter.kind == "loudspeaker"
    assert LoudspeakerAdapter.label == "Loa truyền thanh xã"
    assert LoudspeakerAdapter.idempotent and LoudspeakerAdapter.can_withdraw
    assert LoudspeakerAdapter.can_lookup
    assert LoudspeakerAdapter.secret_fields() == set()


def test_valid_settings_are_cleaned() -> None:
    cleaned = LoudspeakerAdapter.validate_settings(
        {"commune_codes": ["03385", " 03388 ", "03385"], "slots": {"morning": "05:30"}}
    )
    assert cleaned == {"commune_codes": ["03385", "03388"], "slots": {"morning": "05:30"}}
    assert LoudspeakerAdapter.validate_settings({"commune_codes": ["03385"]}) == {
        "commune_codes": ["03385"]
    }


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({}, "commune_codes"),
        ({"commune_codes": "03385"}, "commune_codes"),
        ({"commune_codes": []}, "commune_codes"),
        ({"commune_codes": ["3385"]}, "commune_codes"),
        ({"commune_codes": [3385]}, "commune_codes"),
        ({"commune_codes": ["03385", "abcde"]}, "commune_codes"),
        ({"commune_codes": ["03385"], "slots": ["06:00"]}, "slots"),
        ({"commune_codes": ["03385"], "slots": {"noon": "12:00"}}, "slots"),
        ({"commune_codes": ["03385"], "slots": {"morning": "6:00"}}, "slots"),
        ({"commune_codes": ["03385"], "slots": {"evening": "24:00"}}, "slots"),
        ({"commune_codes": ["03385"], "page_id": "1"}, "page_id"),
    ],
)
def test_invalid_settings(settings: dict, field: str) -> None:
    with pytest.raises(SettingsInvalid) as raised:
        LoudspeakerAdapter.validate_settings(settings)
    assert field in raised.value.errors


def test_publish_lookup_and_withdraw() -> None:
    adapter = _adapter()
    result = adapter.publish(_post(42))
    assert result.external_id == "loudspeaker-42"
    assert adapter.publish(_post(42)) == result  # idempotent
    assert adapter.lookup(_post(42), datetime(2024, 12, 1, tzinfo=UTC)) == result
    assert adapter.withdraw("loudspeaker-42") is None


@pytest.mark.parametrize(("text", "priority"), [("  ", "normal"), ("Kính thưa", "urgent")])
def test_publish_refuses_unusable_posts(text: str, priority: str) -> None:
    with pytest.raises(Permanent):
        _adapter().publish(_post(text=text, priority=priority))


def test_package_imports_nothing_of_ours_but_channels_base() -> None:
    import ast
    from pathlib import Path

    import channels.loudspeaker as package

    ours = ("publisher", "content_library", "jobqueue", "channels", "flask", "sqlalchemy")
    for path in Path(package.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0].lower() not in ours:
                    continue
                allowed = name == "channels.base" or name.startswith("channels.loudspeaker")
                assert allowed, f"{path.name} imports {name}"
