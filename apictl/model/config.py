"""The repository's ``apictl.yaml``: governance rule severities and target strictness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

RuleLevel = Literal["error", "warning", "off"]

GOVERNANCE_DEFAULTS: dict[str, RuleLevel] = {
    "owner-required": "error",
    "semantic-version": "warning",
    "operation-id-required": "warning",
    "deprecated-needs-sunset": "error",
    "no-plaintext-secrets": "error",
}


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    rules: dict[str, RuleLevel] = Field(default_factory=dict)
    """Governance rule -> error | warning | off. Unlisted rules keep their defaults."""
    unsupported: Literal["error", "warning"] = "error"
    """What to do when a target cannot express something a manifest says."""

    def level(self, rule: str) -> RuleLevel:
        return self.rules.get(rule, GOVERNANCE_DEFAULTS.get(rule, "error"))
