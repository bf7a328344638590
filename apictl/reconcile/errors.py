"""The errors reconcile and its cluster port speak: the adapter translates library exceptions into these.

Every error carries a message for people and, where one helps, a hint. The CLI maps the classes to
exit codes in one place.
"""

from __future__ import annotations

from apictl.model.objects import ObjectKey


class ReconcileError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ClusterError(ReconcileError):
    """The cluster could not be reached, refused the credentials, or answered with an error."""


class ConfigError(ClusterError):
    """No usable kubeconfig / context / in-cluster configuration."""


class ApiError(ClusterError):
    """The API server answered with an error status for one request."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str = "",
        key: ObjectKey | None = None,
        retry_after: float | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason
        self.key = key
        self.retry_after = retry_after


class NotFound(ApiError):
    pass


class Invalid(ApiError):
    """The server rejected the object itself (schema, unknown field, CEL, admission); retrying cannot help."""


class FieldConflict(ApiError):
    """Server-side apply conflict: another field manager owns a field apictl wants to set to a different value."""

    def __init__(self, message: str, *, key: ObjectKey | None, fields: tuple[str, ...], **kw: object) -> None:
        super().__init__(message, status=409, reason="Conflict", key=key, **kw)  # type: ignore[arg-type]
        self.fields = fields


class Stale(ApiError):
    """A precondition (resourceVersion or uid) no longer holds: the object moved since it was read."""


class Unreachable(ClusterError):
    """No answer: connection refused or reset, DNS, TLS, or the request timed out (after retries)."""


class UnknownKind(ClusterError):
    """The cluster does not serve this group/kind (is the CRD installed?)."""


class Refused(ReconcileError):
    """A safety rule refused to act: foreign ApplySet parent, wrong ID, unconfirmed prune-all, stale plan."""


class InvalidDesired(ReconcileError):
    """The rendered objects cannot be applied as they are (e.g. they already carry ApplySet labels)."""


def conflict_guide(key: ObjectKey, detail: str) -> str:
    """kubectl's guidance for server-side apply conflicts, adapted to apictl's flags."""
    return (
        f"{key}: {detail}\n"
        "Please review the fields above--they currently have other managers. Here\n"
        "are the ways you can resolve this warning:\n"
        "* If you intend to manage all of these fields, please re-run the apply\n"
        "  command with the `--force-conflicts` flag.\n"
        "* If you do not intend to manage all of the fields, please edit your\n"
        "  manifest to remove references to the fields that should keep their\n"
        "  current managers.\n"
        "* You may co-own fields by updating your manifest to match the existing\n"
        "  value; in this case, you'll become the manager if the other manager(s)\n"
        "  stop managing the field (remove it from their configuration).\n"
        "See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts"
    )
