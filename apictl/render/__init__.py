"""render: Bundle + environment -> Kubernetes objects, through one target per role."""

from __future__ import annotations

from dataclasses import dataclass

from apictl.model.bundle import Bundle
from apictl.model.diagnostics import Diagnostic, error, sorted_diagnostics
from apictl.model.manifests import Environment
from apictl.model.objects import GroupKind, RenderedObject


@dataclass(frozen=True, slots=True)
class RenderResult:
    environment: str
    objects: tuple[RenderedObject, ...]
    diagnostics: tuple[Diagnostic, ...]
    owned_kinds: frozenset[GroupKind]
    """Kinds the environment's targets own: the prune scope."""


def environment_names(bundle: Bundle) -> list[str]:
    return sorted(env.metadata.name for env, _ in bundle.environments())


def render_environment(bundle: Bundle, env_name: str) -> RenderResult:
    """Render one environment. Unknown environments and targets become diagnostics."""
    from apictl.load.manifest_schema import did_you_mean
    from apictl.render.registry import targets
    from apictl.render.target import RenderContext

    found = [(env, doc) for env, doc in bundle.environments() if env.metadata.name == env_name]
    if not found:
        known = environment_names(bundle)
        return RenderResult(
            env_name,
            (),
            (
                error(
                    "ref-unknown-environment",
                    f"environment {env_name!r} does not exist",
                    None,
                    did_you_mean(env_name, known),
                ),
            ),
            frozenset(),
        )
    env, env_doc = found[0]
    registry = targets()
    objects: list[RenderedObject] = []
    diagnostics: list[Diagnostic] = []
    owned: set[GroupKind] = set()
    for role, choice in (("gateway", env.spec.gateway), ("broker", env.spec.broker)):
        if choice is None:
            continue
        target = registry.get(choice.target)
        if target is None or target.role != role:
            names = [t.name for t in registry.values() if t.role == role]
            diagnostics.append(
                error(
                    "target-unknown",
                    f"unknown {role} target {choice.target!r}",
                    env_doc.locate("spec", role, "target"),
                    did_you_mean(choice.target, names),
                )
            )
            continue
        ctx = RenderContext(bundle, env, env_doc, target.name)
        target.render(ctx)
        objects += ctx.objects
        diagnostics += ctx.diagnostics
        owned |= target.kinds
    diagnostics += _duplicates(objects)
    diagnostics += _outside_scope(objects, owned, env)
    objects.sort(key=lambda o: (o.key.group, o.key.kind, o.key.namespace, o.key.name))
    return RenderResult(env_name, tuple(objects), tuple(sorted_diagnostics(diagnostics)), frozenset(owned))


def _duplicates(objects: list[RenderedObject]) -> list[Diagnostic]:
    seen: dict[object, RenderedObject] = {}
    found = []
    for obj in objects:
        if obj.key in seen:
            found.append(
                error(
                    "render-duplicate-object",
                    f"{obj.key} would be rendered twice (also from {seen[obj.key].origin})",
                    obj.origin,
                    "rename one of the manifests so that their objects get distinct names",
                )
            )
        seen[obj.key] = obj
    return found


def _outside_scope(objects: list[RenderedObject], owned: set[GroupKind], env: Environment) -> list[Diagnostic]:
    return [
        error(
            "render-kind-not-owned",
            f"{obj.key}: target {obj.target!r} rendered a kind it does not declare",
            obj.origin,
            "this is a bug in the target: declare the kind in its `kinds`",
        )
        for obj in objects
        if obj.key.group_kind not in owned
    ]


def check_environments(bundle: Bundle) -> list[Diagnostic]:
    """Render every environment and keep only the diagnostics: what targets cannot express."""
    found: list[Diagnostic] = []
    for name in environment_names(bundle):
        found += render_environment(bundle, name).diagnostics
    return sorted_diagnostics(found)
