"""The authority of tag URIs and calendar UIDs, from PUBLIC_BASE_URL."""

from __future__ import annotations

import pytest

from publisher.tags import FALLBACK_AUTHORITY, tag_authority, tag_uri


@pytest.mark.parametrize(
    ("base_url", "authority"),
    [
        ("http://127.0.0.1:5000", "127.0.0.1"),
        ("https://HienMau.LaiChau.gov.vn:443/", "hienmau.laichau.gov.vn"),
        ("https://user:secret@portal.example:8443/path", "portal.example"),
        ("http://localhost", "localhost"),
        ("http://[::1]:5000", FALLBACK_AUTHORITY),
        ("", FALLBACK_AUTHORITY),
    ],
)
def test_authority_is_a_dns_name_without_port(base_url: str, authority: str) -> None:
    assert tag_authority(base_url) == authority


def test_tag_uri_has_a_fixed_date() -> None:
    assert tag_uri("http://publisher.test:8080", "content-7") == "tag:publisher.test,2025:content-7"


def test_an_international_name_becomes_its_ascii_form() -> None:
    authority = tag_authority("https://Hiếnmáu.vn:8443")
    assert authority.isascii() and authority.startswith("xn--") and authority.endswith(".vn")
    assert authority.encode("ascii").decode("idna") == "hiếnmáu.vn"
