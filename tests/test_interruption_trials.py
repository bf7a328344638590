"""Interruption trials in CI: 6 kills (SIGKILL and SIGTERM alternating) at random moments of an apply with
prune of an ApplySet of more than 1,000 objects; after each, the invariants hold (no orphans, no foreign
object deleted, nothing still desired deleted) and an ordinary re-run converges. The long run (50+ kills)
is ``python benchmarks/interruption_trials.py`` (docs/reliability.md)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from interruption_trials import Figures, Trials

KILLS = 6


def test_interruption_trials(kube, tmp_path) -> None:
    trials = Trials(kube.kubeconfig, kube.kubectl, tmp_path, apis=380, window=40, seed=20261125)
    lines: list[str] = []
    figures = trials.run(KILLS, Figures(), log=lines.append, spread=0.9)
    report = "\n".join([*lines, figures.text()])
    print(report)
    assert figures.objects >= 1000, report
    assert sum(figures.kills.values()) == KILLS, report
    assert figures.kills["SIGKILL"] == figures.kills["SIGTERM"] == KILLS // 2, report
    assert figures.creates > 0 and figures.prunes > 0, report
    assert not figures.lost, report
    assert not figures.violations, report
