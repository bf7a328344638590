"""Offline speed of apictl (issue 8), measured in one run against references on the same machine.

    python benchmarks/validate_render.py [--reps 3] [--skip-spectral]

1. `apictl validate` on large definitions (benchmarks/large_definitions.py) vs `spectral lint`
   (spectral:oas, installed from npm into benchmarks/.data) and vs libyaml parsing alone (the floor);
2. `apictl validate` + `apictl render` of the scale repository (benchmarks/scale_repo.py), cold
   (empty cache) and warm (unchanged repository);
3. `apictl --help` vs `python -c 'import typer'`;
and the peak memory of each (GNU time). Prints medians, min-max spreads and the ratios against
the targets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
PYTHON = sys.executable
APICTL = [PYTHON, "-m", "apictl"]
SPECTRAL_VERSION = "6.16.3"


@dataclass
class Measure:
    name: str
    seconds: list[float]
    peak_mb: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def line(self) -> str:
        return (
            f"{self.name:<44} median {self.median:7.2f} s  (min {min(self.seconds):.2f}, max {max(self.seconds):.2f})"
            f"  peak {max(self.peak_mb):7.0f} MB"
        )


def timed(command: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, via GNU time."""
    with tempfile.NamedTemporaryFile("r") as report:
        result = subprocess.run(
            ["/usr/bin/time", "-o", report.name, "-f", "%e %M", *command],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode not in ok:
            raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        seconds, kilobytes = report.read().split()[-2:]
    return float(seconds), int(kilobytes) / 1024


def measure(
    name: str, command: list[str], reps: int, env_for_rep=None, ok: tuple[int, ...] = (0,), before=None
) -> Measure:
    seconds, peaks = [], []
    for rep in range(reps):
        if before is not None:
            before()
        s, m = timed(command, env_for_rep(rep) if env_for_rep else None, ok)
        seconds.append(s)
        peaks.append(m)
    result = Measure(name, seconds, peaks)
    print(result.line(), flush=True)
    return result


def install_spectral() -> list[str]:
    prefix = DATA / "spectral"
    binary = prefix / "node_modules" / ".bin" / "spectral"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                f"@stoplight/spectral-cli@{SPECTRAL_VERSION}",
            ],
            check=True,
        )
    ruleset = prefix / "ruleset.yaml"
    ruleset.write_text("extends: [[spectral:oas, recommended]]\n", encoding="utf-8")
    return [str(binary), "lint", "--ruleset", str(ruleset), "--quiet", "--fail-severity", "error"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-spectral", action="store_true", help="do not install and run Spectral")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import large_definitions
    import scale_repo

    print(
        f"machine: {os.cpu_count()} cores, {Path('/proc/meminfo').read_text().split()[1]} kB RAM; python {sys.version.split()[0]}"
    )
    defs = DATA / "definitions-repo"
    if not defs.exists():
        large_definitions.generate(defs, 28)
    files = sorted(str(p) for p in (defs / "definitions").glob("*.yaml"))
    total = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"definitions: {len(files)} files, {total:.1f} MB")
    scale = DATA / "scale-repo"
    if not scale.exists():
        scale_repo.generate(scale)
    results: dict[str, Measure] = {}

    def fresh_cache(_: int) -> dict[str, str]:
        return {"APICTL_CACHE_DIR": tempfile.mkdtemp(prefix="apictl-bench-cache-")}

    parse_code = "import sys, yaml\nfor f in sys.argv[1:]:\n    with open(f) as h:\n        yaml.load(h.read(), Loader=yaml.CSafeLoader)\n"
    results["floor"] = measure("libyaml parse only (floor)", [PYTHON, "-c", parse_code, *files], args.reps)
    results["cold"] = measure(
        "apictl validate definitions (cold)", [*APICTL, "validate", str(defs)], args.reps, fresh_cache
    )
    if not args.skip_spectral:
        spectral = install_spectral()
        # Spectral needs minutes here: two repetitions keep the run bounded (median = mean of two).
        results["spectral"] = measure("spectral lint spectral:oas", [*spectral, *files], min(args.reps, 2), ok=(0, 1))

    warm_dir = tempfile.mkdtemp(prefix="apictl-bench-warm-")
    warm_env = {"APICTL_CACHE_DIR": warm_dir}
    results["scale_cold"] = measure(
        "validate + render scale repo (cold)",
        [
            "bash",
            "-c",
            f"{' '.join(APICTL)} validate {scale} && {' '.join(APICTL)} render {scale} --env dev > /dev/null",
        ],
        args.reps,
        fresh_cache,
    )
    timed([*APICTL, "validate", str(scale)], warm_env)
    results["scale_warm"] = measure(
        "re-validate unchanged scale repo (warm)", [*APICTL, "validate", str(scale)], args.reps, lambda _: warm_env
    )
    results["typer"] = measure("python -c 'import typer'", [PYTHON, "-c", "import typer"], max(args.reps, 5))
    results["help"] = measure("apictl --help", [*APICTL, "--help"], max(args.reps, 5))
    shutil.rmtree(warm_dir, ignore_errors=True)

    print("\ntargets:")

    def check(label: str, value: float, limit: float, unit: str = "x") -> None:
        print(f"  {'OK  ' if value <= limit else 'MISS'} {label:<52} {value:6.2f}{unit} (target <= {limit}{unit})")

    if "spectral" in results:
        check("cold validation / Spectral", results["cold"].median / results["spectral"].median, 0.33)
    check("cold validation / libyaml parse floor", results["cold"].median / results["floor"].median, 2.0)
    check("re-validate unchanged scale repo", results["scale_warm"].median, 1.0, " s")
    check("validate + render scale repo, cold", results["scale_cold"].median, 3.0, " s")
    check("apictl --help / import typer", results["help"].median / results["typer"].median, 1.5)
    check(
        "peak memory, every apictl run",
        max(max(m.peak_mb) for k, m in results.items() if k not in ("spectral",)),
        500,
        " MB",
    )


if __name__ == "__main__":
    main()
