"""The results report asks adapters and the registry about kinds; it never names one."""

from __future__ import annotations

import ast
from pathlib import Path

from channels import registry

PACKAGE = Path(__file__).resolve().parents[2] / "publisher" / "reports"


def test_no_kind_name_in_the_report_package():
    kinds = set(registry.kinds())
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in kinds:
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert found == []


def test_traits_say_which_kinds_air_in_sessions_and_carry_articles():
    assert registry.kinds_where("scheduled_in_slots") == ["loudspeaker"]
    assert registry.kinds_where("public_articles") == ["rss"]
