"""One conformance test over every registered adapter: the protocol the pipeline relies on.

The kinds come from the registry, so a new kind is covered at once, and fails here until
tests/unit/adapter_fixtures.py has its entry. Each case runs against the kind's real
surroundings (the Graph emulator, a loopback webhook receiver; nothing for kinds that call
nobody) and checks the exact outcome: the result, or the error's class and message.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from channels.base import (
    Adapter,
    ChannelError,
    DeliveryResult,
    HealthReport,
    NotSupported,
    RateLimited,
    SettingsInvalid,
)
from channels.registry import adapter_class, kinds
from tests.unit.adapter_fixture_table import FIXTURES
from tests.unit.adapter_fixtures import Case, post, since

TYPES = {"string", "list", "object", "integer", "boolean"}
ERROR_CLASSES = {cls.__name__: cls for cls in ChannelError.__subclasses__()}
# The letters of Vietnamese: the Latin alphabet, đ, and the vowels with their diacritics.
VIETNAMESE_LETTERS = set(
    "abcdefghijklmnopqrstuvwxyzđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)


def fixture_for(kind: str):
    if kind not in FIXTURES:
        pytest.fail(
            f"channel kind {kind!r} is registered but has no entry in "
            "tests/unit/adapter_fixture_table.py FIXTURES: add its world, settings and cases",
            pytrace=False,
        )
    return FIXTURES[kind]


def case_params() -> list:
    params = []
    for kind in kinds():
        cases = FIXTURES[kind].cases if kind in FIXTURES else (None,)
        for case in cases:
            name = case.name if case else "no fixture"
            params.append(pytest.param(kind, case, id=f"{kind}: {name}"))
    return params


@pytest.fixture(params=kinds())
def kind(request) -> str:
    return request.param


def is_vietnamese(text: str) -> bool:
    """Non-empty NFC text written with Vietnamese letters (digits and punctuation aside)."""
    if not text or not text.strip() or not unicodedata.is_normalized("NFC", text):
        return False
    return all(ch.lower() in VIETNAMESE_LETTERS for ch in text if ch.isalpha())


# ---- the registry and the fixture table ------------------------------------------------


def test_every_kind_has_a_fixture_and_every_fixture_a_kind(kind):
    fixture = fixture_for(kind)
    assert any(case.error is None for case in fixture.cases), f"{kind}: no success case"
    assert set(FIXTURES) <= set(kinds()), "fixtures for kinds no longer registered"


def raised_error_classes(cls: type[Adapter]) -> set[str]:
    """The ChannelError classes the adapter's own code constructs (its module or package)."""
    source = Path(inspect.getsourcefile(importlib.import_module(cls.__module__)))
    # A kind in a package of its own (channels/fanpage/) is the whole package.
    in_package = source.name == "__init__.py" or cls.__module__.count(".") >= 2
    files = sorted(source.parent.glob("*.py")) if in_package else [source]
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ERROR_CLASSES:
                    found.add(name)
    return found


def test_cases_cover_every_error_the_adapter_raises(kind):
    """Every error class the kind's code can raise is produced by at least one case."""
    cls = adapter_class(kind)
    fixture = fixture_for(kind)
    produced = {case.error.__name__ for case in fixture.cases if case.error}
    # The base class's NotSupported for withdraw/lookup is checked for every kind below.
    inherited = {"NotSupported"} if not (cls.can_withdraw and cls.can_lookup) else set()
    missing = raised_error_classes(cls) - produced - inherited
    assert not missing, f"{kind}: no case produces {sorted(missing)}"


# ---- declared traits -------------------------------------------------------------------


def test_identity_labels_and_schema(kind):
    cls = adapter_class(kind)
    assert issubclass(cls, Adapter)
    assert cls.kind == kind
    assert is_vietnamese(cls.label), cls.label
    assert is_vietnamese(cls.short_label), cls.short_label
    assert cls.settings_schema
    for name, spec in cls.settings_schema.items():
        assert spec.get("type", "string") in TYPES, name
    assert cls.secret_fields() <= set(cls.settings_schema)


def test_every_setting_has_a_vietnamese_label(kind):
    labelled = [
        name
        for other in kinds()
        for name, spec in adapter_class(other).settings_schema.items()
        if spec.get("label")
    ]
    if not labelled:
        pytest.skip("no adapter declares settings labels yet (settings_schema[...]['label'])")
    for name, spec in adapter_class(kind).settings_schema.items():
        assert is_vietnamese(spec.get("label", "")), f"{kind}.{name}: label {spec.get('label')!r}"


def test_describe_is_json_and_keeps_secrets_out(kind):
    cls = adapter_class(kind)
    described = cls.describe()
    text = json.dumps(described, ensure_ascii=False)
    assert json.loads(text) == described
    assert described["kind"] == kind
    assert described["label"] == cls.label
    assert set(described["settings"]) == set(cls.settings_schema)
    secrets = cls.secret_fields()
    assert {n for n, s in described["settings"].items() if s["secret"]} == secrets
    for name in secrets:
        # What a form may know of a secret: that it is one, never a value.
        assert not {"default", "value", "example"} & set(described["settings"][name]), name
    for name in secrets & set(fixture_for(kind).valid):
        assert str(fixture_for(kind).valid[name]) not in text, name


def test_capabilities_are_coherent(kind):
    cls = adapter_class(kind)
    if cls.can_lookup:
        assert cls.lookup is not Adapter.lookup
    if cls.can_withdraw:
        assert cls.withdraw is not Adapter.withdraw
    else:
        assert not cls.withdraw_is_remote
    # An adapter that cannot look posts up must be safe to send twice, or the pipeline
    # could only resolve an unknown outcome by asking a person.
    assert cls.can_lookup or cls.idempotent


def test_what_an_adapter_cannot_do_raises_not_supported(kind):
    cls = adapter_class(kind)
    if cls.can_withdraw and cls.can_lookup:
        pytest.skip(f"{kind} can withdraw and look up")
    with fixture_for(kind).world() as world:
        adapter = world.adapter()
        if not cls.can_withdraw:
            with pytest.raises(NotSupported) as caught:
                adapter.withdraw("external-1")
            assert type(caught.value) is NotSupported
            assert caught.value.message == f"{kind} cannot withdraw a delivered post"
        if not cls.can_lookup:
            with pytest.raises(NotSupported) as caught:
                adapter.lookup(post(), since())
            assert type(caught.value) is NotSupported
            assert caught.value.message == f"{kind} cannot look up earlier deliveries"


def test_an_adapter_without_credentials_to_check_reports_ok(kind):
    cls = adapter_class(kind)
    if cls.can_check:
        assert cls.check is not Adapter.check
        return
    with fixture_for(kind).world() as world:
        assert world.adapter().check() == HealthReport(status="ok", reason="")


# ---- settings --------------------------------------------------------------------------


def test_valid_settings_are_kept(kind):
    cls = adapter_class(kind)
    valid = fixture_for(kind).valid
    cleaned = cls.validate_settings(valid)
    assert set(cleaned) <= set(cls.settings_schema)
    assert cleaned == {name: valid[name] for name in cleaned}


def test_settings_refused_with_their_reasons(kind):
    cls = adapter_class(kind)
    fixture = fixture_for(kind)
    required = {n for n, s in cls.settings_schema.items() if s.get("required")}
    with pytest.raises(SettingsInvalid) as empty:
        cls.validate_settings({})
    assert empty.value.errors == dict.fromkeys(required, "is required")
    with pytest.raises(SettingsInvalid) as unknown:
        cls.validate_settings({**fixture.valid, "no_such_setting": 1})
    assert unknown.value.errors == {"no_such_setting": "is not a setting of this channel"}
    with pytest.raises(SettingsInvalid) as not_a_mapping:
        cls.validate_settings(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert not_a_mapping.value.errors == {"settings": "must be an object"}
    for settings, errors in fixture.refused:
        with pytest.raises(SettingsInvalid) as refused:
            cls.validate_settings(settings)
        assert refused.value.errors == dict(errors), settings


# ---- behaviour against the kind's world ------------------------------------------------


@pytest.mark.parametrize(("kind", "case"), case_params())
def test_case(kind: str, case: Case | None):
    fixture = fixture_for(kind)
    assert case is not None
    with fixture.world() as world:
        if case.error is None:
            outcome = case.run(world)
            if isinstance(outcome, DeliveryResult):
                assert outcome.external_id, outcome
        else:
            with pytest.raises(ChannelError) as caught:
                case.run(world)
            outcome = caught.value
            assert type(outcome) is case.error, f"{type(outcome).__name__}: {outcome}"
            assert re.fullmatch(case.message, outcome.message, re.DOTALL), outcome.message
            assert str(outcome) == outcome.message
            if isinstance(outcome, RateLimited):
                assert case.retry_after is not None, "a RateLimited case states its retry_after"
                assert outcome.retry_after == case.retry_after
        if case.then is not None:
            case.then(world, outcome)


def test_adapters_import_no_flask_and_no_database(kind):
    module = adapter_class(kind).__module__
    code = (
        f"import sys, {module}; "
        "bad = sorted(m for m in ('flask', 'sqlalchemy', 'publisher', 'content_library') "
        "if m in sys.modules); print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
