"""Install the official AsyncAPI JSON Schemas (npm package @asyncapi/specs) into apictl's cache.

The schemas are third-party files: apictl pins a version, fetches them with the ordinary npm
client (which verifies the registry's integrity hash) and never vendors them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

SPECS_PACKAGE = "@asyncapi/specs"
SPECS_VERSION = "6.11.1"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "apictl" / "asyncapi-specs" / SPECS_VERSION


class FetchError(Exception):
    pass


def _safe_extract(archive: Path, destination: Path) -> None:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            target = (destination / member.name).resolve()
            if not target.is_relative_to(destination.resolve()) or member.issym() or member.islnk():
                raise FetchError(f"refusing unsafe path {member.name!r} in {archive.name}")
        tar.extractall(destination, filter="data")


def fetch() -> Path:
    """Download and unpack the pinned package; returns its `package/schemas` directory."""
    final = cache_dir()
    schemas = final / "package" / "schemas"
    if (schemas / "3.0.0.json").is_file():
        return schemas
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(
            f"npm is not installed; install Node.js, or unpack `npm pack {SPECS_PACKAGE}@{SPECS_VERSION}` "
            "yourself and set APICTL_ASYNCAPI_SCHEMAS to that directory"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent) as tmp:
        result = subprocess.run(
            [npm, "pack", f"{SPECS_PACKAGE}@{SPECS_VERSION}", "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=300,
        )
        archives = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not archives:
            raise FetchError(f"npm pack failed: {result.stderr.strip()[-500:]}")
        unpack = Path(tmp) / "unpacked"
        unpack.mkdir()
        _safe_extract(archives[0], unpack)
        if final.exists():
            shutil.rmtree(final)
        os.replace(unpack, final)
    return schemas
