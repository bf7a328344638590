"""Safe targeting: an Environment that declares ``spec.kubeContext`` is applied only through that context,
unless confirmed on a terminal or allowed with ``--allow-context-mismatch`` (CI). The kubeconfigs are
written by the test: differently named contexts pointing at the same test API server."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import yaml
from cluster_testkit import Apictl, assetco_repo, create_namespace

from apictl.cli.exit_codes import ExitCode


def _kubeconfig(kube, tmp_path: Path, *names: str, current: str) -> str:
    """The admin kubeconfig with its one context copied under each of ``names``."""
    doc = yaml.safe_load(Path(kube.kubeconfig).read_text())
    base = next(c for c in doc["contexts"] if c["name"] == doc["current-context"])
    doc["contexts"] = [{"name": n, "context": dict(base["context"])} for n in names]
    doc["current-context"] = current
    path = tmp_path / f"kubeconfig-{current}"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def _repo(kube, namespace: str, tmp_path: Path, context: str) -> Path:
    repo = assetco_repo(tmp_path, namespace, create_namespace(kube, f"{namespace}-be"))
    env = repo / "environments" / "dev.yaml"
    env.write_text(
        env.read_text().replace(f"namespace: {namespace}", f"namespace: {namespace}\n  kubeContext: {context}")
    )
    return repo


def _written(kube, namespace: str) -> bool:
    r = kube.kubectl_run("get", "configmap", "apictl-applyset-dev", "-n", namespace, check=False)
    return r.returncode == 0


def test_a_context_mismatch_is_refused_without_a_terminal(kube, namespace, tmp_path) -> None:
    repo = _repo(kube, namespace, tmp_path, "assetco-dev")
    apictl = Apictl(_kubeconfig(kube, tmp_path, "kind-dev", "assetco-dev", current="kind-dev"))
    refused = apictl.process("apply", str(repo), "--env", "dev")
    assert refused.code == ExitCode.REFUSED, refused.output
    assert "Environment dev expects kube context 'assetco-dev' but the current context is 'kind-dev'" in refused.stderr
    assert "--allow-context-mismatch" in refused.stderr
    assert not _written(kube, namespace)
    # --context overrides the current context, and is checked the same way
    wrong = apictl.process("apply", str(repo), "--env", "dev", "--context", "kind-dev")
    assert wrong.code == ExitCode.REFUSED
    assert not _written(kube, namespace)
    # a server-side dry run writes nothing and is not asked
    assert apictl.process("apply", str(repo), "--env", "dev", "--dry-run=server").code == 0


def test_a_context_mismatch_is_applied_with_the_flag(kube, namespace, tmp_path) -> None:
    repo = _repo(kube, namespace, tmp_path, "assetco-dev")
    apictl = Apictl(_kubeconfig(kube, tmp_path, "kind-dev", current="kind-dev"))
    allowed = apictl.process("apply", str(repo), "--env", "dev", "--allow-context-mismatch")
    assert allowed.code == 0, allowed.output
    assert _written(kube, namespace)


def test_the_matching_context_proceeds(kube, namespace, tmp_path) -> None:
    repo = _repo(kube, namespace, tmp_path, "assetco-dev")
    current = Apictl(_kubeconfig(kube, tmp_path, "assetco-dev", "kind-dev", current="assetco-dev"))
    assert current.process("apply", str(repo), "--env", "dev").code == 0, "current-context matches"
    chosen = Apictl(_kubeconfig(kube, tmp_path, "kind-dev", "assetco-dev", current="kind-dev"))
    again = chosen.process("apply", str(repo), "--env", "dev", "--context", "assetco-dev")
    assert again.code == 0, again.output


def _on_a_terminal(argv: list[str], kubeconfig: str, answer: bytes) -> tuple[int, str]:
    main, side = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "KUBECONFIG": kubeconfig}
    proc = subprocess.Popen(argv, stdin=side, stdout=side, stderr=side, env=env, close_fds=True)
    os.close(side)
    output = b""
    sent = False
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not sent and b"[y/N]" in output:
            os.write(main, answer)
            sent = True
    os.close(main)
    return proc.wait(timeout=120), output.decode(errors="replace")


def test_a_terminal_asks_and_no_is_the_default(kube, namespace, tmp_path) -> None:
    repo = _repo(kube, namespace, tmp_path, "assetco-dev")
    kubeconfig = _kubeconfig(kube, tmp_path, "kind-dev", current="kind-dev")
    argv = [sys.executable, "-m", "apictl", "apply", str(repo), "--env", "dev"]
    code, out = _on_a_terminal(argv, kubeconfig, b"\n")
    assert "Apply anyway? [y/N]" in out, out
    assert code == ExitCode.REFUSED, out
    assert not _written(kube, namespace)
    code, out = _on_a_terminal(argv, kubeconfig, b"y\n")
    assert code == 0, out
    assert _written(kube, namespace)
