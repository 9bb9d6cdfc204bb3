"""Every registered kind's conformance entry: one line per kind."""

from __future__ import annotations

from tests.unit.adapter_fixtures import BASE_FIXTURES, KindFixture
from tests.unit.adapter_fixtures_zalo import ZALO

FIXTURES: dict[str, KindFixture] = {**BASE_FIXTURES, "zalo": ZALO}
