"""The contract every render target fulfils, and the context it renders in.

A target turns the manifests of one environment into Kubernetes objects for one product
(a gateway such as Envoy Gateway, or a broker such as RabbitMQ). It declares the group/kinds it
creates: those are the only kinds apictl will ever prune. What a manifest asks for and the
product cannot express is reported as a diagnostic through ``RenderContext.unsupported`` -- never
dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from apictl.model.bundle import Bundle, Document
from apictl.model.diagnostics import Diagnostic, Severity
from apictl.model.manifests import API, Application, Environment, Plan, PlanSpec, Policy, Subscription
from apictl.model.objects import GroupKind, RenderedObject
from apictl.model.source import SourceLocation
from apictl.render import metadata

Role = Literal["gateway", "broker"]


@dataclass
class RenderContext:
    """Everything a target may read, plus the sinks it writes objects and diagnostics to."""

    bundle: Bundle
    environment: Environment
    environment_doc: Document
    target: str
    objects: list[RenderedObject] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _subscriptions: dict[tuple[str, str], list[tuple[Subscription, Document]]] | None = field(default=None, repr=False)
    _applications: dict[str, tuple[Application, Document]] | None = field(default=None, repr=False)
    _plans: dict[str, tuple[PlanSpec, Document]] | None = field(default=None, repr=False)

    @property
    def env_name(self) -> str:
        return self.environment.metadata.name

    @property
    def namespace(self) -> str:
        return self.environment.spec.namespace

    # --- what is deployed here ---------------------------------------------------------------

    def apis(self, api_type: Literal["rest", "async"]) -> Iterator[tuple[API, Document]]:
        """APIs of that type deployed to this environment, sorted by name/version.

        Drafts are never rendered. Retired event APIs are not rendered either (their topology is
        pruned); retired REST APIs are, so that the gateway can answer 410 Gone.
        """
        hidden = {"draft"} if api_type == "rest" else {"draft", "retired"}
        found = [
            (api, doc)
            for api, doc in self.bundle.apis()
            if api.spec.type == api_type
            and self.env_name in api.spec.environments
            and api.spec.lifecycle.state not in hidden
        ]
        return iter(sorted(found, key=lambda pair: (pair[0].metadata.name, pair[0].spec.version)))

    def subscriptions(self, api: API) -> Iterator[tuple[Subscription, Document]]:
        """Subscriptions to ``api`` in this environment, sorted by name."""
        if self._subscriptions is None:
            index: dict[tuple[str, str], list[tuple[Subscription, Document]]] = {}
            for sub, doc in self.bundle.subscriptions():
                if self.env_name in sub.spec.environments:
                    index.setdefault((sub.spec.api.name, sub.spec.api.version), []).append((sub, doc))
            for found in index.values():
                found.sort(key=lambda pair: pair[0].metadata.name)
            self._subscriptions = index
        return iter(self._subscriptions.get((api.metadata.name, api.spec.version), ()))

    def application(self, name: str) -> tuple[Application, Document] | None:
        if self._applications is None:
            self._applications = {a.metadata.name: (a, d) for a, d in reversed(list(self.bundle.applications()))}
        return self._applications.get(name)

    def plan(self, name: str) -> tuple[PlanSpec, Document] | None:
        """The plan's limits in this environment: the plan, with the environment's override applied."""
        if self._plans is None:
            self._plans = {p.metadata.name: (self.plan_limits(p), d) for p, d in reversed(list(self.bundle.plans()))}
        return self._plans.get(name)

    def plan_limits(self, plan: Plan) -> PlanSpec:
        override = self.environment.spec.overrides.plans.get(plan.metadata.name)
        if override is None:
            return plan.spec
        changes = {k: v for k, v in override.model_dump(exclude_unset=True, by_alias=False).items()}
        return plan.spec.model_copy(update={k: getattr(override, k) for k in changes})

    def policy(self, name: str) -> tuple[Policy, Document] | None:
        return next(((p, d) for p, d in self.bundle.policies() if p.metadata.name == name), None)

    def credentials_secret(self, application: Application) -> str | None:
        ref = application.spec.credentials.get(self.env_name)
        return ref.name if ref is not None else None

    # --- sinks -------------------------------------------------------------------------------

    def emit(
        self, body: Mapping[str, Any], origin: Document, *, api: str | None = None, application: str | None = None
    ) -> None:
        """Add an object; apictl's labels and annotations are stamped on it here."""
        stamped = metadata.stamp(
            body,
            environment=self.env_name,
            target=self.target,
            origin=origin,
            commit=self.bundle.file_commits.get(origin.path),
            api=api,
            application=application,
        )
        self.objects.append(RenderedObject.of(stamped, origin.location, self.target))

    def unsupported(self, code: str, message: str, location: SourceLocation, hint: str = "") -> None:
        """Report something this target cannot express. An error unless apictl.yaml says `unsupported: warning`."""
        severity = Severity.WARNING if self.bundle.config.unsupported == "warning" else Severity.ERROR
        text = f"environment {self.env_name!r} ({self.target}): {message}"
        self.diagnostics.append(Diagnostic(code, severity, text, location, hint))

    def problem(self, code: str, message: str, location: SourceLocation, hint: str = "") -> None:
        """Report an input error found while rendering (always an error)."""
        text = f"environment {self.env_name!r} ({self.target}): {message}"
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, text, location, hint))


class Target(Protocol):
    name: str
    """Matched against Environment spec.gateway.target / spec.broker.target."""
    role: Role
    kinds: frozenset[GroupKind]
    """Every group/kind this target may create: the only kinds apictl may prune for it."""

    def render(self, ctx: RenderContext) -> None:
        """Emit the objects of ``ctx.environment`` with ``ctx.emit``; report gaps with ``ctx.unsupported``."""
