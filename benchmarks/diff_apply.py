"""Benchmark apictl diff/apply against kubectl on the scale repository, on the test control plane.

One command, from a clean clone with apictl's dependencies installed (``pip install -e .``); it
starts the control plane with scripts/k8senv and generates the repository with benchmarks/scale_repo.py:

    python benchmarks/diff_apply.py [--apis 1000] [--operations 20] [--applications 300]
                                    [--subscriptions 5000] [--envs dev,prod] [--repeat 1]

Per environment it measures, in one run:

1. ``apictl diff`` with ~1% of the objects changed (the base path of a few APIs) vs
   ``kubectl diff --server-side -f`` on the same rendered objects — with apictl's caches warm (as
   after any earlier run on the machine) and with every cache off (APICTL_CACHE=off);
2. ``apictl apply`` with nothing to do vs ``kubectl apply --server-side -f`` on the same objects —
   as apictl runs by default (the environment snapshot proves nothing changed) and with the full
   comparison (APICTL_SNAPSHOTS=off: render, list, compare every object locally);
3. the API requests apictl made: the apply that converges the change must write exactly the
   changed objects, the no-op apply must write nothing (also checked independently: no member's
   resourceVersion moves);
4. peak memory (max RSS) of every command.

kubectl gets the objects exactly as apictl applies them (ApplySet label included) and the same field
manager (``--field-manager=apictl``): with its default manager kubectl conflicts with apictl on
atomic lists whose live value carries server defaults, and refuses to diff at all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import scale_repo  # noqa: E402

TARGET_RATIO = 20.0
MEMBER_KINDS = (
    "httproutes.gateway.networking.k8s.io",
    "httproutefilters.gateway.envoyproxy.io",
    "securitypolicies.gateway.envoyproxy.io",
    "backendtrafficpolicies.gateway.envoyproxy.io",
)
TARGET_MEMORY_MB = 400.0


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    code: int
    stdout: str
    stderr: str


def timed(argv: list[str], env: dict[str, str]) -> Run:
    """Run a command; wall time and the child's own peak RSS (wait4), not the benchmark's."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read().decode(), err.read().decode())


def repeat(argv: list[str], env: dict[str, str], times: int, ok: set[int]) -> list[Run]:
    runs = []
    for _ in range(times):
        run = timed(argv, env)
        if run.code not in ok:
            raise SystemExit(f"{' '.join(argv)} exited {run.code}:\n{run.stderr[-3000:]}")
        runs.append(run)
    return runs


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def control_plane() -> tuple[str, str]:
    up = subprocess.run([sys.executable, str(REPO / "scripts" / "k8senv"), "up"], capture_output=True, text=True)
    if up.returncode != 0:
        raise SystemExit(f"scripts/k8senv up failed:\n{up.stderr[-3000:]}")
    status = json.loads(
        subprocess.run(
            [sys.executable, str(REPO / "scripts" / "k8senv"), "status", "--json"], capture_output=True, text=True
        ).stdout
    )
    return status["kubeconfig"], status["kubectl"]


def apictl(*args: str) -> list[str]:
    return [sys.executable, "-m", "apictl", *args]


def labelled_render(env: dict[str, str], repo: Path, environment: str, namespace: str, out: Path) -> int:
    """The rendered objects exactly as apictl applies them (ApplySet label added), as YAML for kubectl."""
    import yaml

    from apictl.reconcile.applyset import parent_for, with_membership

    rendered = subprocess.run(
        apictl("render", str(repo), "--env", environment, "-o", "json"), env=env, capture_output=True, text=True
    )
    if rendered.returncode != 0:
        raise SystemExit(rendered.stderr[-3000:])
    ref = parent_for(environment, namespace)
    items = [with_membership(item, ref) for item in json.loads(rendered.stdout)["items"]]
    out.write_text(yaml.safe_dump_all(items, sort_keys=False))
    return len(items)


def resource_versions(kubectl: str, env: dict[str, str], namespace: str, kinds: str) -> dict[str, str]:
    listing = subprocess.run(
        [kubectl, "get", kinds, "-n", namespace, "-l", "applyset.kubernetes.io/part-of", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        f"{i['kind']}/{i['metadata']['name']}": i["metadata"]["resourceVersion"]
        for i in json.loads(listing.stdout)["items"]
    }


def change_base_paths(repo: Path, count: int, suffix: str) -> list[str]:
    """Give ``count`` APIs a new base path (changes their HTTPRoute and rewrite filter)."""
    changed = []
    for api in sorted((repo / "apis").glob("*.yaml"))[:count]:
        text = api.read_text()
        name = api.stem
        text = text.replace(f"basePath: /{name}-{suffix}\n", f"basePath: /{name}\n")
        api.write_text(text.replace(f"basePath: /{name}\n", f"basePath: /{name}-{suffix}\n"))
        changed.append(name)
    return changed


def reset_base_paths(repo: Path, suffix: str) -> None:
    for api in (repo / "apis").glob("*.yaml"):
        api.write_text(api.read_text().replace(f"basePath: /{api.stem}-{suffix}\n", f"basePath: /{api.stem}\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apis", type=int, default=1000)
    parser.add_argument("--operations", type=int, default=20)
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=5000)
    parser.add_argument("--envs", default="dev,prod")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions of each timed command (median)")
    parser.add_argument("--changed-percent", type=float, default=1.0)
    parser.add_argument("--namespace-prefix", default="apictl-bench")
    parser.add_argument("--work", type=Path, default=HERE / ".data" / "diff_apply")
    args = parser.parse_args()

    kubeconfig, kubectl = control_plane()
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    env = {**os.environ, "KUBECONFIG": kubeconfig, "NO_COLOR": "1", "PYTHONPATH": path}
    repo = args.work / "repo"
    print(f"generating the scale repository in {repo} ...", flush=True)
    scale_repo.generate(
        repo,
        apis=args.apis,
        operations=args.operations,
        applications=args.applications,
        subscriptions=args.subscriptions,
        namespace_prefix=args.namespace_prefix,
    )
    reset_base_paths(repo, "moved")
    results = []
    for environment in args.envs.split(","):
        namespace = f"{args.namespace_prefix}-{environment}"
        subprocess.run([kubectl, "create", "namespace", namespace], env=env, capture_output=True)
        results.append(bench_environment(args, env, kubectl, repo, environment, namespace))
    report(results)


def bench_environment(
    args: argparse.Namespace, env: dict[str, str], kubectl: str, repo: Path, environment: str, namespace: str
) -> dict:
    print(f"\n== environment {environment} (namespace {namespace})", flush=True)
    base = timed(apictl("apply", str(repo), "--env", environment, "-o", "json"), env)
    if base.code != 0:
        raise SystemExit(base.stderr[-3000:])
    total = json.loads(base.stdout)["unchanged"] + sum(
        1 for o in json.loads(base.stdout)["outcomes"] if o["status"] == "applied"
    )
    print(f"baseline apply: {base.seconds:.1f}s, {total} objects", flush=True)

    # ~1% of the objects changed: each moved API changes its HTTPRoute and its rewrite filter
    per_api = 2
    count = max(1, round(total * args.changed_percent / 100 / per_api))
    change_base_paths(repo, count, "moved")
    rendered = args.work / f"{environment}.yaml"
    labelled_render(env, repo, environment, namespace, rendered)

    cold_env = {**env, "APICTL_CACHE": "off"}
    cold_diff = repeat(apictl("diff", str(repo), "--env", environment, "-o", "json"), cold_env, args.repeat, {1})
    diff = repeat(apictl("diff", str(repo), "--env", environment, "-o", "json"), env, args.repeat, {1})
    plan = json.loads(diff[-1].stdout)
    changed = plan["summary"]["update"] + plan["summary"]["create"] + plan["summary"]["prune"]
    k_diff = repeat(
        [kubectl, "diff", "--server-side", "--field-manager=apictl", "-f", str(rendered)], env, args.repeat, {1}
    )
    print(
        f"diff: apictl {median(diff):.2f}s vs kubectl {median(k_diff):.2f}s; {changed} of {total} objects changed",
        flush=True,
    )

    converge = timed(apictl("apply", str(repo), "--env", environment, "-o", "json"), env)
    if converge.code != 0:
        raise SystemExit(converge.stderr[-3000:])
    writes = json.loads(converge.stdout)["requests"].get("write", 0)

    kinds = ",".join(MEMBER_KINDS)
    before = resource_versions(kubectl, env, namespace, kinds)
    noop = repeat(apictl("apply", str(repo), "--env", environment, "-o", "json"), env, args.repeat, {0})
    full_env = {**env, "APICTL_SNAPSHOTS": "off"}
    full = repeat(apictl("apply", str(repo), "--env", environment, "-o", "json"), full_env, args.repeat, {0})
    noop_requests = json.loads(noop[-1].stdout)["requests"]
    full_requests = json.loads(full[-1].stdout)["requests"]
    moved = sum(1 for k, v in resource_versions(kubectl, env, namespace, kinds).items() if before.get(k) != v)
    k_apply = repeat(
        [kubectl, "apply", "--server-side", "--field-manager=apictl", "-f", str(rendered)], env, args.repeat, {0}
    )
    print(
        f"no-op apply: apictl {median(noop):.2f}s (full comparison {median(full):.2f}s) vs kubectl {median(k_apply):.2f}s",
        flush=True,
    )
    reset_base_paths(repo, "moved")
    return {
        "environment": environment,
        "objects": total,
        "changed": changed,
        "diff": (median(diff), median(k_diff)),
        "cold_diff": median(cold_diff),
        "diff_cluster_phase": plan["seconds"]["plan"],
        "apply": (median(noop), median(k_apply)),
        "full_apply": median(full),
        "full_apply_cluster_phase": json.loads(full[-1].stdout)["seconds"]["plan"],
        "diff_requests": plan["requests"],
        "converge_writes": writes,
        "noop_requests": noop_requests,
        "full_requests": full_requests,
        "noop_moved": moved,
        "memory": max(r.max_rss_mb for r in [*cold_diff, *diff, *noop, *full, converge]),
        "kubectl_memory": max(r.max_rss_mb for r in [*k_diff, *k_apply]),
    }


def report(results: list[dict]) -> None:
    print(
        "\n| environment | objects | changed | kubectl diff | apictl diff | ratio | apictl diff, caches off | ratio "
        "| kubectl apply | apictl no-op apply | ratio | apictl full comparison | ratio | apictl peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    failures = []
    for r in results:
        kd, ka = r["diff"][1], r["apply"][1]
        d_ratio, a_ratio = kd / r["diff"][0], ka / r["apply"][0]
        print(
            f"| {r['environment']} | {r['objects']} | {r['changed']} ({100 * r['changed'] / r['objects']:.1f}%) "
            f"| {kd:.2f}s | {r['diff'][0]:.2f}s | **{d_ratio:.1f}×** | {r['cold_diff']:.2f}s | {kd / r['cold_diff']:.1f}× "
            f"| {ka:.2f}s | {r['apply'][0]:.2f}s | **{a_ratio:.1f}×** | {r['full_apply']:.2f}s "
            f"| {ka / r['full_apply']:.1f}× | {r['memory']:.0f} MB |"
        )
        print(
            f"  cluster phase only: diff {r['diff_cluster_phase']:.2f}s ({kd / r['diff_cluster_phase']:.0f}× kubectl diff), "
            f"full-comparison apply {r['full_apply_cluster_phase']:.2f}s ({ka / r['full_apply_cluster_phase']:.0f}× kubectl apply)"
        )
        print(
            f"  requests: diff {r['diff_requests']}; converging apply wrote {r['converge_writes']} "
            f"(changed objects: {r['changed']}); no-op apply {r['noop_requests']}; full comparison {r['full_requests']}; "
            f"resourceVersions moved by the no-op applies: {r['noop_moved']}; kubectl peak RSS {r['kubectl_memory']:.0f} MB"
        )
        if r["converge_writes"] != r["changed"]:
            failures.append(f"{r['environment']}: writes {r['converge_writes']} != changed objects {r['changed']}")
        if r["noop_requests"].get("write", 0) or r["full_requests"].get("write", 0) or r["noop_moved"]:
            failures.append(f"{r['environment']}: a no-op apply wrote something")
        for name, ratio in (("diff", d_ratio), ("no-op apply", a_ratio)):
            if ratio < TARGET_RATIO:
                failures.append(
                    f"{r['environment']}: {name} is {ratio:.1f}× faster than kubectl (target {TARGET_RATIO:.0f}×)"
                )
        if r["memory"] > TARGET_MEMORY_MB:
            failures.append(f"{r['environment']}: peak memory {r['memory']:.0f} MB > {TARGET_MEMORY_MB:.0f} MB")
    print()
    for failure in failures:
        print(f"target missed: {failure}")
    if not failures:
        print("all targets met")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
