"""The labels and annotations apictl puts on every object it renders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apictl.model.bundle import Document

MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_ENV = "apictl.io/environment"
LABEL_TARGET = "apictl.io/target"
LABEL_API = "apictl.io/api"
LABEL_APPLICATION = "apictl.io/application"
ANNOTATION_SOURCE = "apictl.io/source"
ANNOTATION_COMMIT = "apictl.io/source-commit"


def stamp(
    body: Mapping[str, Any],
    *,
    environment: str,
    target: str,
    origin: Document,
    commit: str | None,
    api: str | None,
    application: str | None,
) -> dict[str, Any]:
    result = dict(body)
    meta = result["metadata"] = dict(result.get("metadata") or {})
    labels = meta["labels"] = dict(meta.get("labels") or {})
    labels[MANAGED_BY] = "apictl"
    labels[LABEL_ENV] = environment
    labels[LABEL_TARGET] = target
    if api:
        labels[LABEL_API] = api
    if application:
        labels[LABEL_APPLICATION] = application
    annotations = meta["annotations"] = dict(meta.get("annotations") or {})
    annotations[ANNOTATION_SOURCE] = f"{origin.path}:{origin.source.start[0]}"
    if commit:
        annotations[ANNOTATION_COMMIT] = commit
    return result
