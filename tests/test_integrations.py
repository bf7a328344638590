"""The integrations users install: the GitHub Action, the pre-commit hook, the Argo CD plugin."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from apictl_cli import EXAMPLE, REPO, copy_example
from test_breaking_cli import acceptance_changes, git

BIN = str(Path(sys.executable).parent)
PATH = f"{BIN}:/usr/bin:/bin"


def registered_commands() -> set[str]:
    import typer.main

    from apictl.cli import _register, app

    _register()
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def broken_copy(tmp_path: Path) -> Path:
    repo = copy_example(tmp_path, "broken")
    assets = repo / "apis" / "assets.yaml"
    assets.write_text(assets.read_text().replace("basePath: /assets", "basepath: /assets"))
    return repo


# --- Argo CD Config Management Plugin ------------------------------------------------------------


def argocd_generate(cwd: Path, **env: str) -> subprocess.CompletedProcess:
    plugin = yaml.safe_load((REPO / "integrations" / "argocd" / "plugin.yaml").read_text())
    assert plugin["kind"] == "ConfigManagementPlugin" and plugin["apiVersion"] == "argoproj.io/v1alpha1"
    generate = plugin["spec"]["generate"]
    return subprocess.run(
        [*generate["command"], *generate.get("args", [])],
        cwd=cwd,
        env={"PATH": PATH, "NO_COLOR": "1", **{f"ARGOCD_ENV_{k}": v for k, v in env.items()}},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_argocd_plugin_renders_only_yaml(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    result = argocd_generate(repo, APICTL_ENV="dev")
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    assert documents and all({"apiVersion", "kind", "metadata"} <= set(d) for d in documents)
    assert "rendered" in result.stderr  # the human summary goes to stderr, never into the manifests


def test_argocd_plugin_writes_nothing_on_invalid_input(tmp_path: Path) -> None:
    result = argocd_generate(broken_copy(tmp_path), APICTL_ENV="dev")
    assert result.returncode != 0
    assert result.stdout == ""  # an empty render must never reach Argo CD (it would prune everything)
    assert "nothing was rendered" in result.stderr


def test_argocd_plugin_needs_an_environment(tmp_path: Path) -> None:
    result = argocd_generate(copy_example(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    unknown = argocd_generate(copy_example(tmp_path, "other"), APICTL_ENV="stage")
    assert unknown.returncode == 2 and unknown.stdout == ""


def test_argocd_plugin_path_parameter(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "repo" / "api")
    result = argocd_generate(tmp_path / "repo", APICTL_ENV="prod", APICTL_PATH="api")
    assert result.returncode == 0, result.stderr
    assert "namespace: assetco-prod" in result.stdout


# --- pre-commit ----------------------------------------------------------------------------------


def hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    [found] = [h for h in hooks if h["id"] == "apictl-validate"]
    return found


def test_pre_commit_manifest_is_valid() -> None:
    from pre_commit import clientlib

    clientlib.load_manifest(str(REPO / ".pre-commit-hooks.yaml"))


def test_pre_commit_hook_runs(tmp_path: Path) -> None:
    spec = hook()
    assert spec["language"] == "python" and spec["pass_filenames"] is False
    assert re.search(spec["files"], "apis/assets.yaml") and re.search(spec["files"], "x.json")
    assert spec["entry"].split()[1] in registered_commands()
    command = [*spec["entry"].split(), *spec.get("args", [])]
    ok = subprocess.run(
        command,
        cwd=copy_example(tmp_path),
        env={"PATH": PATH, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        command,
        cwd=broken_copy(tmp_path),
        env={"PATH": PATH, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 3
    assert "unknown field 'basepath'" in bad.stderr


# --- GitHub Action -------------------------------------------------------------------------------


def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


def step(name: str) -> dict:
    return next(s for s in action()["runs"]["steps"] if s.get("name") == name or s.get("id") == name)


def test_action_is_a_composite_action_that_uses_existing_commands() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert {"path", "base", "fail-on", "comment", "github-token"} <= set(spec["inputs"])
    commands = registered_commands()
    used: dict[str, set[str]] = {}
    for s in spec["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
            for line in s["run"].splitlines():
                for match in re.finditer(r"^\s*apictl (\w[\w-]*)([^|>&;\n]*)", line):
                    used.setdefault(match.group(1), set()).update(re.findall(r"(--?[a-z][\w-]*)", match.group(2)))
    assert {"validate", "breaking", "diff"} <= set(used)
    from typer.testing import CliRunner

    from apictl.cli import app

    def help_of(command: str) -> str:
        return CliRunner().invoke(app, [command, "--help"], env={"NO_COLOR": "1", "COLUMNS": "200"}).output

    for command, flags in sorted(used.items(), key=lambda item: item[0] == "diff"):  # diff last
        assert command in commands, f"action.yml runs `apictl {command}`, which does not exist"
        for flag in flags - {"-o"}:
            assert flag in help_of(command), f"`apictl {command}` has no {flag}"


def run_step(name: str, cwd: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, str]:
    output = cwd / "github_output"
    output.write_text("")
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step(name)["run"]],
        cwd=cwd,
        env={"PATH": PATH, "NO_COLOR": "1", "GITHUB_OUTPUT": str(output), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, output.read_text()


def test_action_validate_and_breaking_steps(tmp_path: Path) -> None:
    repo = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, repo / "api")
    git(repo, "init", "-q", "-b", "main", ".")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    acceptance_changes(repo / "api")
    results = tmp_path / "results"
    results.mkdir()
    env = {"APICTL_PATH": "api", "RUNNER_TEMP": str(tmp_path), "BASE": base, "FAIL_ON": "error"}
    (tmp_path / "apictl").mkdir()

    validated, outputs = run_step("validate", repo, env)
    assert validated.returncode == 0, validated.stderr
    assert "code=0" in outputs and validated.stdout == ""  # valid: no annotations
    assert "apictl validate: api is valid" in (tmp_path / "apictl" / "validate.md").read_text()

    breaking, outputs = run_step("breaking", repo, env)
    assert breaking.returncode == 0, breaking.stderr  # the step records the code; the verdict step fails the job
    assert "code=7" in outputs
    assert "::error file=api/plans/gold.yaml,line=8" in breaking.stdout
    comment = (tmp_path / "apictl" / "breaking.md").read_text()
    assert comment.startswith("### ❌ apictl breaking: 4 errors") and "fixit-maintenance" in comment

    verdict = subprocess.run(
        ["bash", "-c", step("Verdict")["run"]],
        env={"PATH": PATH, "VALIDATE": "0", "BREAKING": "7"},
        capture_output=True,
        text=True,
    )
    assert verdict.returncode == 1 and "breaking changes" in verdict.stdout


FAKE_GH = """#!/bin/bash
echo "$*" >> "$GH_LOG"
if [ "$1 $2" = "api --paginate" ]; then
  [ -f "$GH_STATE" ] && cat "$GH_STATE"
  exit 0
fi
for arg in "$@"; do case "$arg" in body=@*) cp "${arg#body=@}" "$GH_BODY";; esac; done
echo 4242 > "$GH_STATE"
"""


def test_action_comment_is_created_once_then_updated(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text(FAKE_GH)
    (fake / "gh").chmod(0o755)
    results = tmp_path / "apictl"
    results.mkdir()
    (results / "validate.md").write_text("### ✅ apictl validate: api is valid\n")
    (results / "breaking.md").write_text("### ❌ apictl breaking: 1 error\n")
    env = {
        "PATH": f"{fake}:{PATH}",
        "GH_LOG": str(tmp_path / "gh.log"),
        "GH_STATE": str(tmp_path / "gh.state"),
        "GH_BODY": str(tmp_path / "body.md"),
        "PR": "7",
        "REPO": "acme/apis",
        "RESULTS": str(results),
    }
    script = step("Pull-request comment")["run"]
    for _ in range(3):  # three pushes
        done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    calls = (tmp_path / "gh.log").read_text().splitlines()
    writes = [c for c in calls if "--method" in c]
    assert writes[0].startswith("api --method POST repos/acme/apis/issues/7/comments")
    assert [w.split()[2] for w in writes[1:]] == ["PATCH", "PATCH"]
    assert all("repos/acme/apis/issues/comments/4242" in w for w in writes[1:])
    body = (tmp_path / "body.md").read_text()
    assert body.startswith("<!-- apictl:pull-request-comment -->\n### ✅ apictl validate")
    assert "apictl breaking: 1 error" in body


def test_action_comment_is_truncated_below_githubs_limit(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text(FAKE_GH)
    (fake / "gh").chmod(0o755)
    results = tmp_path / "apictl"
    results.mkdir()
    for part in ("validate", "breaking", "diff"):
        (results / f"{part}.md").write_text("x" * 59_000)
    env = {
        "PATH": f"{fake}:{PATH}",
        "GH_LOG": str(tmp_path / "log"),
        "GH_STATE": str(tmp_path / "state"),
        "GH_BODY": str(tmp_path / "body.md"),
        "PR": "1",
        "REPO": "a/b",
        "RESULTS": str(results),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step("Pull-request comment")["run"]], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    body = (tmp_path / "body.md").read_text()
    assert len(body) <= 65_536 and "**Truncated**" in body


def test_docs_cover_every_integration() -> None:
    docs = (REPO / "docs" / "integrations.md").read_text()
    for needle in ("uses: ", "pre-commit", "apictl-validate", "ConfigManagementPlugin", "Flux", "catalog", "--fail-on"):
        assert needle in docs, needle
    from apictl.validate.breaking.checks import CHECKS

    missing = [check for check in CHECKS if f"`{check}`" not in docs]
    assert not missing, f"checks not documented in docs/integrations.md: {missing}"
    assert os.path.exists(REPO / "integrations" / "argocd" / "plugin.yaml")
