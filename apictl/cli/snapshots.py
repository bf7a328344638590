"""Per-machine store of environment snapshots (see apictl.reconcile.fingerprint), keyed by cluster,
repository directory and environment, and tied to a digest of every file in the repository plus
apictl's own code and library versions. Best effort: any problem means "no snapshot".
APICTL_SNAPSHOTS=off (or APICTL_CACHE=off, which also turns off the validation cache) disables it;
APICTL_CACHE_DIR moves it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from apictl.model.objects import GroupKind
from apictl.reconcile.applyset import ParentRef
from apictl.reconcile.fingerprint import Snapshot


def enabled() -> bool:
    return "off" not in (os.environ.get("APICTL_CACHE", "").lower(), os.environ.get("APICTL_SNAPSHOTS", "").lower())


def source_digest(path: str) -> str | None:
    """A digest of every file under ``path`` (hidden directories such as .git excluded)."""
    from apictl.load.result_cache import salt

    digest = hashlib.sha256(salt().encode())
    root = Path(path)
    try:
        for directory, folders, files in os.walk(root):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for name in sorted(files):
                file = Path(directory, name)
                digest.update(f"\0{file.relative_to(root).as_posix()}\0".encode())
                digest.update(file.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _file(server: str, path: str, environment: str) -> Path:
    from apictl.load.result_cache import cache_dir

    key = hashlib.sha256(f"{server}\0{os.path.abspath(path)}\0{environment}".encode()).hexdigest()[:40]
    return cache_dir() / "snapshots" / f"{key}.json"


def load(server: str, path: str, environment: str, source: str) -> Snapshot | None:
    try:
        doc = json.loads(_file(server, path, environment).read_text())
        if doc["source"] != source:
            return None
        parent = ParentRef(**doc["parent"])
        scope = tuple((GroupKind(g, k), ns) for g, k, ns in doc["scope"])
        return Snapshot(parent, scope, doc["digest"], int(doc["objects"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(server: str, path: str, environment: str, source: str, snapshot: Snapshot) -> None:
    parent = snapshot.parent
    doc = {
        "source": source,
        "parent": {"name": parent.name, "namespace": parent.namespace, "kind": parent.kind, "group": parent.group},
        "scope": [[gk.group, gk.kind, ns] for gk, ns in snapshot.scope],
        "digest": snapshot.digest,
        "objects": snapshot.objects,
    }
    target = _file(server, path, environment)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(doc))
        temporary.replace(target)
    except OSError:
        return
