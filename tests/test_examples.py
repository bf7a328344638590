"""The bundled examples, run the way the README tells a newcomer to run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from apictl_cli import REPO, run_process

INVALID = sorted(p for p in (REPO / "examples" / "invalid").iterdir() if p.is_dir())


def test_assetco_is_valid() -> None:
    result = run_process("validate", "examples/assetco", cwd=REPO)
    assert result.code == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "✓ examples/assetco: 17 manifests valid"


def test_assetco_json_output_parses() -> None:
    result = run_process("validate", "examples/assetco", "-o", "json", cwd=REPO)
    assert result.code == 0
    payload = result.json()
    assert payload["valid"] is True
    assert payload["errors"] == 0


@pytest.mark.parametrize("repo", INVALID, ids=[p.name for p in INVALID])
def test_invalid_examples_exit_3_with_locations(repo: Path) -> None:
    result = run_process("validate", str(repo.relative_to(REPO)), cwd=REPO)
    assert result.code == 3, result.stderr
    located = re.findall(rf"^  (examples/invalid/{repo.name}/\S+):(\d+):(\d+): error: ", result.stderr, re.M)
    assert located, result.stderr
    for file, line, _ in located:
        assert (REPO / file).is_file() and int(line) >= 1
    assert result.stdout == ""
