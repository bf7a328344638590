"""One REST API being rendered into one environment, and values with their manifest locations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from apictl.model.bundle import Document
from apictl.model.diagnostics import Diagnostic, Severity
from apictl.model.manifests import API
from apictl.model.source import SourceLocation
from apictl.render.target import RenderContext
from apictl.render.targets.envoy_gateway.gateway_api import GATEWAY_GROUP

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """A value and where the manifest wrote it."""

    value: T
    location: SourceLocation


@dataclass
class ApiScope:
    """One REST API being rendered into one environment."""

    ctx: RenderContext
    api: API
    doc: Document
    name: str
    """Name of the HTTPRoute, and the stem of every other object of this API."""

    @property
    def namespace(self) -> str:
        return self.ctx.namespace

    @property
    def label(self) -> str:
        return f"API {self.api.metadata.name!r} {self.api.spec.version}"

    @property
    def base_path(self) -> str:
        """The base path without a trailing slash; "" for the root."""
        return (self.api.spec.base_path or "/").rstrip("/")

    def emit(self, body: dict) -> None:
        # A JSON round trip: no object is shared between or within bodies (YAML would print anchors).
        self.ctx.emit(body, self.doc, api=self.api.metadata.name)

    def info(self, code: str, message: str, location: SourceLocation, hint: str = "") -> None:
        text = f"environment {self.ctx.env_name!r} ({self.ctx.target}): {message}"
        self.ctx.diagnostics.append(Diagnostic(code, Severity.INFO, text, location, hint))

    def metadata(self, name: str, namespace: str | None = None) -> dict:
        return {"name": name, "namespace": namespace or self.namespace}

    def route_ref(self, section: str | None = None) -> dict:
        ref = {"group": GATEWAY_GROUP, "kind": "HTTPRoute", "name": self.name}
        if section:
            ref["sectionName"] = section
        return ref
