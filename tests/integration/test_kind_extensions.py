"""What the loudspeaker and RSS kinds add to the service, through their extensions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from publisher.extensions import KindExtension, extension_for, extensions
from publisher.feedimport.jobs import feed_imports


def test_the_app_registers_each_kinds_routes_and_the_feed_import_duty(app):
    assert {"loudspeaker", "feeds"} <= set(app.blueprints)
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert "/feeds/<slug>.rss" in rules
    assert any(rule.startswith("/scripts/") for rule in rules)
    # Registered by the app itself, once, not by importing the public RSS routes.
    assert app.extensions["dispatch_hooks"].count(feed_imports) == 1


def test_kinds_without_an_extension_get_one_that_adds_nothing(db):
    assert set(extensions()) == {"loudspeaker", "rss"}
    nothing = extension_for("webhook")
    assert type(nothing) is KindExtension
    assert nothing.post_extra(db, None, "text") == {}
    assert nothing.channel_context(db, None) == {}


@pytest.mark.parametrize(
    ("correction", "planned", "expected", "corrected"),
    [
        ("Bản đọc đã sửa.", None, "Bản đọc đã sửa.", True),
        (None, None, "Ngày mười hai tháng một.", False),
        # Words planned from a template are not the version's: the correction does not apply.
        ("Bản đọc đã sửa.", {"body_html": "<p>Ngày 12/1.</p>"}, "Ngày mười hai tháng một.", False),
    ],
)
def test_the_loudspeaker_post_carries_its_reading(db, correction, planned, expected, corrected):
    pub = SimpleNamespace(version=SimpleNamespace(reading_text=correction), render_context=planned)
    extra = extension_for("loudspeaker").post_extra(db, pub, "Ngày 12/1.")
    assert extra["reading_text"] == expected
    assert extra["reading_corrected"] is corrected
    assert extra["reading_rate"] == 190


def test_the_loudspeaker_form_offers_the_communes(db):
    context = extension_for("loudspeaker").channel_context(db, None)
    codes = [c.code for c in context["communes"]]
    assert "03408" in codes and len(codes) == len(set(codes))
    assert context["commune_names"] == {}
    channel = SimpleNamespace(settings={"commune_codes": ["03408"]})
    names = extension_for("loudspeaker").channel_context(db, channel)["commune_names"]
    assert list(names) == ["03408"] and "Tân Phong" in names["03408"]
