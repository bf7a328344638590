"""Decide locally, without asking the server, that applying an object would change nothing.

Server-side apply changes a live object in two ways: it sets the fields of the applied body, and it
removes fields apictl owned before but no longer sets. So an apply is a no-op when

1. every field of the desired body already has that value live (server defaults may add fields,
   never remove them, so list items are compared as subsets, position by position), and
2. every field apictl owns live (``managedFields`` of manager ``apictl``, operation Apply) is still
   in the desired body.

The check is conservative: when it says "no", a server-side dry-run decides. When it says "yes",
the dry-run would have returned the live object unchanged, so it is skipped — a no-op diff or
apply needs no dry-run at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from apictl.reconcile.normalize import normalized


def already_applied(desired: Mapping[str, Any], live: Mapping[str, Any], manager: str) -> bool:
    if desired.get("apiVersion") != live.get("apiVersion"):
        return False
    if not _contains(live, normalized(desired)):
        return False
    owned = owned_fields(live, manager)
    return owned is not None and _covers(desired, owned)


def owned_fields(live: Mapping[str, Any], manager: str) -> Mapping[str, Any] | None:
    """The fieldsV1 tree ``manager`` owns through Apply operations (merged over API versions)."""
    trees = [
        entry.get("fieldsV1") or {}
        for entry in (live.get("metadata") or {}).get("managedFields") or ()
        if entry.get("manager") == manager and entry.get("operation") == "Apply"
    ]
    if len(trees) <= 1:
        return trees[0] if trees else None
    merged: dict[str, Any] = {}
    for tree in trees:
        _merge(merged, tree)
    return merged


def _merge(into: dict[str, Any], tree: Mapping[str, Any]) -> None:
    for key, sub in tree.items():
        _merge(into.setdefault(key, {}), sub or {})


_MISSING = object()


def _contains(live: Any, desired: Any) -> bool:
    """Whether ``live`` has every field of ``desired`` with the same value (hot: plain type checks)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        for key, value in desired.items():
            found = live.get(key, _MISSING)
            if found is _MISSING:
                if value is None or value == {} or value == []:  # the server drops empty values of built-ins
                    continue
                return False
            if not _contains(found, value):
                return False
        return True
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return False
        return all(_contains(found, value) for found, value in zip(live, desired, strict=True))
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if isinstance(desired, Mapping | tuple):  # rare: normalise other containers and compare again
        return _contains(live, dict(desired) if isinstance(desired, Mapping) else list(desired))
    return bool(desired == live)


def _covers(value: Any, tree: Mapping[str, Any]) -> bool:
    """Whether every field in the fieldsV1 ``tree`` is still set in ``value``."""
    for path, sub in tree.items():
        if path == ".":
            continue
        kind, _, name = path.partition(":")
        child = _child(value, kind, name)
        if child is _MISSING:
            return False
        if sub and not _covers(child, sub):
            return False
    return True


def _child(value: Any, kind: str, name: str) -> Any:
    if kind == "f":
        return value.get(name, _MISSING) if isinstance(value, Mapping) else _MISSING
    if not isinstance(value, list):
        return _MISSING
    if kind == "k":
        wanted = json.loads(name)
        for item in value:
            if isinstance(item, Mapping) and all(item.get(k) == v for k, v in wanted.items()):
                return item
        return _MISSING
    if kind == "v":
        wanted = json.loads(name)
        return wanted if wanted in value else _MISSING
    if kind == "i":
        index = int(name)
        return value[index] if 0 <= index < len(value) else _MISSING
    return _MISSING
