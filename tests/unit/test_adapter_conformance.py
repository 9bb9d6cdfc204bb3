"""One conformance test over every registered adapter: the protocol the pipeline relies on."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from channels.base import (
    Adapter,
    ChannelConfig,
    ChannelError,
    DeliveryResult,
    HealthReport,
    RenderedPost,
    SettingsInvalid,
    Transient,
)
from channels.registry import adapter_class, kinds
from tests.services import free_port

VALID = {
    "webhook": {"url": "http://127.0.0.1:9/hook", "secret": "s" * 24},
    "fanpage": {"page_id": "1234567890", "access_token": "page-token"},
    "rss": {"title": "Tin hiến máu"},
    "loudspeaker": {"commune_codes": ["03408"]},
    "zalo": {"app_id": "1", "app_secret": "s", "access_token": "a", "refresh_token": "r"},
}
TYPES = {"string", "list", "object", "integer", "boolean"}


def test_every_kind_has_valid_settings_here():
    assert set(kinds()) == set(VALID)


@pytest.fixture(params=kinds())
def kind(request) -> str:
    return request.param


def make(kind: str, port: int | None = None) -> Adapter:
    closed = f"http://127.0.0.1:{port or free_port()}"
    settings = dict(VALID[kind])
    if kind == "webhook":
        settings["url"] = closed + "/hook"
    config = ChannelConfig(
        channel_id=1,
        slug=f"{kind}-1",
        name=kind,
        settings=settings,
        options={
            "graph_url": closed,
            "graph_version": "v25.0",
            "openapi_url": closed,
            "oauth_url": closed,
            "timeout": 2,
            "connect_timeout": 1,
            "public_base_url": "http://publisher.test",
            # The closed port is on 127.0.0.1: allowed here, as in every loopback test.
            "allow_private": True,
        },
    )
    return adapter_class(kind)(config)


def post() -> RenderedPost:
    return RenderedPost(
        publication_id=7,
        idempotency_key="pub-7-abc",
        title="Hiến máu tình nguyện",
        text="Ngày 20/12/2024 lúc 7h30 tại Hội trường UBND phường Tân Phong.",
        html="<p>Ngày 20/12/2024</p>",
        summary="Ngày hội hiến máu",
        link="http://publisher.test/articles/7-hien-mau",
        scheduled_at=datetime.now(UTC),
        expires_at=datetime.now(UTC) + timedelta(days=1),
        extra={
            "guid": "tag:publisher.test,2025:content-7",
            "reading_text": "ngày hai mươi",
            "share_image_url": "http://publisher.test/images/share.png",
        },
    )


def test_identity_and_schema(kind):
    cls = adapter_class(kind)
    assert issubclass(cls, Adapter)
    assert cls.kind == kind
    assert cls.label and unicodedata.is_normalized("NFC", cls.label)
    assert cls.settings_schema
    for name, spec in cls.settings_schema.items():
        assert spec.get("type", "string") in TYPES, name
    assert cls.secret_fields() <= set(cls.settings_schema)


def test_settings_validation(kind):
    cls = adapter_class(kind)
    cleaned = cls.validate_settings(VALID[kind])
    assert set(cleaned) <= set(cls.settings_schema)
    required = {n for n, s in cls.settings_schema.items() if s.get("required")}
    with pytest.raises(SettingsInvalid) as empty:
        cls.validate_settings({})
    assert required <= set(empty.value.errors)
    with pytest.raises(SettingsInvalid) as unknown:
        cls.validate_settings({**VALID[kind], "no_such_setting": 1})
    assert "no_such_setting" in unknown.value.errors
    with pytest.raises(SettingsInvalid):
        cls.validate_settings(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_capabilities_are_implemented(kind):
    cls = adapter_class(kind)
    if cls.can_lookup:
        assert cls.lookup is not Adapter.lookup
    if cls.can_withdraw:
        assert cls.withdraw is not Adapter.withdraw
    # An adapter that cannot look posts up must be safe to send twice, or the pipeline
    # could only resolve an unknown outcome by asking a person.
    assert cls.can_lookup or cls.idempotent


def test_publish_returns_a_result_or_a_typed_error(kind):
    adapter = make(kind)
    try:
        result = adapter.publish(post())
    except ChannelError as exc:
        # Nothing listens on the port: nothing was sent, so it is safe to try again.
        assert isinstance(exc, Transient), exc
    else:
        assert isinstance(result, DeliveryResult)
        assert result.external_id
        again = adapter.lookup(post(), datetime.now(UTC) - timedelta(minutes=5))
        assert again is not None and again.external_id == result.external_id
    finally:
        close = getattr(adapter, "close", None)
        if close:
            close()


def test_check_answers_a_health_report_or_a_typed_error(kind):
    adapter = make(kind)
    try:
        report = adapter.check()
    except ChannelError:
        pass  # the channel could not be asked; the caller records "unknown"
    else:
        assert isinstance(report, HealthReport)
        assert report.status in ("ok", "expiring", "needs_attention")
    finally:
        close = getattr(adapter, "close", None)
        if close:
            close()


def test_adapters_import_no_flask_and_no_database(kind):
    module = adapter_class(kind).__module__
    code = (
        f"import sys, {module}; "
        "bad = sorted(m for m in ('flask', 'sqlalchemy', 'publisher', 'content_library') "
        "if m in sys.modules); print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
