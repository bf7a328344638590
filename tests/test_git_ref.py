"""--ref REV reads the repository from git objects: clones, detached HEAD, shallow clones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from apictl_cli import EXAMPLE, line_of, run, run_process
from git_repo import example_repository, git, shallow_clone


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A git repository with the example under api/: commit 1 valid, commit 2 breaks it."""
    origin = example_repository(tmp_path / "origin")
    assets = origin / "api" / "apis" / "assets.yaml"
    assets.write_text(assets.read_text().replace("service: {name", "servce: {name"))
    git(origin, "commit", "-qam", "typo")
    return origin


def test_ref_reads_old_revision_without_checkout(history: Path, capsys) -> None:
    assert run(capsys, "validate", str(history / "api")).code == 3
    assert run(capsys, "validate", str(history / "api"), "--ref", "HEAD~1").code == 0
    broken = run(capsys, "validate", str(history / "api"), "--ref", "HEAD", "-o", "json")
    assert broken.code == 3
    diagnostic = broken.json()["diagnostics"][0]
    assert diagnostic["line"] == line_of(history / "api" / "apis" / "assets.yaml", "servce")
    assert broken.json()["revision"] == git(history, "rev-parse", "HEAD")


def test_ref_ignores_uncommitted_changes(history: Path, capsys) -> None:
    (history / "api" / "plans" / "gold.yaml").write_text(
        "kind: Plan\napiVersion: apictl.io/v1alpha1\nmetadata: {name: BAD}\n"
    )
    assert run(capsys, "validate", str(history / "api"), "--ref", "HEAD~1").code == 0


def test_clone_detached_and_shallow(history: Path, tmp_path: Path) -> None:
    clone = shallow_clone(history, tmp_path / "clone")
    git(clone, "checkout", "-q", "--detach", "HEAD")
    ok = run_process("validate", "api", "--ref", "HEAD", cwd=clone)
    assert ok.code == 3  # HEAD has the typo, read from git objects of a shallow, detached clone
    missing = run_process("validate", "api", "--ref", "HEAD~1", cwd=clone)
    assert missing.code == 2
    assert "revision 'HEAD~1' is not in this clone" in missing.stderr
    assert "git fetch" in missing.stderr


def test_ref_outside_git_is_a_usage_error(tmp_path: Path, capsys) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "plain")
    result = run(capsys, "validate", str(tmp_path / "plain"), "--ref", "HEAD")
    assert result.code == 2
    assert "not inside a git repository" in result.stderr


def test_path_missing_at_revision(history: Path, capsys) -> None:
    (history / "newdir").mkdir()
    result = run(capsys, "validate", str(history / "newdir"), "--ref", "HEAD")
    assert result.code == 2
    assert "does not exist at revision HEAD" in result.stderr
