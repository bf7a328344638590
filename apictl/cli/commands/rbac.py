"""apictl rbac: the least-privilege Role(s) apictl needs to diff, plan and apply one environment."""

from __future__ import annotations

from enum import StrEnum

import typer

from apictl.cli import options


class RbacOutput(StrEnum):
    yaml = "yaml"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("rbac")(rbac)


def rbac(
    path: str = options.PATH,
    env: str = options.ENV,
    ref: str | None = options.REF,
    output: RbacOutput = typer.Option(
        RbacOutput.yaml,
        "--output",
        "-o",
        help="yaml (a stream with an example binding in comments) or json (a v1 List).",
    ),
) -> None:
    """Print the RBAC Role(s) `apictl diff/plan/apply --env ENV` needs, and nothing more (no cluster needed).

    One Role per namespace the environment renders into, with get/list/create/patch/delete on the
    kinds its targets own; the ApplySet parent ConfigMap and the lock Lease by name. Bind it to the
    identity your CI uses (see docs/rbac.md).
    """
    import json

    from apictl.cli.console import data, human
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.rendering import render_checked
    from apictl.reconcile.rbac import example_bindings, manifests
    from apictl.render.plurals import UnknownResource, resource

    rendered = render_checked(path, ref, env, consequence="no role was printed")
    namespaces = {o.key.namespace for o in rendered.result.objects if o.key.namespace}
    try:
        roles = manifests(
            environment=env,
            namespace=rendered.namespace,
            namespaces=namespaces,
            owned=rendered.result.owned_kinds,
            resource=resource,
        )
    except UnknownResource as exc:
        raise CommandError(ExitCode.INTERNAL, str(exc)) from None
    if output is RbacOutput.json:
        data(json.dumps({"apiVersion": "v1", "kind": "List", "items": roles}, indent=2))
    else:
        data(_yaml(env, roles, example_bindings(roles)))
    where = ", ".join(r["metadata"].get("namespace", "(cluster)") for r in roles)
    human().print(f"[green]✓[/] {len(roles)} role(s) for environment {env!r}: {where}")
    raise typer.Exit(ExitCode.OK)


def _yaml(env: str, roles: list[dict], bindings: list[dict]) -> str:
    import yaml

    def dump(doc: dict) -> str:
        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)

    example = "".join("# ---\n" + "".join(f"# {line}\n" for line in dump(b).splitlines()) for b in bindings)
    header = (
        f"# The least privilege `apictl diff/plan/apply --env {env}` needs (apictl rbac; docs/rbac.md).\n"
        "# Bind it to the identity apictl runs as, for example (edit the subject):\n"
        f"{example}"
    )
    return header + "---\n" + "---\n".join(dump(r) for r in roles)
