"""CI outputs: golden files for markdown and github, SARIF checked against the SARIF 2.1.0 object model.

The object model is the published ``sarif-om`` package (classes generated from the SARIF 2.1.0
schema by ``jschema-to-python``): every object of apictl's SARIF must be one of its classes, with
only the properties that class declares and all the ones it requires, and must serialize back
with ``jschema_to_python.to_json`` to the same document.
Regenerate goldens with APICTL_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from apictl_cli import EXAMPLE, run
from test_breaking_cli import acceptance_changes

from apictl.cli.ci_formats import github, markdown, sarif
from apictl.model.diagnostics import Diagnostic, Severity
from apictl.model.source import SourceLocation
from apictl.validate.breaking.findings import Finding, finding

GOLDEN = Path(__file__).parent / "golden" / "ci"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("APICTL_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; APICTL_UPDATE_GOLDEN=1 regenerates it"


@pytest.fixture(scope="module")
def acceptance(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    """The acceptance scenario's findings, with stable relative paths (api/...)."""
    from apictl.load.bundle_loader import load_bundle
    from apictl.validate.breaking import compare

    root = tmp_path_factory.mktemp("acceptance")
    bundles = []
    for side in ("base", "head"):
        shutil.copytree(EXAMPLE, root / side / "api")
        if side == "head":
            acceptance_changes(root / side / "api")
        cwd = os.getcwd()
        os.chdir(root / side)
        try:
            bundles.append(load_bundle("api"))
        finally:
            os.chdir(cwd)
    return compare(*bundles)


DIAGNOSTICS = [
    Diagnostic(
        "schema-unknown-field",
        Severity.ERROR,
        "API 'orders': unknown field 'basepath' in spec",
        SourceLocation("api/apis/orders.yaml", 10, 3),
        "did you mean 'basePath'?",
    ),
    Diagnostic(
        "owner-required",
        Severity.WARNING,
        "API 'orders' has no owner, 100% anonymous: who answers for it?",
        SourceLocation("api/apis/orders.yaml", 6, 3),
    ),
    Diagnostic("asyncapi-schema-unavailable", Severity.INFO, "the AsyncAPI schemas are not installed", None),
]


# --- markdown -------------------------------------------------------------------------------------


def test_markdown_breaking_golden(acceptance: list[Finding]) -> None:
    text = markdown.findings_comment(
        acceptance,
        base="main (0123456789ab)",
        head="the working tree",
        failing=4,
        fail_on="error",
        command="apictl breaking api --base main",
    )
    golden("breaking.md", text)
    assert text.index("Affected applications") < text.index("<details>")  # the summary comes first


def test_markdown_no_findings_golden() -> None:
    text = markdown.findings_comment([], base="main", head="feature", failing=0, fail_on="error", command="x")
    golden("breaking-none.md", text)


def test_markdown_validate_golden() -> None:
    golden("validate.md", markdown.diagnostics_comment(DIAGNOSTICS, root="api", valid=False, manifests=3))


def test_markdown_fits_in_one_comment_and_says_what_it_left_out() -> None:
    many = [
        finding(
            "response-optional-property-removed",
            Severity.WARNING,
            f"API big@1.0.0: GET /things/{i}: removed the optional property 'p{i}' | with a pipe <b>",
            SourceLocation("api/definitions/big.yaml", i + 1, 5),
            affected=(("dev", (f"app-{i % 7}",)),),
        )
        for i in range(3000)
    ]
    text = markdown.findings_comment(
        many, base="main", head="feature", failing=0, fail_on="error", command="apictl breaking api --base main"
    )
    assert len(text) <= markdown.LIMIT
    assert text.startswith("### ⚠️ apictl breaking: 0 errors, 3000 warnings")
    shown = text.count("| ⚠️ warning |")
    assert 0 < shown < 3000
    assert f"**{3000 - shown} more rows not shown**" in text
    assert "Run `apictl breaking api --base main -o json` for all." in text
    assert text.rstrip().endswith("for all.")
    assert "</details>" in text
    assert "\\| with a pipe &lt;b&gt;" in text  # cells stay cells


# --- github ---------------------------------------------------------------------------------------


def test_github_breaking_golden(acceptance: list[Finding]) -> None:
    golden("breaking.github.txt", github.annotations(acceptance, tool="apictl breaking"))


def test_github_validate_golden() -> None:
    golden("validate.github.txt", github.annotations(DIAGNOSTICS, tool="apictl validate"))


def test_github_escaping() -> None:
    item = finding(
        "x-y",
        Severity.ERROR,
        "100% broken:\nline two, really",
        SourceLocation("dir,with:odd/file%.yaml", 3, 7),
        hint="a\r\nb",
    )
    assert github.annotation(item) == (
        "::error file=dir%2Cwith%3Aodd/file%25.yaml,line=3,col=7,title=apictl%3A x-y"
        "::100%25 broken:%0Aline two, really%0AHint: a%0D%0Ab"
    )
    assert github.annotations([]) == ""


# --- SARIF ----------------------------------------------------------------------------------------


def _object_model() -> dict:
    import sarif_om

    return {
        (sarif_om.SarifLog, "runs"): sarif_om.Run,
        (sarif_om.Run, "tool"): sarif_om.Tool,
        (sarif_om.Run, "results"): sarif_om.Result,
        (sarif_om.Run, "automationDetails"): sarif_om.RunAutomationDetails,
        (sarif_om.Tool, "driver"): sarif_om.ToolComponent,
        (sarif_om.ToolComponent, "rules"): sarif_om.ReportingDescriptor,
        (sarif_om.ReportingDescriptor, "shortDescription"): sarif_om.MultiformatMessageString,
        (sarif_om.ReportingDescriptor, "defaultConfiguration"): sarif_om.ReportingConfiguration,
        (sarif_om.Result, "message"): sarif_om.Message,
        (sarif_om.Result, "locations"): sarif_om.Location,
        (sarif_om.Location, "physicalLocation"): sarif_om.PhysicalLocation,
        (sarif_om.PhysicalLocation, "artifactLocation"): sarif_om.ArtifactLocation,
        (sarif_om.PhysicalLocation, "region"): sarif_om.Region,
    }


def _build(cls: type, data: dict, model: dict, where: str = "$") -> object:
    """An instance of the sarif-om class ``cls`` from JSON: unknown properties and missing required ones fail."""
    import attr

    fields = {f.metadata["schema_property_name"]: f for f in attr.fields(cls)}
    unknown = set(data) - set(fields)
    assert not unknown, f"{where}: {cls.__name__} has no properties {sorted(unknown)}"
    kwargs = {}
    for key, value in data.items():
        nested = model.get((cls, key))
        if nested is not None and isinstance(value, list):
            value = [_build(nested, item, model, f"{where}.{key}[{i}]") for i, item in enumerate(value)]
        elif nested is not None:
            value = _build(nested, value, model, f"{where}.{key}")
        elif isinstance(value, dict) and key != "properties":
            raise AssertionError(f"{where}.{key}: no object-model class mapped")
        kwargs[fields[key].name] = value
    return cls(**kwargs)  # attrs raises TypeError when a required property is missing


def check_sarif(text: str) -> dict:
    from jschema_to_python.to_json import to_json
    from sarif_om import SarifLog

    model = _object_model()
    document = json.loads(text)
    log = _build(SarifLog, document, model)
    again = json.loads(to_json(log))
    assert to_json(_build(SarifLog, again, model)) == to_json(log)
    assert again["version"] == document["version"] and len(again["runs"]) == len(document["runs"])
    assert document["version"] == "2.1.0"
    [run_] = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    for result in run_["results"]:
        assert result["level"] in {"none", "note", "warning", "error"}
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        for location in result.get("locations", []):
            physical = location["physicalLocation"]
            assert not physical["artifactLocation"]["uri"].startswith("/")
            assert physical.get("region", {"startLine": 1})["startLine"] >= 1
    return document


def test_sarif_breaking_fits_the_object_model(acceptance: list[Finding]) -> None:
    from apictl.validate.breaking.checks import descriptions

    document = check_sarif(sarif.sarif_log(acceptance, category="apictl-breaking", descriptions=descriptions()))
    results = document["runs"][0]["results"]
    assert len(results) == len(acceptance) == 4
    lowered = next(r for r in results if r["ruleId"] == "plan-limit-lowered")
    assert lowered["level"] == "error"
    assert lowered["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "api/plans/gold.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 8, "startColumn": 3},
    }
    assert lowered["properties"] == {"affectedApplications": {"dev": ["fixit-maintenance"]}}
    assert document["runs"][0]["automationDetails"] == {"id": "apictl-breaking/"}


def test_sarif_validate_fits_the_object_model() -> None:
    document = check_sarif(sarif.sarif_log(DIAGNOSTICS, category="apictl-validate"))
    levels = [r["level"] for r in document["runs"][0]["results"]]
    assert levels == ["error", "warning", "note"]
    assert "locations" not in document["runs"][0]["results"][2]


def test_sarif_catches_what_is_not_sarif() -> None:
    broken = json.loads(sarif.sarif_log(DIAGNOSTICS))
    broken["runs"][0]["results"][0]["severity"] = "high"
    with pytest.raises(AssertionError, match="Result has no properties"):
        check_sarif(json.dumps(broken))
    del broken["runs"][0]["results"][0]["severity"]
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(TypeError):
        check_sarif(json.dumps(broken))


# --- the commands ---------------------------------------------------------------------------------


def test_validate_text_and_json_unchanged(capsys) -> None:
    """-o text / -o json keep their exact shape; the CI formats are new choices."""
    valid = run(capsys, "validate", str(EXAMPLE))
    assert valid.code == 0 and valid.stdout == "" and "manifests valid" in valid.stderr
    as_json = run(capsys, "validate", str(EXAMPLE), "-o", "json")
    assert list(as_json.json()) == ["valid", "root", "revision", "errors", "warnings", "infos", "diagnostics"]


@pytest.mark.parametrize("fmt", ["github", "sarif", "markdown"])
def test_validate_ci_formats(capsys, fmt: str) -> None:
    invalid = EXAMPLE.parent / "invalid" / "unknown-field"
    result = run(capsys, "validate", str(invalid), "-o", fmt)
    assert result.code == 3
    assert "schema-unknown-field" in result.stdout
    if fmt == "sarif":
        check_sarif(result.stdout)
    if fmt == "github":
        assert result.stdout.startswith("::error file=")
