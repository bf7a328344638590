"""A content-addressed cache of per-document results, shared by every apictl run on this machine.

Keys are sha256 over a *salt* and the document's bytes and shown path. The salt covers apictl's own
code, the versions of the libraries that produce results (YAML, pydantic, the validators, the
AsyncAPI schema pin) and settings that change results, so edits to a document or an upgrade of any
of them can never return a stale result. The cache is best effort: any error disables it for the run.
Set APICTL_CACHE=off to bypass it; APICTL_CACHE_DIR moves it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

MAX_BYTES = 512 * 1024 * 1024
LIBRARIES = ("pyyaml", "pydantic", "pydantic-core", "jsonschema", "jsonschema-rs", "openapi-spec-validator")


def cache_dir() -> Path:
    configured = os.environ.get("APICTL_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "apictl"


@functools.cache
def salt() -> str:
    import apictl
    from apictl.load.asyncapi_schemas import SPECS_VERSION

    digest = hashlib.sha256(f"apictl {apictl.__version__} asyncapi-specs {SPECS_VERSION}".encode())
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} -".encode())
    package = Path(apictl.__file__).parent
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source.relative_to(package)} {stat.st_size} {stat.st_mtime_ns}".encode())
    for setting in ("APICTL_VALIDATION", "APICTL_ASYNCAPI_SCHEMAS"):
        digest.update(f"{setting}={os.environ.get(setting, '')}".encode())
    return digest.hexdigest()


def key(kind: str, shown: str, text: str) -> str:
    digest = hashlib.sha256(salt().encode())
    digest.update(f"\0{kind}\0{shown}\0".encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class ResultCache:
    def __init__(self, file: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        if file is None:
            return
        try:
            file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if file.exists() and file.stat().st_size > MAX_BYTES:
                file.unlink()
            self._db = sqlite3.connect(file, timeout=5, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        except (OSError, sqlite3.Error):
            self._db = None

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        if self._db is None:
            return found
        try:
            for start in range(0, len(wanted), 500):
                batch = wanted[start : start + 500]
                marks = ",".join("?" * len(batch))
                for k, value in self._db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", batch):
                    found[k] = pickle.loads(value)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return {}
        return found

    def put_many(self, items: Mapping[str, Any]) -> None:
        if self._db is None or not items:
            return
        try:
            rows = [(k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in items.items()]
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", rows)
            self._db.execute("COMMIT")
        except (sqlite3.Error, pickle.PicklingError, TypeError):
            self._db = None


@functools.cache
def default() -> ResultCache:
    if os.environ.get("APICTL_CACHE", "").lower() in ("off", "0", "false", "no"):
        return ResultCache(None)
    return ResultCache(cache_dir() / "results-v1.sqlite")


def cached_map(kind: str, function: Any, items: list[Any], keys: list[str], run: Any, private: Any = None) -> list[Any]:
    """``[function(x) for x in items]`` through the cache: only misses are computed (by ``run``).

    ``private(item)``: true for items whose results must never be written to disk (they may hold a
    credential typed into a manifest); those are always computed.
    """
    cache = default()
    hits = cache.get_many(keys)
    missing = [i for i, k in enumerate(keys) if k not in hits]
    computed = run(function, [items[i] for i in missing])
    cache.put_many(
        {
            keys[i]: result
            for i, result in zip(missing, computed, strict=True)
            if private is None or not private(items[i])
        }
    )
    fresh = dict(zip(missing, computed, strict=True))
    return [hits[k] if k in hits else fresh[i] for i, k in enumerate(keys)]
