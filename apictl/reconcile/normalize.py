"""Normalisation: what is left of an object once server bookkeeping is removed.

Two objects that normalise equal are the same to a user. Removed: ``status``; the metadata the
server generates or bumps on every write (managedFields, resourceVersion, uid, creationTimestamp,
generation, ...); kubectl's last-applied annotation; empty label/annotation maps. Secret
``stringData`` is folded into ``data`` the way the API server stores it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

NOISY_METADATA = frozenset(
    {
        "managedFields",
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generation",
        "selfLink",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    }
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def normalized(body: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict; ``body`` is not modified (nested values are shared, never mutated)."""
    result = {k: v for k, v in body.items() if k != "status"}
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in NOISY_METADATA}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    for name, value in (("annotations", annotations), ("labels", meta.get("labels") or {})):
        if value:
            meta[name] = value
        else:
            meta.pop(name, None)
    result["metadata"] = meta
    if body.get("kind") == "Secret" and body.get("apiVersion") == "v1":
        result = _fold_string_data(result)
    return result


def _fold_string_data(secret: dict[str, Any]) -> dict[str, Any]:
    string_data = secret.pop("stringData", None) or {}
    if not string_data:
        return secret
    data = dict(secret.get("data") or {})
    for key, value in string_data.items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    secret["data"] = data
    return secret
