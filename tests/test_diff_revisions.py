"""`apictl diff --base REV [--head REV]`: rendered objects of two git revisions, no cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from apictl_cli import run, run_process
from git_repo import example_repository, git, shallow_clone


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repository(tmp_path / "repo")


def _lower_gold_and_drop_swift(api: Path) -> None:
    gold = api / "plans" / "gold.yaml"
    gold.write_text(gold.read_text().replace("requests: 100, per: second", "requests: 50, per: second"))
    (api / "subscriptions" / "swiftrepair.yaml").unlink()


def test_text_names_every_changed_object(repo: Path, capsys) -> None:
    _lower_gold_and_drop_swift(repo / "api")
    result = run(capsys, "diff", str(repo / "api"), "--base", "HEAD", "--env", "dev")
    assert result.code == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[1:4] == [
        "  Plan gold: changed",
        "  Subscription swift-asset-events: removed",
        "  Subscription swift-assets: removed",
    ]
    assert "    ~ spec.rateLimit.local.rules[0].limit.requests: 100 → 50" in lines
    assert "- prune User.rabbitmq.com assetco-dev/swift-repair" in lines
    assert lines[-1] == "Plan: 0 to create, 4 to update, 3 to prune."


def test_json_covers_every_environment(repo: Path, capsys) -> None:
    _lower_gold_and_drop_swift(repo / "api")
    result = run(capsys, "diff", str(repo / "api"), "--base", "HEAD", "-o", "json")
    assert result.code == 1
    payload = result.json()
    assert payload["changes"] is True
    summaries = {e["environment"]: e["summary"] for e in payload["environments"]}
    assert summaries["dev"] == {"create": 0, "update": 4, "prune": 3, "unchanged": summaries["dev"]["unchanged"]}
    assert set(summaries) == {"dev", "prod"}
    assert summaries["prod"]["prune"] >= 1  # the KafkaUser of swift-repair
    assert {"kind": "Plan", "name": "gold", "change": "changed"} in payload["manifests"]


def test_markdown_comment(repo: Path, capsys) -> None:
    _lower_gold_and_drop_swift(repo / "api")
    result = run(capsys, "diff", str(repo / "api"), "--base", "HEAD", "-o", "markdown")
    assert result.code == 1
    text = result.stdout
    assert text.startswith("### apictl diff — HEAD (")
    assert "| Plan `gold` | changed |" in text
    assert "| `dev` | 0 | 4 | 3 |" in text
    assert "> **3 object(s) in `dev` will be deleted (pruned)**" in text
    assert (
        "<details><summary>✏️ update <code>BackendTrafficPolicy.gateway.envoyproxy.io assetco-dev/assets-v1</code>"
        in text
    )
    assert len(text) <= 60_000


def test_lifecycle_transition_and_no_change(repo: Path, capsys) -> None:
    assert run(capsys, "diff", str(repo / "api"), "--base", "HEAD").code == 0
    api = repo / "api" / "apis" / "assets.yaml"
    api.write_text(
        api.read_text().replace(
            "  plans: [gold, silver]", "  lifecycle: {state: deprecated, sunset: 2027-06-30}\n  plans: [gold, silver]"
        )
    )
    git(repo, "commit", "-qam", "deprecate")
    result = run(capsys, "diff", str(repo / "api"), "--base", "HEAD~1", "--head", "HEAD", "-o", "json")
    assert result.code == 1
    assert {"kind": "API", "name": "assets@1.2.0", "change": "published → deprecated"} in result.json()["manifests"]
    assert result.json()["head"] == "HEAD"


def test_new_environment_in_head(repo: Path, capsys) -> None:
    env = repo / "api" / "environments" / "staging.yaml"
    env.write_text(
        (repo / "api" / "environments" / "dev.yaml")
        .read_text()
        .replace("name: dev", "name: staging")
        .replace("assetco-dev", "assetco-staging")
    )
    api = repo / "api" / "apis" / "assets.yaml"
    api.write_text(api.read_text().replace("environments: [dev, prod]", "environments: [dev, prod, staging]"))
    result = run(capsys, "diff", str(repo / "api"), "--base", "HEAD", "--env", "staging", "-o", "json")
    assert result.code == 1
    (staging,) = result.json()["environments"]
    assert staging["onlyIn"] == "head"
    assert staging["summary"]["create"] > 0
    assert staging["summary"]["update"] == staging["summary"]["prune"] == 0


def test_invalid_base_names_the_revision(repo: Path, capsys) -> None:
    gold = repo / "api" / "plans" / "gold.yaml"
    gold.write_text(gold.read_text().replace("kind: Plan", "kind: Plann"))
    git(repo, "commit", "-qam", "break")
    gold.write_text(gold.read_text().replace("kind: Plann", "kind: Plan"))
    result = run(capsys, "diff", str(repo / "api"), "--base", "HEAD")
    assert result.code == 3
    assert "error: HEAD (" in result.stderr and "is invalid" in result.stderr


def test_shallow_clone_says_what_to_fetch(repo: Path, tmp_path: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    clone = shallow_clone(repo, tmp_path / "clone")
    result = run_process("diff", "api", "--base", "HEAD~1", cwd=clone)
    assert result.code == 2
    assert "revision 'HEAD~1' is not in this clone" in result.stderr
    assert "git fetch" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--head", "HEAD"], "--head needs --base"),
        (["--base", "HEAD", "--ref", "HEAD"], "--ref cannot be combined with --base"),
        ([], "missing option '--env'"),
        (["--base", "HEAD", "--env", "qa"], "environment 'qa' exists in neither revision"),
    ],
)
def test_usage(argv: list[str], message: str, repo: Path, capsys) -> None:
    result = run(capsys, "diff", str(repo / "api"), *argv)
    assert result.code == 2
    assert message in result.stderr
