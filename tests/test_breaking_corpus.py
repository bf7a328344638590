"""The breaking-change corpus: base/head pairs under tests/cases/breaking/, each with its exact findings.

Every case starts from tests/cases/breaking/_scaffold (two APIs, three applications, two plans, two
environments), replaces or adds the files it lists for its base and head revisions (``null``
deletes a file), checks that both revisions are valid, and compares. The expected findings list
the id, level, location (``file:line``, in the head revision, or in the base for removals) and
the affected applications per environment. ``expect: []`` is a "no finding" case.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

CASES = Path(__file__).parent / "cases" / "breaking"
SCAFFOLD = CASES / "_scaffold"
CASE_FILES = sorted(CASES.glob("*.yaml"))


def build(root: Path, files: dict[str, str | None]) -> None:
    shutil.copytree(SCAFFOLD, root, ignore=shutil.ignore_patterns("*.md"))
    for rel, text in files.items():
        target = root / rel
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def findings_of(case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    from apictl.load.bundle_loader import load_bundle
    from apictl.model.diagnostics import has_errors
    from apictl.validate import validate
    from apictl.validate.breaking import compare

    bundles = []
    for side, files in (("base", case["base"]), ("head", {**case["base"], **case["head"]})):
        build(tmp_path / side / "repo", files)
        monkeypatch.chdir(tmp_path / side)  # both revisions are shown as repo/...
        bundle = load_bundle("repo")
        problems = [str(d) for d in validate(bundle) if has_errors([d])]
        assert not problems, f"the {side} revision of the case is invalid: {problems}"
        bundles.append(bundle)
    return [
        {
            "id": f.id,
            "level": str(f.level),
            "at": f"{f.location.file.removeprefix('repo/')}:{f.location.line}" if f.location else None,
            "affected": {env: list(apps) for env, apps in f.affected},
        }
        for f in compare(*bundles)
    ]


def _sorted(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda f: (f["id"], f["at"] or "", str(f["affected"])))


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    assert case["description"]
    assert _sorted(findings_of(case, tmp_path, monkeypatch)) == _sorted(case["expect"] or [])


def test_corpus_size_and_coverage() -> None:
    """At least 60 pairs, several "no finding" pairs, and every check id appears in some case."""
    from apictl.validate.breaking.checks import CHECKS

    cases = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CASE_FILES]
    assert len(cases) >= 60
    assert sum(1 for c in cases if not c["expect"]) >= 10
    covered = {f["id"] for c in cases for f in c["expect"] or []}
    assert set(CHECKS) - covered == set(), "checks without a case"
    assert covered - set(CHECKS) == set(), "ids missing from the check table"
