"""The `envoy-gateway` target (being built)."""

from __future__ import annotations

from dataclasses import dataclass

from apictl.model.objects import GroupKind
from apictl.render.target import RenderContext, Role


@dataclass(frozen=True)
class _Target:
    name: str = "envoy-gateway"
    role: Role = "gateway"
    kinds: frozenset[GroupKind] = frozenset()

    def render(self, ctx: RenderContext) -> None:
        return None


TARGET = _Target()
