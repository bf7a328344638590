"""Secret values never leave apictl: masking for every view, digests for saved plans.

Masks follow ``kubectl diff``: ``***`` where a value is unchanged, ``*** (before)`` and
``*** (after)`` where it changes, so a reviewer still sees *that* a secret changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from apictl.model.objects import ObjectKey
from apictl.reconcile.fielddiff import ABSENT, FieldChange

SECRET_FIELDS = ("data", "stringData")
MASK = "***"


def is_secret(key: ObjectKey) -> bool:
    return key.group == "" and key.kind == "Secret"


def masked_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with every Secret value replaced by ``***`` (other kinds are returned as they are)."""
    if not is_secret(ObjectKey.of(body)):
        return dict(body)
    result = dict(body)
    for name in SECRET_FIELDS:
        if isinstance(result.get(name), Mapping):
            result[name] = {k: MASK for k in result[name]}
    return result


def masked_changes(key: ObjectKey, changes: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
    if not is_secret(key):
        return changes
    return tuple(_mask(c) if c.path and c.path[0] in SECRET_FIELDS else c for c in changes)


def _mask(change: FieldChange) -> FieldChange:
    def hide(value: Any, tag: str) -> Any:
        if value is ABSENT:
            return ABSENT
        if isinstance(value, Mapping):
            return {k: f"{MASK} ({tag})" for k in value}
        return f"{MASK} ({tag})"

    return FieldChange(change.path, hide(change.before, "before"), hide(change.after, "after"))


def digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()


def digested_body(body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """For saved plans: Secret values replaced by their sha256; returns (body, whether anything was replaced)."""
    if not is_secret(ObjectKey.of(body)):
        return dict(body), False
    result = dict(body)
    replaced = False
    for name in SECRET_FIELDS:
        if isinstance(result.get(name), Mapping) and result[name]:
            result[name] = {k: digest(v) for k, v in result[name].items()}
            replaced = True
    return result, replaced


def matches_digests(real: Mapping[str, Any], digested: Mapping[str, Any]) -> bool:
    """Whether ``real`` (freshly rendered) has exactly the Secret values recorded as digests."""
    for name in SECRET_FIELDS:
        recorded = digested.get(name) or {}
        current = real.get(name) or {}
        if set(recorded) != set(current) or any(digest(current[k]) != v for k, v in recorded.items()):
            return False
    return True
