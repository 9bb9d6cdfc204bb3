"""The worker's warm-up: one throwaway delivery through a kind that calls out to nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from channels.registry import adapters
from publisher.db import db
from publisher.delivery.models import Attempt, Channel, Publication
from publisher.delivery.warmup import warm_statement_cache


def test_the_warm_up_delivers_once_and_leaves_nothing_behind(app):
    offline = [cls.kind for cls in adapters() if cls.offline_settings is not None]
    assert offline, "some registered kind must deliver without calling out"
    for cls in adapters():
        if cls.offline_settings is not None:
            cls.validate_settings(cls.offline_settings)  # a channel can be made with them

    assert warm_statement_cache(app) is True

    with app.app_context():
        for model in (Channel, Publication, Attempt):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
