"""The last commit that changed each file, from one `git log` walk (no checkout)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def last_commits(path: str, revision: str | None) -> dict[str, str]:
    """Map of ``path``-relative file -> commit sha. Empty outside git or when git is unavailable.

    Files with uncommitted changes keep the commit of their last committed version.
    """
    directory = Path(path).resolve()
    try:
        top = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        log = subprocess.run(
            [
                "git",
                "-C",
                top,
                "log",
                "--no-renames",
                "--format=%x00%H",
                "--name-only",
                revision or "HEAD",
                "--",
                str(directory),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    prefix = directory.relative_to(Path(top).resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    commits: dict[str, str] = {}
    sha = ""
    for line in log.splitlines():
        if line.startswith("\x00"):
            sha = line[1:]
        elif line and line.startswith(prefix):
            commits.setdefault(line[len(prefix) :], sha)
    return commits


def head_commit(path: str, revision: str | None) -> str | None:
    """The commit ``revision`` (default HEAD) names, when ``path`` is inside a git work tree."""
    try:
        return (
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(Path(path).resolve()),
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    f"{revision or 'HEAD'}^{{commit}}",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None
