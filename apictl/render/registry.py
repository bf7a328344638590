"""The targets apictl knows, registered explicitly (no discovery by subclassing)."""

from __future__ import annotations

from apictl.render.target import Target


def targets() -> dict[str, Target]:
    from apictl.render.targets import envoy_gateway, rabbitmq, strimzi

    found: dict[str, Target] = {}
    for target in (envoy_gateway.TARGET, rabbitmq.TARGET, strimzi.TARGET):
        if target.name in found:
            raise RuntimeError(f"two render targets are named {target.name!r}")
        found[target.name] = target
    return found
