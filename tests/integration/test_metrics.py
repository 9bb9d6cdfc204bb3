"""/metrics follows Prometheus semantics: counters never go down, windows are gauges."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from content_library.db import utcnow
from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Publication
from tests.integration.feeds_support import article, publish, rss_channel

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client) -> tuple[str, dict[str, str], Samples]:
    """The raw text, each family's type, and every sample by name and labels."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    types: dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return text, types, samples


def monotonic_part(types: dict[str, str], samples: Samples) -> Samples:
    """Samples of counters, and the cumulative parts of histograms and summaries."""
    names: set[str] = set()
    for family, kind in types.items():
        if kind == "counter":
            names |= {family, f"{family}_total"}
        elif kind in ("histogram", "summary"):
            names |= {f"{family}_count", f"{family}_sum", f"{family}_bucket"}
    return {key: value for key, value in samples.items() if key[0] in names}


def assert_never_decrease(before: Samples, after: Samples) -> None:
    for key, value in before.items():
        assert key in after, f"counter sample {key} vanished"
        assert after[key] >= value, f"counter {key} went down: {value} -> {after[key]}"


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_counters_never_decrease_across_ticks_deliveries_and_the_window(app, client, db):
    channel = rss_channel(db)
    db.commit()
    _, types, first = scrape(client)
    # Whatever is counted from rows, or over a window, is a gauge; counters are the process's.
    for name in (
        "publisher_publications",
        "publisher_attempts",
        "publisher_attempt_errors",
        "publisher_recently_published",
        "publisher_recent_publish_lag_seconds",
        "publisher_queue_depth",
    ):
        assert types[name] == "gauge", name
    counters = {name for name, kind in types.items() if kind == "counter"}
    assert "process_cpu_seconds" in counters
    assert not {k for k in types.values() if k in ("histogram", "summary")}

    history = [monotonic_part(types, first)]
    delivered = []
    for n in range(3):
        delivered += publish(app, db, [article(db, f"Tin hiến máu số {n + 1}")], channel)
        db.commit()  # on SQLite even a read holds the write lock until the transaction ends
        with app.app_context():
            dispatch_once()
        _, types, samples = scrape(client)
        history.append(monotonic_part(types, samples))
        assert value(samples, "publisher_recently_published") == len(delivered)
        assert value(samples, "publisher_attempts", outcome="published", kind="rss") == len(
            delivered
        )

    # Across the window's edge: a post older than seven days leaves the recent figures.
    db.execute(
        update(Publication)
        .where(Publication.id == delivered[0])
        .values(published_at=utcnow() - timedelta(days=8))
    )
    db.commit()
    with app.app_context():
        dispatch_once()
    _, types, samples = scrape(client)
    history.append(monotonic_part(types, samples))
    assert value(samples, "publisher_recently_published") == len(delivered) - 1
    for before, after in itertools.pairwise(history):
        assert_never_decrease(before, after)


def _promtool() -> str | None:
    return os.environ.get("PROMTOOL") or shutil.which("promtool")


@pytest.mark.skipif(
    _promtool() is None,
    reason="promtool is not installed (Debian: apt-get install prometheus, or set PROMTOOL)",
)
def test_promtool_accepts_the_exposition(app, client, db):
    channel = rss_channel(db)
    db.commit()
    publish(app, db, [article(db, "Lịch hiến máu")], channel)
    db.commit()
    text, _types, _samples = scrape(client)
    checked = subprocess.run(
        [_promtool(), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "" and checked.stderr.strip() == "", checked.stderr
