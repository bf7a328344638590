"""apictl breaking on git histories: the acceptance scenario, exit codes, revisions, shallow clones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from apictl_cli import line_of, run, run_process
from git_repo import example_repository, git


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def acceptance_changes(api: Path) -> None:
    """Remove a response property, narrow region_id's enum, lower the Gold plan."""
    assets = api / "definitions" / "assets.openapi.yaml"
    edit(assets, "      required: [id, type, region]\n", "      required: [id, type]\n")
    edit(assets, "        region: {type: string, enum: [R1, R2, R3]}\n", "")
    edit(
        api / "definitions" / "asset-events.asyncapi.yaml",
        "enum: [R1, R2, R3]\n        description: The region",
        "enum: [R1, R2]\n        description: The region",
    )
    edit(
        api / "plans" / "gold.yaml", "rateLimit: {requests: 100, per: second}", "rateLimit: {requests: 50, per: second}"
    )


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """main: the assetco example under api/; feature: the acceptance branch (one commit ahead)."""
    repo = example_repository(tmp_path / "origin")
    git(repo, "checkout", "-q", "-b", "feature")
    acceptance_changes(repo / "api")
    git(repo, "commit", "-qam", "breaking changes")
    git(repo, "checkout", "-q", "main")
    return repo


def by_id(findings: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for f in findings:
        grouped.setdefault(f["id"], []).append(f)
    return grouped


def test_acceptance_three_changes_with_affected_applications(history: Path, capsys) -> None:
    result = run(capsys, "breaking", str(history / "api"), "--base", "main", "--head", "feature", "-o", "json")
    assert result.code == 7, result.stderr
    report = result.json()
    found = by_id(report["findings"])
    api = history / "api"

    removed = found["response-required-property-removed"]
    assert {f["message"] for f in removed} == {
        "API assets@1.2.0: GET /: removed the required property '[].region' from the 200 response",
        "API assets@1.2.0: GET /{assetId}: removed the required property 'region' from the 200 response",
    }
    for f in removed:
        assert (f["level"], f["file"]) == ("error", f"{api}/definitions/assets.openapi.yaml")
        assert f["line"] == 45  # where `region` was, in the base revision
        assert f["affected"] == {
            "dev": ["fixit-maintenance", "swift-repair"],
            "prod": ["fixit-maintenance", "swift-repair"],
        }

    [narrowed] = found["channel-parameter-enum-value-removed"]
    assert narrowed["level"] == "error"
    assert narrowed["line"] == line_of(api / "definitions" / "asset-events.asyncapi.yaml", "enum: [R1, R2, R3]")
    assert "region_id" in narrowed["message"] and "R3" in narrowed["message"]
    # fixit (R1) and swift (R2) keep every region they receive; the publisher can no longer send R3
    assert narrowed["affected"] == {"dev": ["assetco-telemetry"], "prod": ["assetco-telemetry"]}

    [lowered] = found["plan-limit-lowered"]
    assert lowered["level"] == "error"
    assert lowered["message"] == "plan 'gold': rateLimit lowered from 100/second to 50/second in dev"
    assert (lowered["file"], lowered["line"]) == (f"{api}/plans/gold.yaml", 8)
    assert lowered["affected"] == {"dev": ["fixit-maintenance"]}  # prod overrides gold's rate limit

    assert set(found) == {
        "response-required-property-removed",
        "channel-parameter-enum-value-removed",
        "plan-limit-lowered",
    }
    assert report["affectedApplications"] == ["assetco-telemetry", "fixit-maintenance", "swift-repair"]
    assert report["failing"] == 4 and report["failOn"] == "error"


def test_acceptance_on_the_checked_out_branch(history: Path) -> None:
    """Head defaults to the working tree; the text report names the applications."""
    git(history, "checkout", "-q", "feature")
    result = run_process("breaking", "api", "--base", "main", "--fail-on", "error", cwd=history)
    assert result.code == 7
    assert "fixit-maintenance" in result.stderr and "[plan-limit-lowered]" in result.stderr
    assert "affected: dev: fixit-maintenance" in result.stderr
    assert result.stdout == ""


def test_no_change_exits_0(history: Path, capsys) -> None:
    result = run(capsys, "breaking", str(history / "api"), "--base", "main")
    assert result.code == 0
    assert "no breaking changes" in result.stderr


def test_fail_on_warning(history: Path, capsys) -> None:
    """A deprecation is a warning: it fails only with --fail-on warning."""
    edit(
        history / "api" / "apis" / "assets.yaml",
        "  environments: [dev, prod]\n",
        "  environments: [dev, prod]\n  lifecycle: {state: deprecated, sunset: 2099-01-31}\n",
    )
    assert run(capsys, "breaking", str(history / "api"), "--base", "main").code == 0
    result = run(capsys, "breaking", str(history / "api"), "--base", "main", "--fail-on", "warning", "-o", "json")
    assert result.code == 7
    assert [f["id"] for f in result.json()["findings"]] == ["api-deprecated-while-subscribed"]


def test_unknown_revision_says_what_to_fetch(history: Path, capsys) -> None:
    result = run(capsys, "breaking", str(history / "api"), "--base", "nope")
    assert result.code == 2
    assert "base revision 'nope' is not in this clone" in result.stderr
    assert "git fetch" in result.stderr


def test_shallow_clone_needs_the_base_fetched(history: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{history}", str(clone)], check=True
    )
    missing = run_process("breaking", "api", "--base", "origin/main", cwd=clone)
    assert missing.code == 2
    assert "base revision 'origin/main' is not in this clone" in missing.stderr
    assert "git fetch origin main" in missing.stderr
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    fetched = run_process("breaking", "api", "--base", "origin/main", cwd=clone)
    assert fetched.code == 7, fetched.stderr


def test_invalid_revision_exits_3(history: Path, capsys) -> None:
    edit(history / "api" / "apis" / "assets.yaml", "basePath: /assets", "basepath: /assets")
    result = run(capsys, "breaking", str(history / "api"), "--base", "main")
    assert result.code == 3
    assert "the head (working tree) is invalid" in result.stderr
    assert "unknown field 'basepath'" in result.stderr


@pytest.mark.parametrize("fmt", ["github", "sarif", "markdown"])
def test_ci_outputs_on_stdout(history: Path, capsys, fmt: str) -> None:
    result = run(capsys, "breaking", str(history / "api"), "--base", "main", "--head", "feature", "-o", fmt)
    assert result.code == 7
    assert "plan-limit-lowered" in result.stdout
    assert "fixit-maintenance" in result.stdout
