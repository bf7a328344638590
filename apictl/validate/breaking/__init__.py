"""Breaking changes between two revisions of a repository, with the applications they affect.

``compare(base, head)`` checks each API's definition (OpenAPI: oasdiff's rule ids; AsyncAPI) and the
manifests (plans, lifecycle, restrictions, security, routing). Both bundles should be valid.
"""

from __future__ import annotations

from apictl.model.bundle import Bundle
from apictl.validate.breaking.findings import Finding, deduplicated


def compare(base: Bundle, head: Bundle) -> list[Finding]:
    from apictl.validate.breaking import asyncapi, manifests, openapi
    from apictl.validate.breaking.impact import Impact
    from apictl.validate.breaking.pairing import paired_apis

    impact = Impact.of(base)
    found: list[Finding] = []
    for old, new in paired_apis(base, head):
        if new is None or old.api.spec.type != new.api.spec.type:
            continue  # reported by the manifest checks
        base_definition, head_definition = base.definition_for(old.api), head.definition_for(new.api)
        if base_definition is None or head_definition is None:
            continue
        if base_definition.format in ("openapi", "swagger") and head_definition.format in ("openapi", "swagger"):
            affected = impact.subscribers(old.name, old.version)
            found += openapi.compare(base_definition, head_definition, old.label, affected)
        elif base_definition.format == "asyncapi" and head_definition.format == "asyncapi":
            found += asyncapi.compare(base_definition, head_definition, old, impact)
    found += manifests.compare(base, head, impact)
    return deduplicated(found)


__all__ = ["Finding", "compare"]
