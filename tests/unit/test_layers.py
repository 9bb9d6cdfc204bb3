"""The import rules, read from the code: pure packages, layers, no cycles, no kind branches.

Imports are read with ``ast``, counting those inside functions (a function-level import that
closes a circle is still a circle) and leaving out ``if TYPE_CHECKING:`` blocks, which never
run. The rules (README, "Layout"):

- ``content_library/``, ``channels/`` and ``jobqueue/`` import nothing of ours, not even each
  other: each may import only itself.
- Inside ``publisher/``, web and CLI (the app, the API, the UI, commands, public routes, the
  kinds' views and extensions) sit above the domain (planning, delivery, feed import, transfer,
  loudspeaker bulletins, RSS items …), which sits above persistence (``db`` and the models). A
  few base modules (settings, times, errors, tags) import nothing above persistence and may be
  used from anywhere. A module imports only its own layer or those below.
- No import cycle among our modules.
- No module over 600 lines.
- No branch on a registered kind's name (``kind == "fanpage"``, ``kind in ("rss", …)``) in
  generic ``publisher/`` code: that knowledge lives with the adapter or in the kind's own
  ``publisher/<kind>/`` package, reached through :mod:`publisher.extensions`.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from functools import cache
from pathlib import Path

import pytest

from channels.registry import kinds

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("publisher", "channels", "jobqueue", "content_library")
PURE = ("content_library", "channels", "jobqueue")
MAX_LINES = 600

BASE, PERSISTENCE, DOMAIN, WEB = 0, 1, 2, 3
LAYER_NAMES = {BASE: "base", PERSISTENCE: "persistence", DOMAIN: "domain", WEB: "web/CLI"}
# Patterns over dotted module names; the first that matches decides, anything else is domain.
LAYERS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (BASE, ("publisher.settings", "publisher.times", "publisher.errors", "publisher.tags")),
    (PERSISTENCE, ("publisher.db", "publisher.models", "publisher.*.models", "publisher.migrate")),
    (
        WEB,
        (
            "publisher",  # create_app
            "publisher.app",
            "publisher.api",
            "publisher.api.*",
            "publisher.ui",
            "publisher.ui.*",
            "publisher.cli",
            "publisher.commands",
            "publisher.account_commands",
            "publisher.progress",
            "publisher.public",
            "publisher.downloads",
            "publisher.health",
            "publisher.metrics",
            "publisher.routing",
            "publisher.security",
            "publisher.logs",
            "publisher.embedded",
            "publisher.lifecycle",
            "publisher.auth.principal",
            "publisher.planning.calendar",  # the /calendar/<slug>.ics blueprint
            "publisher.*.views",
            "publisher.*.api",
            "publisher.*.web",
            "publisher.*.cli",
            "publisher.*.commands",
            "publisher.*.extension",
        ),
    ),
)
# publisher.extensions is domain: rendering and planning ask it for a kind's extension. It
# finds the extensions by dotted path (as channels/registry.py finds adapters), so the web
# parts an extension registers in init_app are not its imports.
# Where a kind's name may be spelt: its own package, and the demo and seed data.
KIND_BRANCH_ALLOWED = (
    "publisher/demo.py",
    "publisher/demo_donors.py",
    "publisher/seed.py",
    "publisher/planning/seeding.py",
)


def layer_of(module: str) -> int:
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in patterns):
            return layer
    return DOMAIN


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str) -> str | None:
    """The module of ours that ``name`` names (``a.b.c`` may be a name inside ``a.b``)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


@cache
def imports() -> dict[str, frozenset[str]]:
    """Each of our modules → the modules of ours it imports, wherever in the file."""
    graph: dict[str, frozenset[str]] = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skipped = _type_checking_nodes(tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    target = _resolve(name)
                    if target and target != module:
                        targets.add(target)
        graph[module] = frozenset(targets)
    return graph


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_sees_function_level_imports_and_cycles():
    # The checker must be able to fail: publisher.__init__ imports the app inside a function.
    assert "publisher.app" in imports()["publisher"]
    assert _cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}) == [
        ["a", "b", "c"]
    ]
    assert _cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


@pytest.mark.parametrize("package", PURE)
def test_the_pure_packages_import_nothing_of_ours(package):
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in imports().items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] != package
    )
    assert wrong == []


def test_layers_inside_publisher_point_down():
    wrong = sorted(
        f"{module} ({LAYER_NAMES[layer_of(module)]}) imports {target} "
        f"({LAYER_NAMES[layer_of(target)]})"
        for module, targets in imports().items()
        if module.split(".")[0] == "publisher"
        for target in targets
        if target.split(".")[0] == "publisher" and layer_of(target) > layer_of(module)
    )
    assert wrong == []


def test_no_import_cycles():
    assert _cycles(imports()) == []


def test_no_module_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): count
        for path in modules().values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _kind_literals(node: ast.expr, names: frozenset[str]) -> list[str]:
    if isinstance(node, ast.Constant) and node.value in names:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names]
    return []


def kind_branches(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """Comparisons (``==``, ``!=``, ``in``, ``not in``, ``match`` cases) with a kind's name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                found += [(node.lineno, name) for name in _kind_literals(side, names)]
        elif isinstance(node, ast.match_case):
            for sub in ast.walk(node.pattern):
                if isinstance(sub, ast.MatchValue):
                    found += [(node.pattern.lineno, n) for n in _kind_literals(sub.value, names)]
    return found


def kind_lists(source: str, names: frozenset[str]) -> list[int]:
    """Lines with a literal list, tuple, set or dict naming two kinds or more: a second registry."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements = node.elts
        elif isinstance(node, ast.Dict):
            elements = [key for key in node.keys if key is not None]
        else:
            continue
        if len(_kind_literals(ast.Tuple(elts=list(elements)), names)) >= 2:
            found.append(node.lineno)
    return found


def test_the_kind_branch_check_finds_branches_and_lists():
    names = frozenset(kinds())
    source = 'if c.kind == "fanpage": pass\nok = kind in ("rss", "x")\nfine = kind == "poster"\n'
    assert kind_branches(source, names) == [(1, "fanpage"), (2, "rss")]
    source = 'KINDS = ["rss", "fanpage"]\nLABELS = {"rss": "RSS", "webhook": "W"}\none = ("rss",)\n'
    assert kind_lists(source, names) == [1, 2]


def test_no_branch_on_a_kind_name_in_generic_publisher_code():
    names = frozenset(kinds())
    kind_folders = tuple(f"publisher/{kind}/" for kind in names)
    found = []
    for path in modules().values():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith("publisher/") or relative.startswith(kind_folders):
            continue
        if relative in KIND_BRANCH_ALLOWED:
            continue
        source = path.read_text(encoding="utf-8")
        for line, name in kind_branches(source, names):
            found.append(f"{relative}:{line} compares with {name!r}")
        for line in kind_lists(source, names):
            found.append(f"{relative}:{line} lists kinds (ask channels.registry)")
    assert found == []


def test_no_template_branches_on_a_kind_name():
    # Jinja is not Python, so a plain pattern: `kind == 'rss'`, `kind in ('rss', …)`.
    names = "|".join(kinds())
    branch = re.compile(rf"""kind\s*(?:[!=]=|(?:not\s+)?in)\s*[(\[]?\s*['"](?:{names})['"]""")
    found = []
    for path in sorted((ROOT / "publisher").rglob("*.html")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(tuple(f"publisher/{kind}/" for kind in kinds())):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if branch.search(line):
                found.append(f"{relative}:{number}")
    assert found == []
    assert branch.search("{% if channel.kind == 'rss' %}")
