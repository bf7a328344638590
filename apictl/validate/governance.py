"""Governance rules; each rule's level (error/warning/off) comes from the repository's apictl.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterator

from apictl.model.bundle import Bundle
from apictl.model.config import GOVERNANCE_DEFAULTS
from apictl.model.definition_views import rest_operations
from apictl.model.diagnostics import Diagnostic, Severity
from apictl.model.manifests import Policy
from apictl.model.source import SourceLocation
from apictl.validate.definition_positions import DefinitionPositions

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey"}
SECRET_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)\s*[:=]\s*\S{6,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}"),
)

Finding = tuple[str, str, SourceLocation, str]


def _owner(bundle: Bundle) -> Iterator[Finding]:
    for api, doc in bundle.apis():
        if not api.spec.owner:
            yield (
                "owner-required",
                f"API {api.metadata.name!r} has no owner",
                doc.locate("spec"),
                "add spec.owner: the team that answers for this API",
            )
    for app, doc in bundle.applications():
        if not app.spec.owner:
            yield (
                "owner-required",
                f"Application {app.metadata.name!r} has no owner",
                doc.locate("spec"),
                "add spec.owner: the company or team that runs this application",
            )


def _semver(bundle: Bundle) -> Iterator[Finding]:
    for api, doc in bundle.apis():
        if not SEMVER.match(api.spec.version):
            yield (
                "semantic-version",
                f"API {api.metadata.name!r} version {api.spec.version!r} is not a semantic version",
                doc.locate("spec", "version"),
                "use MAJOR.MINOR.PATCH, e.g. 1.4.0",
            )


def _operation_ids(bundle: Bundle) -> Iterator[Finding]:
    seen: set[str] = set()
    for api, _ in bundle.apis():
        definition = bundle.definition_for(api)
        if definition is None or definition.format == "asyncapi" or definition.path in seen:
            continue
        seen.add(definition.path)
        positions = DefinitionPositions(definition)
        for op in rest_operations(definition):
            if op.operation_id is None:
                yield (
                    "operation-id-required",
                    f"{op.method} {op.path} has no operationId",
                    positions.locate(op.pointer),
                    "add a unique operationId; policies and diffs refer to it",
                )


def _sunset(bundle: Bundle) -> Iterator[Finding]:
    for api, doc in bundle.apis():
        if api.spec.lifecycle.state == "deprecated" and api.spec.lifecycle.sunset is None:
            yield (
                "deprecated-needs-sunset",
                f"API {api.metadata.name!r} is deprecated without a sunset date",
                doc.locate("spec", "lifecycle"),
                "add spec.lifecycle.sunset: YYYY-MM-DD",
            )


def _looks_secret(text: str) -> bool:
    return any(p.search(text) for p in SECRET_PATTERNS)


def _plaintext_secrets(bundle: Bundle) -> Iterator[Finding]:
    hint = "store the value in a Kubernetes Secret and reference the Secret by name"
    for doc in bundle.documents:
        meta = doc.manifest.metadata
        for field in ("annotations", "labels"):
            for key, value in getattr(meta, field).items():
                if _looks_secret(f"{key}: {value}") or _looks_secret(value):
                    yield (
                        "no-plaintext-secrets",
                        f"metadata.{field}.{key} looks like a credential (value not shown)",
                        doc.locate("metadata", field, key),
                        hint,
                    )
        description = getattr(doc.manifest.spec, "description", None)
        if isinstance(description, str) and _looks_secret(description):
            yield (
                "no-plaintext-secrets",
                "spec.description looks like it contains a credential (value not shown)",
                doc.locate("spec", "description"),
                hint,
            )
        if isinstance(doc.manifest, Policy) and doc.manifest.spec.headers is not None:
            for side in ("request", "response"):
                changes = getattr(doc.manifest.spec.headers, side)
                if changes is None:
                    continue
                for op in ("add", "set"):
                    for name, value in getattr(changes, op).items():
                        if name.lower() in CREDENTIAL_HEADERS or _looks_secret(value):
                            yield (
                                "no-plaintext-secrets",
                                f"header {name!r} in headers.{side}.{op} carries a credential in plain text (value not shown)",
                                doc.locate("spec", "headers", side, op, name),
                                hint,
                            )


RULES = {
    "owner-required": _owner,
    "semantic-version": _semver,
    "operation-id-required": _operation_ids,
    "deprecated-needs-sunset": _sunset,
    "no-plaintext-secrets": _plaintext_secrets,
}
assert set(RULES) == set(GOVERNANCE_DEFAULTS)


def check(bundle: Bundle) -> list[Diagnostic]:
    found = []
    for rule, finder in RULES.items():
        level = bundle.config.level(rule)
        if level == "off":
            continue
        severity = Severity.ERROR if level == "error" else Severity.WARNING
        for code, message, location, hint in finder(bundle):
            found.append(Diagnostic(code, severity, message, location, hint))
    return found
