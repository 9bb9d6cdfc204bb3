"""Production refuses a SECRET_KEY that is short or written anywhere in the repository.

The repository is not deployed, so the service carries digests of the published keys in
config/; this test reads the repository's files for SECRET_KEY values and checks that every
one of them is refused, so a key added to an example or a test without its digest fails here.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from publisher.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
# `SECRET_KEY=value`, `SECRET_KEY: value`, `"SECRET_KEY": "value"`, `SECRET_KEY="value"`, and
# the constants tests and benchmarks name SECRET / secret before passing them as the key.
QUOTED = re.compile(r"""(?:SECRET_KEY|\bSECRET|\bsecret)["']?\s*[:=]\s*["']([^"'\n]+)["']""")
BARE = re.compile(r"""SECRET_KEY["']?\s*[:=]\s*([^\s"'`|$][^\s"'`|]*)""")


def published_keys() -> dict[str, str]:
    """Every SECRET_KEY value written in the repository, with where it was found."""
    files = [ROOT / ".env.example", ROOT / "README.md", ROOT / "docker-compose.yml"]
    files += sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    found: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (QUOTED, BARE):
            for match in pattern.finditer(text):
                value = match.group(1).strip().rstrip(",;)")
                if value and not value.startswith(("${", "$(")):
                    found.setdefault(value, str(path.relative_to(ROOT)))
    return found


def production(key: str) -> Settings:
    return Settings.load(
        environ={},
        overrides={
            "PUBLISHER_ENV": "production",
            "SECRET_KEY": key,
            "INSTANCE_PATH": "/nonexistent",
        },
    )


def test_the_scan_finds_the_keys_people_copy():
    keys = published_keys()
    assert "change-me-to-at-least-32-random-characters" in keys  # .env.example
    assert "test-secret-key-0123456789" in keys  # tests/conftest.py
    assert len(keys) >= 5


def test_every_key_in_the_repository_is_refused_in_production():
    accepted = []
    for key, where in published_keys().items():
        try:
            production(key)
        except SettingsError:
            continue
        accepted.append(f"{key!r} ({where})")
    assert not accepted, (
        "keys published in the repository but accepted in production; add their SHA-256 to "
        "config/known-secret-keys.sha256: " + ", ".join(accepted)
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "required"),
        ("x" * 31, "at least 32"),
        ("change-me-to-at-least-32-random-characters", "published with the source"),
    ],
)
def test_production_says_why_a_key_is_refused(key, reason):
    with pytest.raises(SettingsError, match=reason):
        production(key)


def test_a_fresh_long_key_starts_in_production_and_anything_goes_in_development():
    key = secrets.token_urlsafe(48)
    assert key == production(key).SECRET_KEY
    development = Settings.load(
        environ={}, overrides={"SECRET_KEY": "short", "INSTANCE_PATH": "/nonexistent"}
    )
    assert development.SECRET_KEY == "short"
