"""The repository's ``apictl.yaml``: governance rule severities and target strictness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
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

    @field_validator("rules", mode="before")
    @classmethod
    def _yaml_off_is_false(cls, value: object) -> object:
        """YAML 1.1 reads a bare `off` as false; accept it as the level it was meant to be."""
        if isinstance(value, dict):
            return {k: "off" if v is False else v for k, v in value.items()}
        return value

    def level(self, rule: str) -> RuleLevel:
        return self.rules.get(rule, GOVERNANCE_DEFAULTS.get(rule, "error"))
