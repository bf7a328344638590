"""apictl asyncapi-schemas: install or locate the official AsyncAPI JSON Schemas."""

from __future__ import annotations

import typer

group = typer.Typer(help="Manage the official AsyncAPI JSON Schemas used by `apictl validate`.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="asyncapi-schemas")


@group.command("fetch")
def fetch() -> None:
    """Fetch @asyncapi/specs with npm into ~/.cache/apictl (pinned version, integrity-checked by npm)."""
    from apictl.cli.console import human
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.load.asyncapi_schemas import SPECS_PACKAGE, SPECS_VERSION, FetchError
    from apictl.load.asyncapi_schemas import fetch as do_fetch

    try:
        where = do_fetch()
    except FetchError as exc:
        raise CommandError(ExitCode.USAGE, str(exc), "or set APICTL_ASYNCAPI_SCHEMAS to an unpacked copy") from None
    human().print(f"[green]✓[/] {SPECS_PACKAGE}@{SPECS_VERSION} schemas in {where}")
