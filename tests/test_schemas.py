"""JSON Schemas in schemas/ are generated from the models and must not be stale."""

from __future__ import annotations

import json
from pathlib import Path

from apictl_cli import REPO, run

from apictl.model.manifests import KINDS


def test_committed_schemas_are_fresh(capsys) -> None:
    result = run(capsys, "schema", "--out-dir", str(REPO / "schemas"), "--check")
    assert result.code == 0, f"schemas/ is stale: run `apictl schema`\n{result.stderr}"


def test_check_detects_stale_files(tmp_path: Path, capsys) -> None:
    assert run(capsys, "schema", "--out-dir", str(tmp_path)).code == 0
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(KINDS)
    (tmp_path / "API.json").write_text("{}", encoding="utf-8")
    stale = run(capsys, "schema", "--out-dir", str(tmp_path), "--check")
    assert stale.code == 3
    assert "API.json" in stale.stderr


def test_schema_rejects_unknown_fields_like_the_loader() -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((REPO / "schemas" / "Plan.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    good = {
        "apiVersion": "apictl.io/v1alpha1",
        "kind": "Plan",
        "metadata": {"name": "gold"},
        "spec": {"rateLimit": {"requests": 5, "per": "second"}},
    }
    assert list(validator.iter_errors(good)) == []
    bad = {**good, "spec": {"rateLimt": {"requests": 5, "per": "second"}}}
    assert list(validator.iter_errors(bad))
