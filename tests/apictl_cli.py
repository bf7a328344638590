"""Run apictl in-process or as a subprocess, and build throw-away repositories from the example."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "assetco"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def run(capsys, *argv: str) -> Result:
    """apictl in this process (fast); capsys captures both streams."""
    from apictl.cli import invoke

    capsys.readouterr()
    code = invoke(list(argv))
    out, err = capsys.readouterr()
    return Result(code, out, err)


def run_process(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    """apictl as a real process, exactly as a user runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "apictl", *argv],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def copy_example(tmp_path: Path, name: str = "repo") -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLE, target)
    return target


def line_of(file: Path, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {file}")
