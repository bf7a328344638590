"""The layers import one way: model -> load -> validate -> render -> reconcile -> cluster, cli on top."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "apictl"
ORDER = ["model", "load", "validate", "render", "reconcile", "cluster", "cli"]
ONLY_IN = {
    "kubernetes": {"cluster"},
    "typer": {"cli"},
    "rich": {"cli"},
}


def _layer(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 and parts[0] in ORDER else None


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def _violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = _layer(path)
        if layer is None:
            continue
        rank = ORDER.index(layer)
        for module, line in _imports(path):
            top = module.split(".")[0]
            if top == "apictl" and "." in module:
                target = module.split(".")[1]
                if target in ORDER and ORDER.index(target) > rank and layer != "cli":
                    problems.append(
                        f"{path.relative_to(PACKAGE.parent)}:{line}: {layer} imports {module} (a later layer)"
                    )
            if top in ONLY_IN and layer not in ONLY_IN[top]:
                problems.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {layer} imports {top} (only {ONLY_IN[top]} may)"
                )
    return problems


def test_layers_import_in_one_direction() -> None:
    assert _violations() == []


def test_checker_catches_a_violation(tmp_path: Path, monkeypatch) -> None:
    bad = PACKAGE / "model" / "_architecture_probe.py"
    bad.write_text("from apictl.render import render_environment\nimport kubernetes\n", encoding="utf-8")
    try:
        found = _violations()
    finally:
        bad.unlink()
    assert any("model imports apictl.render" in v for v in found)
    assert any("model imports kubernetes" in v for v in found)


def test_no_utils_dumping_ground() -> None:
    names = {p.stem for p in PACKAGE.rglob("*.py")} | {p.name for p in PACKAGE.rglob("*") if p.is_dir()}
    assert not names & {"utils", "helpers", "misc", "common"}
