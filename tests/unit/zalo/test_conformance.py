"""What is particular to the Zalo kind as the registry shows it.

The generic adapter conformance test (tests/unit/test_adapter_conformance.py, with the Zalo
entry in tests/unit/adapter_fixtures_zalo.py) covers the rest: labels, describe(), settings
valid and refused, imports, and every outcome against the emulator.
"""

from __future__ import annotations

import unicodedata

from channels.registry import adapter_class, kinds, kinds_where, service_setting_names
from channels.zalo import EXPIRES_SETTING, ZaloAdapter


def test_registered_with_its_capabilities():
    assert "zalo" in kinds()
    cls = adapter_class("zalo")
    assert cls is ZaloAdapter
    for trait in ("can_withdraw", "can_lookup", "can_check", "wants_share_image"):
        assert "zalo" in kinds_where(trait), trait
    assert not cls.idempotent  # create has no idempotency key: unknown outcomes are looked up


def test_secrets_capabilities_and_help():
    cls = adapter_class("zalo")
    assert cls.secret_fields() == {"app_secret", "access_token", "refresh_token"}
    described = cls.describe()
    assert described["capabilities"] == {
        "withdraw": True,
        "reconcile": True,
        "credential_check": True,
        "media": True,
    }
    for name, spec in described["settings"].items():
        assert spec["help"], name
        assert unicodedata.is_normalized("NFC", spec["help"])
    assert described["settings"]["broadcast"]["type"] == "boolean"


def test_service_settings_point_at_zalo_by_default():
    names = service_setting_names()
    assert names["ZALO_OPENAPI_URL"] == "https://openapi.zalo.me"
    assert names["ZALO_OAUTH_URL"] == "https://oauth.zaloapp.com"


def test_the_kept_expiry_passes_validation_but_is_no_form_field():
    good = {"app_id": "1", "app_secret": "s", "access_token": "a", "refresh_token": "r"}
    when = "2026-12-05T10:00:00+00:00"
    assert ZaloAdapter.validate_settings({**good, EXPIRES_SETTING: when})[EXPIRES_SETTING] == when
    assert EXPIRES_SETTING not in ZaloAdapter.validate_settings({**good, EXPIRES_SETTING: "soon"})
    assert EXPIRES_SETTING not in ZaloAdapter.describe()["settings"]
