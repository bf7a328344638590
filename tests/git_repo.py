"""Throw-away git repositories holding the example, for tests of --ref, --base and shallow clones."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from apictl_cli import EXAMPLE

IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; returns stdout, raises on failure."""
    env = {**IDENTITY, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def example_repository(root: Path, subdir: str = "api") -> Path:
    """A new repository at ``root`` whose first commit holds the example under ``subdir``."""
    shutil.copytree(EXAMPLE, root / subdir)
    git(root, "init", "-q", "-b", "main", ".")
    git(root, "add", ".")
    git(root, "commit", "-qm", "example")
    return root


def shallow_clone(origin: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(target)], check=True)
    return target
