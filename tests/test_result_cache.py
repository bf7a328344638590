"""The validation cache never answers with a stale result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from apictl_cli import copy_example, run

from apictl.load import result_cache


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("APICTL_CACHE_DIR", str(folder))
    result_cache.default.cache_clear()
    yield folder
    result_cache.default.cache_clear()


def test_warm_run_gives_the_same_answer_and_edits_are_seen(tmp_path: Path, capsys, private_cache: Path) -> None:
    repo = copy_example(tmp_path)
    cold = run(capsys, "validate", str(repo), "-o", "json")
    warm = run(capsys, "validate", str(repo), "-o", "json")
    assert cold.code == warm.code == 0
    assert cold.stdout == warm.stdout
    assert (private_cache / "results-v1.sqlite").is_file()
    plan = repo / "plans" / "gold.yaml"
    plan.write_text(plan.read_text().replace("kind: Plan", "kind: Plann"))
    edited = run(capsys, "validate", str(repo), "-o", "json")
    assert edited.code == 3
    assert [d["code"] for d in edited.json()["diagnostics"]] == ["schema-unknown-kind"]


def test_definition_outside_the_yaml_walk_is_tracked(tmp_path: Path, capsys) -> None:
    repo = copy_example(tmp_path)
    source = repo / "definitions" / "assets.openapi.yaml"
    as_json = repo / "definitions" / "assets.openapi.json"
    as_json.write_text(json.dumps(yaml.safe_load(source.read_text())))
    source.unlink()
    api = repo / "apis" / "assets.yaml"
    api.write_text(api.read_text().replace("assets.openapi.yaml", "assets.openapi.json"))
    assert run(capsys, "validate", str(repo)).code == 0
    document = json.loads(as_json.read_text())
    document["paths"]["/"]["get"]["responses"] = "nothing"
    as_json.write_text(json.dumps(document))
    assert run(capsys, "validate", str(repo)).code == 3
    as_json.unlink()
    missing = run(capsys, "validate", str(repo), "-o", "json")
    assert missing.code == 3
    assert "file-not-found" in {d["code"] for d in missing.json()["diagnostics"]}


def test_salt_changes_with_library_versions_and_apictl_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from importlib import metadata

    result_cache.salt.cache_clear()
    before = result_cache.salt()
    real_version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "99.0" if name == "jsonschema-rs" else real_version(name))
    result_cache.salt.cache_clear()
    upgraded = result_cache.salt()
    monkeypatch.setattr(metadata, "version", real_version)
    monkeypatch.setenv("APICTL_VALIDATION", "careful")
    result_cache.salt.cache_clear()
    careful = result_cache.salt()
    monkeypatch.delenv("APICTL_VALIDATION")
    result_cache.salt.cache_clear()
    assert len({before, upgraded, careful}) == 3
    assert result_cache.salt() == before


def test_corrupt_cache_is_ignored(tmp_path: Path, capsys, private_cache: Path) -> None:
    repo = copy_example(tmp_path)
    private_cache.mkdir(parents=True)
    (private_cache / "results-v1.sqlite").write_bytes(b"not a database" * 100)
    result_cache.default.cache_clear()
    assert run(capsys, "validate", str(repo)).code == 0


def test_cache_can_be_switched_off(
    tmp_path: Path, capsys, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APICTL_CACHE", "off")
    result_cache.default.cache_clear()
    assert run(capsys, "validate", str(copy_example(tmp_path))).code == 0
    assert not (private_cache / "results-v1.sqlite").exists()
