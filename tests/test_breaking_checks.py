"""The check table (apictl/validate/breaking/checks.py) matches what the checks emit."""

from __future__ import annotations

from pathlib import Path

import yaml

from apictl.validate.breaking.checks import ASYNCAPI, CHECKS, MANIFESTS, OPENAPI

CASES = Path(__file__).parent / "cases" / "breaking"


def test_ids_are_unique_kebab_case() -> None:
    assert len(CHECKS) == len(OPENAPI) + len(ASYNCAPI) + len(MANIFESTS)
    for check, (levels, text) in CHECKS.items():
        assert check == check.lower() and " " not in check
        assert set(levels) <= {"error", "warning", "info"} and text.endswith(".")


def test_corpus_levels_match_the_table() -> None:
    for path in sorted(CASES.glob("*.yaml")):
        for found in yaml.safe_load(path.read_text(encoding="utf-8"))["expect"] or []:
            assert found["id"] in CHECKS, f"{path.name}: {found['id']} is not in the check table"
            assert found["level"] in CHECKS[found["id"]][0], f"{path.name}: {found['id']} at {found['level']}"


def test_sarif_rules_use_the_descriptions() -> None:
    import json

    from apictl.cli.ci_formats.sarif import sarif_log
    from apictl.model.diagnostics import Severity
    from apictl.validate.breaking.checks import descriptions
    from apictl.validate.breaking.findings import finding

    log = json.loads(sarif_log([finding("channel-removed", Severity.ERROR, "m", None)], descriptions=descriptions()))
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["shortDescription"]["text"] == "A channel (address) was removed."
