"""apictl catalog: Backstage entities for REST and event APIs of one environment."""

from __future__ import annotations

import json

import yaml
from apictl_cli import EXAMPLE, copy_example, run


def entities(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def test_assetco_dev_entities(capsys) -> None:
    result = run(capsys, "catalog", str(EXAMPLE), "--env", "dev")
    assert result.code == 0, result.stderr
    found = entities(result.stdout)
    apis = {e["metadata"]["name"]: e for e in found if e["kind"] == "API"}
    assert set(apis) == {"asset-events", "assets", "maintenance"}
    for entity in found:
        assert entity["apiVersion"] == "backstage.io/v1alpha1"
        assert entity["spec"]["system"] == "assetco"
    events, assets = apis["asset-events"], apis["assets"]
    assert events["spec"]["type"] == "asyncapi" and assets["spec"]["type"] == "openapi"
    assert assets["spec"]["lifecycle"] == "production"
    assert assets["spec"]["owner"] == "team-asset-registry"
    assert assets["metadata"]["title"] == "AssetCo Assets API"
    assert assets["metadata"]["links"] == [
        {"url": "https://api.dev.assetco.example/assets", "title": "dev: api.dev.assetco.example"}
    ]
    # the definition is inlined, byte for byte
    assert assets["spec"]["definition"] == (EXAMPLE / "definitions" / "assets.openapi.yaml").read_text()
    assert yaml.safe_load(events["spec"]["definition"])["asyncapi"] == "3.0.0"
    components = {e["metadata"]["name"]: e for e in found if e["kind"] == "Component"}
    assert components["fixit-maintenance"]["spec"]["consumesApis"] == [
        "api:asset-events",
        "api:assets",
        "api:maintenance",
    ]
    assert components["swift-repair"]["spec"]["consumesApis"] == ["api:asset-events", "api:assets"]
    assert components["swift-repair"]["spec"]["owner"] == "swift-platform"


def test_json_output_and_system_option(capsys) -> None:
    result = run(capsys, "catalog", str(EXAMPLE), "--env", "prod", "-o", "json", "--system", "Asset Platform")
    assert result.code == 0
    found = json.loads(result.stdout)
    assert {e["spec"]["system"] for e in found} == {"asset-platform"}
    assets = next(e for e in found if e["metadata"]["name"] == "assets")
    assert assets["metadata"]["links"][0]["url"] == "https://api.assetco.example/assets"


def test_lifecycle_mapping(tmp_path, capsys) -> None:
    repo = copy_example(tmp_path)
    apis = repo / "apis"
    (apis / "assets.yaml").write_text(
        (apis / "assets.yaml")
        .read_text()
        .replace(
            "  environments: [dev, prod]\n",
            "  environments: [dev, prod]\n  lifecycle: {state: deprecated, sunset: 2099-01-31}\n",
        )
    )
    (apis / "maintenance.yaml").write_text(
        (apis / "maintenance.yaml")
        .read_text()
        .replace(
            "  environments: [dev, prod]\n",
            "  environments: [dev, prod]\n  lifecycle: {state: retired, sunset: 2020-01-31}\n",
        )
    )
    events = apis / "asset-events.yaml"
    events.write_text(
        events.read_text().replace(
            "metadata:\n  name: asset-events\n",
            "metadata:\n  name: asset-events\n  labels: {apictl.io/system: telemetry}\n",
        )
    )
    result = run(capsys, "catalog", str(repo), "--env", "dev")
    assert result.code == 0, result.stderr
    apis_found = {e["metadata"]["name"]: e["spec"] for e in entities(result.stdout) if e["kind"] == "API"}
    assert set(apis_found) == {"assets", "asset-events"}  # retired APIs answer 410: not in the catalog
    assert apis_found["assets"]["lifecycle"] == "deprecated"
    assert apis_found["asset-events"]["system"] == "telemetry"


def test_unknown_environment_and_invalid_repository(tmp_path, capsys) -> None:
    unknown = run(capsys, "catalog", str(EXAMPLE), "--env", "stage")
    assert unknown.code == 2 and unknown.stdout == ""
    assert "environment 'stage' does not exist" in unknown.stderr
    repo = copy_example(tmp_path)
    (repo / "apis" / "assets.yaml").write_text(
        (repo / "apis" / "assets.yaml").read_text().replace("basePath", "basepath")
    )
    invalid = run(capsys, "catalog", str(repo), "--env", "dev")
    assert invalid.code == 3 and invalid.stdout == ""
