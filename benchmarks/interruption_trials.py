"""Interruption trials: kill `apictl apply` (SIGKILL and SIGTERM, alternating) at random moments of an
apply with prune of an ApplySet of more than 1,000 objects, check the invariants, re-run, check it converged.

    python benchmarks/interruption_trials.py [--kills 50] [--apis 380] [--window 40] [--seed 9]

Needs the test control plane (starts it with scripts/k8senv up). The repository comes from
benchmarks/scale_repo.py (``--apis`` APIs × 2 operations, no subscriptions: 3 objects per API). Trial
``i`` deploys every API except a window of ``--window`` APIs that moves on each trial, so every apply
both creates (the APIs the window left) and prunes (the APIs it reached). Before each trial, foreign
objects of the owned kinds are planted in the namespace (unlabelled, and labelled for another ApplySet).

After every kill (before any re-run) the invariants are checked:
- no orphans: every object carrying the set's part-of label is covered by the parent's inventory
  (its group-kind in contains-group-kinds, its namespace the parent's or in additional-namespaces);
- nothing outside what apictl owned was deleted: every foreign object is still there;
- nothing still desired was deleted: every object desired before and after the change is live.
Then an ordinary ``apictl apply`` must exit 0 and leave exactly the desired set.

Prints: trials run, kills by signal, runs that finished before their kill was due, objects in the set,
creates/prunes per trial, and what was lost (must be nothing); exits 1 if any invariant failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_repo  # noqa: E402

KINDS = {
    "HTTPRoute": "httproutes.gateway.networking.k8s.io",
    "SecurityPolicy": "securitypolicies.gateway.envoyproxy.io",
    "HTTPRouteFilter": "httproutefilters.gateway.envoyproxy.io",
    "BackendTrafficPolicy": "backendtrafficpolicies.gateway.envoyproxy.io",
}
GROUP = {
    "HTTPRoute": "gateway.networking.k8s.io",
    "SecurityPolicy": "gateway.envoyproxy.io",
    "HTTPRouteFilter": "gateway.envoyproxy.io",
    "BackendTrafficPolicy": "gateway.envoyproxy.io",
}
PART_OF = "applyset.kubernetes.io/part-of"
ID = "applyset.kubernetes.io/id"


@dataclass
class Figures:
    trials: int = 0
    kills: Counter = field(default_factory=Counter)
    finished_before_kill: int = 0
    after_first_write: int = 0
    """Kills that landed after the run had written: some create or prune of the trial is already live."""
    during_prune: int = 0
    """Kills that landed after pruning had begun (some undesired member already deleted)."""
    exit_codes: Counter = field(default_factory=Counter)
    objects: int = 0
    creates: int = 0
    prunes: int = 0
    lost: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    apply_seconds: float = 0.0

    def text(self) -> str:
        kills = ", ".join(f"{n} {s}" for s, n in sorted(self.kills.items()))
        return "\n".join(
            [
                f"trials run: {self.trials}",
                f"kills: {sum(self.kills.values())} ({kills}); finished before the kill was due: "
                f"{self.finished_before_kill}",
                f"kills after the first write: {self.after_first_write}; after pruning had begun: {self.during_prune}",
                f"exit codes of the killed runs: {dict(sorted(self.exit_codes.items()))}",
                f"objects in the ApplySet: {self.objects} (each trial: ~{self.creates // max(1, self.trials)} creates, "
                f"~{self.prunes // max(1, self.trials)} prunes; one uninterrupted apply took {self.apply_seconds:.1f}s)",
                f"lost (desired or foreign objects deleted): {len(self.lost)}"
                + (": " + ", ".join(self.lost[:20]) if self.lost else " (nothing)"),
                f"invariant violations: {len(self.violations)}"
                + ("".join(f"\n  {v}" for v in self.violations[:20]) if self.violations else ""),
                f"took {self.seconds:.0f}s",
            ]
        )

    def json(self) -> dict:
        return {
            "trials": self.trials,
            "kills": dict(self.kills),
            "finished_before_kill": self.finished_before_kill,
            "after_first_write": self.after_first_write,
            "during_prune": self.during_prune,
            "objects": self.objects,
            "lost": self.lost,
            "violations": self.violations,
        }


class Trials:
    def __init__(self, kubeconfig: str, kubectl: str, work: Path, *, apis: int, window: int, seed: int) -> None:
        self.kubeconfig, self.kubectl = kubeconfig, kubectl
        self.rng = random.Random(seed)
        self.apis, self.window = apis, window
        prefix = f"trials-{uuid.uuid4().hex[:6]}"
        self.namespace = f"{prefix}-dev"
        self.repo = scale_repo.generate(
            work / "repo", apis=apis, operations=2, applications=1, subscriptions=0, namespace_prefix=prefix
        )
        self.env = {**os.environ, "KUBECONFIG": kubeconfig, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
        self.kubectl_run("create", "namespace", self.namespace)
        self.kubectl_run("label", "namespace", self.namespace, "apictl.test/k8senv=true")
        self.excluded: set[int] = set()
        self.foreign: set[tuple[str, str]] = set()

    # --- plumbing -------------------------------------------------------------------------------

    def kubectl_run(self, *args: str, input: str | None = None) -> str:
        r = subprocess.run(
            [self.kubectl, *args], env=self.env, capture_output=True, text=True, input=input, timeout=300
        )
        if r.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    def apictl(self) -> list[str]:
        return [sys.executable, "-m", "apictl", "apply", str(self.repo), "--env", "dev"]

    def variant(self, excluded: set[int]) -> None:
        """Deploy every API to dev except ``excluded`` (they stay in prod)."""
        for i in self.excluded ^ excluded:
            path = self.repo / "apis" / f"api-{i:04d}.yaml"
            doc = yaml.safe_load(path.read_text())
            doc["spec"]["environments"] = ["prod"] if i in excluded else ["dev", "prod"]
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
        self.excluded = set(excluded)

    def desired(self) -> set[tuple[str, str]]:
        r = subprocess.run(
            [sys.executable, "-m", "apictl", "render", str(self.repo), "--env", "dev", "-o", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if r.returncode != 0:
            raise RuntimeError(f"apictl render failed: {r.stderr}")
        return {(i["kind"], i["metadata"]["name"]) for i in json.loads(r.stdout)["items"]}

    def live(self) -> dict[tuple[str, str], str]:
        """(kind, name) → value of the part-of label ("" when none), for every object of the owned kinds."""
        out = self.kubectl_run(
            "get",
            ",".join(KINDS.values()),
            "-n",
            self.namespace,
            "-o",
            "jsonpath={range .items[*]}{.kind}{'\\t'}{.metadata.name}{'\\t'}"
            "{.metadata.labels.applyset\\.kubernetes\\.io/part-of}{'\\n'}{end}",
        )
        found = {}
        for line in out.splitlines():
            kind, name, label = ([*line.split("\t"), "", ""])[:3]
            if kind:
                found[(kind, name)] = label
        return found

    def parent(self) -> dict | None:
        r = subprocess.run(
            [self.kubectl, "get", "configmap", "apictl-applyset-dev", "-n", self.namespace, "-o", "json"],
            env=self.env,
            capture_output=True,
            text=True,
        )
        return json.loads(r.stdout) if r.returncode == 0 else None

    def plant_foreign(self) -> None:
        """Objects of the owned kinds that apictl does not own: unlabelled, and labelled for another set."""
        docs = []
        for n in range(2):
            for kind in ("HTTPRoute", "HTTPRouteFilter"):
                name = f"foreign-{kind.lower()}-{n}"
                labels = {PART_OF: "applyset-someone-else-v1"} if n else {}
                spec = {"parentRefs": [{"name": "eg"}]} if kind == "HTTPRoute" else {}
                docs.append(
                    {
                        "apiVersion": f"{GROUP[kind]}/v1" if kind == "HTTPRoute" else f"{GROUP[kind]}/v1alpha1",
                        "kind": kind,
                        "metadata": {"name": name, "namespace": self.namespace, "labels": labels},
                        "spec": spec,
                    }
                )
                self.foreign.add((kind, name))
        self.kubectl_run("apply", "-f", "-", input=yaml.safe_dump_all(docs))

    # --- checks ---------------------------------------------------------------------------------

    def check(self, trial: int, still_desired: set[tuple[str, str]], figures: Figures) -> None:
        live = self.live()
        parent = self.parent()
        set_id = (parent or {}).get("metadata", {}).get("labels", {}).get(ID, "")
        for key in sorted(still_desired - live.keys()):
            figures.lost.append(f"trial {trial}: desired {key[0]}/{key[1]} deleted")
        for key in sorted(self.foreign - live.keys()):
            figures.lost.append(f"trial {trial}: foreign {key[0]}/{key[1]} deleted")
        members = [k for k, label in live.items() if label and label == set_id]
        if parent is None:
            strays = [k for k, label in live.items() if label.startswith("applyset-") and k not in self.foreign]
            if strays:
                figures.violations.append(f"trial {trial}: {len(strays)} labelled objects but no ApplySet parent")
            return
        annotations = parent["metadata"].get("annotations") or {}
        kinds = set(filter(None, annotations.get("applyset.kubernetes.io/contains-group-kinds", "").split(",")))
        for kind, name in members:
            if f"{kind}.{GROUP[kind]}" not in kinds:
                figures.violations.append(f"trial {trial}: orphan {kind}/{name}: its kind is not in the inventory")

    # --- the trials -----------------------------------------------------------------------------

    def window_at(self, trial: int) -> set[int]:
        start = (trial * self.window) % self.apis
        return {(start + k) % self.apis for k in range(self.window)}

    def converge(self, trial: int, desired: set[tuple[str, str]], figures: Figures) -> float:
        start = time.monotonic()
        r = subprocess.run(self.apictl(), env=self.env, capture_output=True, text=True, timeout=900)
        took = time.monotonic() - start
        if r.returncode != 0:
            figures.violations.append(f"trial {trial}: the re-run exited {r.returncode}: {r.stderr[-2000:]}")
            return took
        live = self.live()
        parent = self.parent() or {}
        set_id = parent.get("metadata", {}).get("labels", {}).get(ID, "")
        members = {k for k, label in live.items() if label == set_id}
        if members != desired:
            figures.violations.append(
                f"trial {trial}: after the re-run {len(desired - members)} desired objects are missing and "
                f"{len(members - desired)} undesired members remain"
            )
        for key in sorted(self.foreign - live.keys()):
            figures.lost.append(f"trial {trial} (re-run): foreign {key[0]}/{key[1]} deleted")
        return took

    def run(self, kills: int, figures: Figures, log=print, *, spread: float = 1.25) -> Figures:
        """Kill ``kills`` runs, each at a random moment between 2% and ``spread`` × one uninterrupted apply."""
        began = time.monotonic()
        self.plant_foreign()
        self.variant(self.window_at(0))
        desired = self.desired()
        figures.apply_seconds = self.converge(0, desired, figures)
        figures.objects = len(desired)
        log(f"set up: {len(desired)} objects in {self.namespace}, first apply {figures.apply_seconds:.1f}s")
        calibration = self.timed_change(1, desired, figures)
        desired = self.desired()
        log(f"an uninterrupted changed apply took {calibration:.1f}s: kills land between 2% and {spread:.0%} of it")
        trial = 2
        signals = [signal.SIGKILL, signal.SIGTERM]
        while sum(figures.kills.values()) < kills:
            before = desired
            self.variant(self.window_at(trial))
            desired = self.desired()
            figures.creates += len(desired - before)
            figures.prunes += len(before - desired)
            sig = signals[sum(figures.kills.values()) % 2]
            delay = self.rng.uniform(0.02, spread) * calibration
            proc = subprocess.Popen(
                self.apictl(),
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            started = time.monotonic()
            try:
                proc.wait(timeout=delay)
                figures.finished_before_kill += 1
                outcome = f"finished before the kill ({proc.returncode})"
                # the machine got faster (less load than when calibrating): follow it
                calibration = (calibration + time.monotonic() - started) / 2
            except subprocess.TimeoutExpired:
                proc.send_signal(sig)
                code = proc.wait(timeout=300)
                figures.kills[sig.name] += 1
                figures.exit_codes[code] += 1
                outcome = f"{sig.name} at {delay:.2f}s → exit {code}"
                live = self.live().keys()
                if ((desired - before) & live) or ((before - desired) - live):
                    figures.after_first_write += 1
                    outcome += ", after writes began"
                    if (before - desired) - live:
                        figures.during_prune += 1
                        outcome += ", during the prune"
            figures.trials += 1
            self.check(trial, before & desired, figures)
            took = self.converge(trial, desired, figures)
            log(
                f"trial {trial - 1}: {outcome}; +{len(desired - before)} -{len(before - desired)}; "
                f"re-run {took:.1f}s; lost so far {len(figures.lost)}, violations {len(figures.violations)}"
            )
            trial += 1
        figures.seconds = time.monotonic() - began
        return figures

    def timed_change(self, trial: int, before: set[tuple[str, str]], figures: Figures) -> float:
        """One uninterrupted changed apply: how long a trial's apply takes (the kill moment's range)."""
        self.variant(self.window_at(trial))
        desired = self.desired()
        return self.converge(trial, desired, figures)


def control_plane() -> tuple[str, str]:
    k8senv = ROOT / "scripts" / "k8senv"
    up = subprocess.run([sys.executable, str(k8senv), "up"], capture_output=True, text=True)
    if up.returncode != 0:
        raise SystemExit(f"scripts/k8senv up failed:\n{up.stderr}")
    status = json.loads(
        subprocess.run([sys.executable, str(k8senv), "status", "--json"], capture_output=True, text=True).stdout
    )
    return status["kubeconfig"], status["kubectl"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--apis", type=int, default=380, help="3 objects per API (380 → 1,140 objects)")
    parser.add_argument("--window", type=int, default=40, help="APIs left out per trial (moves every trial)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--work", type=Path, default=Path("/tmp/apictl-interruption-trials"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    kubeconfig, kubectl = control_plane()
    trials = Trials(kubeconfig, kubectl, args.work, apis=args.apis, window=args.window, seed=args.seed)
    figures = trials.run(args.kills, Figures(), log=lambda line: print(line, flush=True))
    print("\n" + figures.text())
    if args.json:
        args.json.write_text(json.dumps(figures.json(), indent=2))
    sys.exit(1 if figures.lost or figures.violations else 0)


if __name__ == "__main__":
    main()
