"""Translate API server error responses into apictl's own errors (apictl.reconcile.errors)."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from apictl.model.objects import ObjectKey
from apictl.reconcile.errors import ApiError, FieldConflict, Invalid, NotFound, Stale

MAX_RETRY_AFTER = 30.0
TYPED_PATCH = "failed to create typed patch object"
"""Server-side apply reports fields unknown to the schema with status 500 and this text."""


def translate(status: int, payload: Any, key: ObjectKey | None, retry_after: str | None) -> ApiError:
    body: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    message = str(body.get("message") or f"HTTP {status}")
    reason = str(body.get("reason") or "")
    causes = (body.get("details") or {}).get("causes") or []
    where = f"{key}: " if key else ""
    if status == 404:
        return NotFound(where + message, status=status, reason=reason, key=key)
    if status == 409:
        fields = tuple(str(c.get("field", "")) for c in causes if c.get("reason") == "FieldManagerConflict")
        if fields:
            return FieldConflict(message, key=key, fields=fields)
        if "has been modified" in message or "Precondition failed" in message:
            return Stale(where + message, status=status, reason=reason, key=key)
        return ApiError(where + message, status=status, reason=reason, key=key)
    if status in (400, 422) or (status == 500 and TYPED_PATCH in message):
        return Invalid(where + message, status=status, reason=reason, key=key)
    if status == 401:
        return ApiError(
            f"the cluster refused the credentials: {message}",
            status=status,
            reason=reason,
            key=key,
            hint="check --kubeconfig/--context, or log in again",
        )
    if status == 403:
        return ApiError(
            where + message,
            status=status,
            reason=reason,
            key=key,
            hint="the identity in the kubeconfig lacks RBAC permission for this",
        )
    return ApiError(where + message, status=status, reason=reason, key=key, retry_after=_seconds(retry_after))


def retryable(error: ApiError) -> bool:
    """Only what can succeed on retry: throttling and server-side failures (not schema errors)."""
    return error.status == 429 or (error.status >= 500 and not isinstance(error, Invalid))


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        import datetime as dt

        when = parsedate_to_datetime(value)
        return min(MAX_RETRY_AFTER, max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds()))
    except (TypeError, ValueError):
        return None
