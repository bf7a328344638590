"""No secret ever leaks: planted values never appear on stdout, stderr or in any file apictl writes.

Planted (each a distinct ``SEKRET-<uuid>``, so a failure names where the value came from):

- the credentials Secrets the example's applications reference, in the test namespace, plus a
  Secret in the backend namespace;
- Secrets apictl renders and applies (a fixture target renders one), changed between runs so that
  diff shows an update, and a Secret member of the ApplySet that is no longer rendered (a prune);
- the environment: ``APICTL_TOKEN``, ``GITHUB_TOKEN``, and a kubeconfig whose user token is planted
  (against an unreachable server and against the real one, which answers 401);
- a credential typed into a manifest (a header Policy), which validation must flag without echoing.

Every command runs with every output format it has, successful and failing (unreachable server,
refused token, forbidden identity, invalid repository), with and without ``--debug``. Scanned:
stdout, stderr, and every file under the run's directory that apictl wrote — ``--out-dir`` renders,
plan files, schemas, and the cache directory (``APICTL_CACHE_DIR``: result cache and environment
snapshots).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from cluster_testkit import EXAMPLE, Apictl, FixtureTarget, assetco_repo, create_namespace, use_fixture_target

CI_FORMATS = ("text", "json", "github", "sarif", "markdown")
DIFF_FORMATS = ("text", "json", "markdown")


def _planted(label: str) -> str:
    return f"SEKRET-{label}-{uuid.uuid4()}"


class Leaks:
    """The planted values, and a check of every output and file against them."""

    def __init__(self, *labels: str) -> None:
        self.values = {label: _planted(label) for label in labels}
        self.runs = 0

    def __getitem__(self, label: str) -> str:
        return self.values[label]

    def forms(self) -> dict[str, str]:
        """Each value as written, and base64-encoded (how a Secret's data holds it)."""
        found = {}
        for label, value in self.values.items():
            found[value] = label
            found[base64.b64encode(value.encode()).decode()] = f"{label} (base64)"
            found[value.removeprefix("SEKRET-")] = f"{label} (tail)"
        return found

    def check(self, text: str, where: str) -> None:
        self.runs += 1
        for form, label in self.forms().items():
            assert form not in text, f"planted secret {label!r} leaked in {where}:\n{text[:4000]}"

    def check_files(self, root: Path, exclude: tuple[Path, ...] = ()) -> int:
        scanned = 0
        for file in sorted(root.rglob("*")):
            if not file.is_file() or any(file.is_relative_to(x) for x in exclude):
                continue
            scanned += 1
            data = file.read_bytes()
            for form, label in self.forms().items():
                assert form.encode() not in data, f"planted secret {label!r} written to {file}"
        return scanned


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "apictl", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", **env},
    )


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )


def _token_kubeconfig(kube, path: Path, token: str, server: str | None = None) -> str:
    """A kubeconfig for the test cluster (or ``server``) whose user is only a bearer token."""
    config = yaml.safe_load(Path(kube.kubeconfig).read_text())
    for cluster in config["clusters"]:
        if server:
            cluster["cluster"]["server"] = server
    for user in config["users"]:
        user["user"] = {"token": token}
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _secret_header_policy(repo: Path, leaks: Leaks) -> None:
    (repo / "policies" / "leaky.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apictl.io/v1alpha1",
                "kind": "Policy",
                "metadata": {"name": "leaky-headers"},
                "spec": {
                    "description": "Adds upstream credentials (wrongly typed in here).",
                    "headers": {
                        "request": {
                            "set": {"Authorization": f"Bearer {leaks['header-authorization']}"},
                            "add": {"x-upstream": f"token={leaks['header-token']}"},
                        }
                    },
                },
            },
            sort_keys=False,
        )
    )


# --- a credential typed into a manifest ------------------------------------------------------------


def test_a_credential_typed_into_a_policy_is_flagged_and_never_echoed(tmp_path: Path) -> None:
    leaks = Leaks("header-authorization", "header-token", "env-token")
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _secret_header_policy(repo, leaks)
    cache = tmp_path / "cache"
    env = {"APICTL_CACHE_DIR": str(cache), "APICTL_TOKEN": leaks["env-token"], "KUBECONFIG": str(tmp_path / "none")}
    outside = (repo,)  # the repository itself holds the mistake; nothing apictl writes may copy it

    runs: list[list[str]] = []
    for debug in ([], ["--debug"]):
        runs += [[*debug, "validate", str(repo), "-o", fmt] for fmt in CI_FORMATS]
        runs += [[*debug, "breaking", str(repo), "--base", "main", "-o", fmt] for fmt in CI_FORMATS]
        runs += [
            [*debug, "render", str(repo), "--env", "dev", "-o", fmt, "--out-dir", str(tmp_path / "out")]
            for fmt in ("yaml", "json")
        ]
        runs += [[*debug, "catalog", str(repo), "--env", "dev", "-o", fmt] for fmt in ("yaml", "json")]
        runs += [[*debug, "rbac", str(repo), "--env", "dev", "-o", fmt] for fmt in ("yaml", "json")]
        runs += [[*debug, "diff", str(repo), "--env", "dev", "--base", "main", "-o", fmt] for fmt in DIFF_FORMATS]
        runs += [[*debug, "diff", str(repo), "--env", "dev", "-o", fmt] for fmt in DIFF_FORMATS]
        runs += [[*debug, "plan", str(repo), "--env", "dev", "--out", str(tmp_path / "plan.json")]]
        runs += [[*debug, "apply", str(repo), "--env", "dev", "-o", fmt] for fmt in ("text", "json")]
    flagged = 0
    for argv in runs:
        result = _run(argv, env, tmp_path)
        where = f"`apictl {' '.join(argv)}` (exit {result.returncode})"
        leaks.check(result.stdout, f"stdout of {where}")
        leaks.check(result.stderr, f"stderr of {where}")
        assert "Traceback" not in result.stderr, where
        assert result.returncode in (3, 7) if "breaking" in argv else result.returncode == 3, where
        flagged += "no-plaintext-secrets" in result.stdout + result.stderr
    assert flagged >= 20, "validation names the rule without echoing the value"
    assert not (tmp_path / "plan.json").exists() and not (tmp_path / "out").exists()
    assert leaks.check_files(tmp_path, exclude=outside) > 0, "the cache was written"
    assert cache.is_dir()


# --- the cluster -------------------------------------------------------------------------------------


def test_no_command_leaks_cluster_or_environment_secrets(kube, namespace: str, tmp_path: Path) -> None:
    leaks = Leaks(
        "fixit-credentials",
        "swift-credentials",
        "telemetry-credentials",
        "backend-secret",
        "env-apictl-token",
        "env-github-token",
        "kubeconfig-token",
    )
    backend_ns = create_namespace(kube, f"{namespace}-be")
    repo = assetco_repo(tmp_path, namespace, backend_ns)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    secrets = [
        ("fixit-maintenance-credentials", namespace, "fixit-credentials"),
        ("swift-repair-credentials", namespace, "swift-credentials"),
        ("assetco-telemetry-credentials", namespace, "telemetry-credentials"),
        ("maintenance-backend-tls", backend_ns, "backend-secret"),
    ]
    for name, ns, label in secrets:
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": ns},
            "stringData": {"password": leaks[label], "api-key": leaks[label]},
        }
        kube.kubectl_run("apply", "-f", "-", input=yaml.safe_dump(body))

    cache = tmp_path / "cache"
    base_env = {
        "APICTL_CACHE_DIR": str(cache),
        "APICTL_TOKEN": leaks["env-apictl-token"],
        "GITHUB_TOKEN": leaks["env-github-token"],
        "KUBECONFIG": kube.kubeconfig,
    }
    planted_files = tmp_path / "planted"  # the test's own files that hold planted values
    planted_files.mkdir()
    unreachable = _token_kubeconfig(
        kube, planted_files / "unreachable.yaml", leaks["kubeconfig-token"], "https://127.0.0.1:1"
    )
    refused = _token_kubeconfig(kube, planted_files / "refused.yaml", leaks["kubeconfig-token"])
    forbidden = kube.restricted_kubeconfig(f"leak-probe-{uuid.uuid4().hex[:6]}")
    invalid = tmp_path / "invalid"
    shutil.copytree(EXAMPLE.parent / "invalid" / "unknown-field", invalid)
    out = tmp_path / "out"
    plan_file = out / "plan.json"

    def run(argv: list[str], expect: set[int], **extra: str) -> subprocess.CompletedProcess:
        result = _run(argv, {**base_env, **extra}, tmp_path)
        where = f"`apictl {' '.join(argv)}` with {sorted(extra) or 'the admin kubeconfig'} (exit {result.returncode})"
        leaks.check(result.stdout, f"stdout of {where}")
        leaks.check(result.stderr, f"stderr of {where}")
        assert result.returncode in expect, f"{where}\n{result.stderr[-3000:]}"
        if result.returncode != 70:
            assert "Traceback" not in result.stderr, where
        return result

    r = str(repo)
    failing: list[tuple[list[str], str, str]] = []
    for debug in ([], ["--debug"]):
        for fmt in CI_FORMATS:
            run([*debug, "validate", r, "-o", fmt], {0})
        for fmt in ("yaml", "json"):
            run([*debug, "render", r, "--env", "dev", "-o", fmt, "--out-dir", str(out / "render")], {0})
            run([*debug, "catalog", r, "--env", "dev", "-o", fmt], {0})
            run([*debug, "rbac", r, "--env", "dev", "-o", fmt], {0})
        for fmt in DIFF_FORMATS:
            run([*debug, "diff", r, "--env", "dev", "-o", fmt], {0, 1})
            run([*debug, "plan", r, "--env", "dev", "--out", str(plan_file), "-o", fmt], {0, 1})
        # failing runs: unreachable server, a refused (planted) token, an identity without permissions
        for kubeconfig, says in (
            (unreachable, "no answer from https://127.0.0.1:1"),
            (refused, "refused the credentials"),
            (forbidden, "forbidden"),
        ):
            for fmt in DIFF_FORMATS:
                failing.append(
                    ([*debug, "diff", r, "--env", "dev", "-o", fmt, "--request-timeout", "3"], kubeconfig, says)
                )
                failing.append(
                    (
                        [*debug, "plan", r, "--env", "dev", "--out", str(out / "failed.json"), "-o", fmt],
                        kubeconfig,
                        says,
                    )
                )
            for fmt in ("text", "json"):
                failing.append(
                    ([*debug, "apply", r, "--env", "dev", "-o", fmt, "--request-timeout", "3"], kubeconfig, says)
                )
            other_server = kubeconfig == unreachable  # refused before any request: the plan names its server
            says_for_plan = "the plan was made against" if other_server else says
            failing.append(([*debug, "apply", "--plan", str(plan_file)], kubeconfig, says_for_plan))
        for fmt in ("text", "json"):
            run([*debug, "apply", str(invalid), "--env", "dev", "-o", fmt], {3})
            run([*debug, "diff", str(invalid), "--env", "dev", "-o", fmt], {3})
        run([*debug, "render", str(invalid), "--env", "dev"], {3})
        run([*debug, "validate", str(tmp_path / "no-such-repo")], {2, 3})

    def fail(spec: tuple[list[str], str, str]) -> None:
        argv, kubeconfig, says = spec
        result = run(argv, {6} if says == "the plan was made against" else {4}, KUBECONFIG=kubeconfig)
        assert says in result.stderr, f"{argv}: {result.stderr[-2000:]}"

    with ThreadPoolExecutor(8) as pool:  # unreachable runs wait for their retries: run them side by side
        list(pool.map(fail, failing))
    assert len(failing) == 2 * 3 * 9

    run(["plan", r, "--env", "dev", "--out", str(plan_file)], {1})
    run(["apply", "--plan", str(plan_file), "-o", "json"], {0})
    for fmt in ("text", "json"):
        run(["apply", r, "--env", "dev", "-o", fmt, "--dry-run=server"], {0})
        run(["apply", r, "--env", "dev", "-o", fmt], {0})
        run(["--debug", "apply", r, "--env", "dev", "-o", fmt], {0})
    for fmt in DIFF_FORMATS:
        run(["diff", r, "--env", "dev", "-o", fmt], {0})
    api = repo / "apis" / "assets.yaml"
    api.write_text(api.read_text().replace("basePath: /assets", "basePath: /assets-v2"))
    for fmt in CI_FORMATS:
        run(["breaking", r, "--base", "main", "-o", fmt], {0, 7})
        run(["--debug", "breaking", r, "--base", "main", "-o", fmt], {0, 7})
    for fmt in DIFF_FORMATS:
        run(["diff", r, "--env", "dev", "--base", "main", "-o", fmt], {0, 1})
        run(["diff", r, "--env", "dev", "-o", fmt], {1})
    run(["schema", "--out-dir", str(out / "schemas")], {0})
    run(["asyncapi-schemas", "--help"], {0})
    run(["asyncapi-schemas", "fetch", "--help"], {0})

    scanned = leaks.check_files(tmp_path, exclude=(repo, invalid, planted_files))
    assert (out / "render").is_dir() and plan_file.is_file() and any((cache / "snapshots").glob("*.json"))
    assert scanned >= 30
    assert leaks.runs >= 240  # two streams per run: 120 runs or more


def test_rendered_and_pruned_secrets_are_masked_everywhere(
    kube, namespace: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target that renders a Secret: created, changed, pruned; every view and the saved plan masked."""
    leaks = Leaks("rendered-first", "rendered-second", "pruned-member", "env-token")
    monkeypatch.setenv("APICTL_TOKEN", leaks["env-token"])
    monkeypatch.setenv("APICTL_CACHE_DIR", str(tmp_path / "cache"))
    backend_ns = create_namespace(kube, f"{namespace}-be")
    repo = assetco_repo(tmp_path, namespace, backend_ns)
    target = FixtureTarget(secret=leaks["rendered-first"])
    use_fixture_target(monkeypatch, target)
    apictl = Apictl(kube.kubeconfig, capsys)
    r = str(repo)

    def run(*argv: str, expect: set[int]):
        result = apictl.run(*argv)
        where = f"`apictl {' '.join(argv)}` (exit {result.code})"
        leaks.check(result.stdout, f"stdout of {where}")
        leaks.check(result.stderr, f"stderr of {where}")
        assert result.code in expect, f"{where}\n{result.output[-3000:]}"
        return result

    for fmt in DIFF_FORMATS:
        created = run("diff", r, "--env", "dev", "-o", fmt, expect={1})
        assert "fixture-credentials" in created.output
    run("plan", r, "--env", "dev", "--out", str(tmp_path / "create.json"), expect={1})
    run("apply", r, "--env", "dev", "-o", "json", expect={0})
    assert (
        json.loads(kube.kubectl_run("get", "secret", "fixture-credentials", "-n", namespace, "-o", "json").stdout)[
            "data"
        ]["token"]
        == base64.b64encode(leaks["rendered-first"].encode()).decode()
    ), "the value did reach the cluster"

    from apictl.reconcile.applyset import applyset_id

    set_id = applyset_id("apictl-applyset-dev", namespace, "ConfigMap", "")
    stray = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "no-longer-rendered",
            "namespace": namespace,
            "labels": {"applyset.kubernetes.io/part-of": set_id},
        },
        "stringData": {"token": leaks["pruned-member"]},
    }
    kube.kubectl_run("apply", "--server-side", "--field-manager=apictl", "-f", "-", input=yaml.safe_dump(stray))

    target.secret = leaks["rendered-second"]
    for fmt in DIFF_FORMATS:
        changed = run("diff", r, "--env", "dev", "-o", fmt, expect={1})
        assert "fixture-credentials" in changed.output and "no-longer-rendered" in changed.output
        if fmt == "text":
            assert "***" in changed.output
    for fmt in DIFF_FORMATS:
        run("plan", r, "--env", "dev", "--out", str(tmp_path / f"change-{fmt}.json"), "-o", fmt, expect={1})
    run("apply", "--plan", str(tmp_path / "change-json.json"), "-o", "json", expect={0})
    run("diff", r, "--env", "dev", "-o", "json", expect={0})
    target.secret = leaks["rendered-first"]
    run("apply", r, "--env", "dev", "-o", "text", expect={0})
    run("apply", r, "--env", "dev", "-o", "json", "--dry-run=server", expect={0})
    assert leaks.check_files(tmp_path, exclude=(repo,)) >= 4


def test_a_rendered_secret_is_never_stored_in_the_cache(tmp_path: Path, capsys, monkeypatch) -> None:
    """render/diff/apply memoise renders on disk; a render holding a Secret must not be stored."""
    import apictl.render.registry as registry
    from apictl.load import result_cache

    leaks = Leaks("rendered-secret")
    cache = tmp_path / "cache"
    monkeypatch.setenv("APICTL_CACHE_DIR", str(cache))
    monkeypatch.delenv("APICTL_CACHE", raising=False)
    real = registry.targets
    target = FixtureTarget(secret=leaks["rendered-secret"])
    monkeypatch.setattr(registry, "targets", lambda: {**real(), target.name: target})
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    result_cache.default.cache_clear()
    try:
        apictl = Apictl(str(tmp_path / "no-kubeconfig"), capsys)
        validated = apictl.run("validate", str(repo), "-o", "json")
        leaks.check(validated.output, "validate")
        assert validated.code == 0, validated.output
        rendered = apictl.run("render", str(repo), "--env", "dev")
        assert rendered.code == 0, rendered.output
        assert leaks["rendered-secret"] in rendered.stdout, "render prints what kubectl apply needs"
        again = apictl.run("render", str(repo), "--env", "dev", "-o", "json")
        assert again.code == 0 and leaks["rendered-secret"] in again.stdout
    finally:
        result_cache.default.cache_clear()
    assert (cache / "results-v1.sqlite").is_file(), "the cache was in use"
    assert leaks.check_files(cache) >= 1


@pytest.mark.parametrize(
    "shape", ["token", "basic", "oidc", "exec-not-a-map", "client-cert-data", "bad-client-cert", "no-server"]
)
def test_a_planted_kubeconfig_credential_never_shows_in_failures(tmp_path: Path, shape: str) -> None:
    """Broken or refused kubeconfigs holding a planted credential: every failure, with and without --debug."""
    leaks = Leaks("kubeconfig")
    planted = leaks["kubeconfig"]
    user: dict = {
        "token": {"token": planted},
        "basic": {"username": "ci", "password": planted},
        "oidc": {
            "auth-provider": {
                "name": "oidc",
                "config": {"id-token": planted, "refresh-token": planted, "idp-issuer-url": "https://127.0.0.1:1"},
            }
        },
        "exec-not-a-map": {"token": planted, "exec": planted},
        "bad-client-cert": {"client-certificate-data": f"!!{planted}", "client-key-data": f"!!{planted}"},
        # the kubernetes client writes *-data to temporary files (0600) for the life of the process
        "client-cert-data": {
            "client-certificate-data": base64.b64encode(f"-----BEGIN CERTIFICATE-----\n{planted}\n".encode()).decode(),
            "client-key-data": base64.b64encode(f"-----BEGIN PRIVATE KEY-----\n{planted}\n".encode()).decode(),
        },
        "no-server": {"token": planted},
    }[shape]
    cluster = {} if shape == "no-server" else {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    planted_dir = tmp_path / "planted"
    planted_dir.mkdir()
    kubeconfig = planted_dir / "config"
    kubeconfig.write_text(yaml.safe_dump(config))
    scratch = tmp_path / "tmp"  # TMPDIR: temporary files must be gone when apictl exits
    scratch.mkdir()
    env = {"KUBECONFIG": str(kubeconfig), "APICTL_CACHE_DIR": str(tmp_path / "cache"), "TMPDIR": str(scratch)}
    runs = [
        [*debug, *argv]
        for debug in ([], ["--debug"])
        for argv in (
            ["diff", str(EXAMPLE), "--env", "dev", "--request-timeout", "1"],
            ["diff", str(EXAMPLE), "--env", "dev", "-o", "json", "--request-timeout", "1"],
            ["plan", str(EXAMPLE), "--env", "dev", "--out", str(tmp_path / "plan.json"), "-o", "markdown"],
            ["apply", str(EXAMPLE), "--env", "dev", "-o", "json", "--request-timeout", "1"],
        )
    ]
    with ThreadPoolExecutor(len(runs)) as pool:  # each waits out its retries against a closed port
        results = list(pool.map(lambda argv: _run(argv, env, tmp_path), runs))
    for argv, result in zip(runs, results, strict=True):
        where = f"`apictl {' '.join(argv)}` ({shape}, exit {result.returncode})"
        leaks.check(result.stdout, f"stdout of {where}")
        leaks.check(result.stderr, f"stderr of {where}")
        assert result.returncode == 4, f"{where}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, where
    leaks.check_files(tmp_path, exclude=(planted_dir,))
