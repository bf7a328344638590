"""Deterministic, valid Kubernetes object names (RFC 1123 labels, at most 63 characters)."""

from __future__ import annotations

import hashlib
import re

_INVALID = re.compile(r"[^a-z0-9-]+")
MAX = 63


def object_name(*parts: str, max_length: int = MAX) -> str:
    """Join ``parts`` with '-', lowercased and cleaned; long names keep a stable hash suffix.

    Different inputs that clean to the same text get different hash suffixes only when the name
    is shortened; callers keep parts distinct (e.g. use API names, which are already RFC 1123).
    """
    raw = "-".join(p for p in parts if p)
    name = _INVALID.sub("-", raw.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name) or "x"
    if len(name) <= max_length and name == raw:
        return name
    if len(name) <= max_length and raw.lower() == raw:
        return name
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{name[: max_length - 9].rstrip('-')}-{digest}"


def version_label(version: str) -> str:
    """``1.2.0`` -> ``v1``: the major version, as used in object names."""
    major = version.split(".", 1)[0].lstrip("vV") or "0"
    return f"v{_INVALID.sub('', major.lower()) or '0'}"
