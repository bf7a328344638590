"""The command-line shell: the only package that prints, prompts or exits.

Heavy libraries (kubernetes, the spec validators, gitpython) are imported inside commands so that
`apictl --help` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

from apictl import __version__

app = typer.Typer(
    name="apictl",
    help="Manage REST and event APIs as code: validate, render, diff and apply them to Kubernetes gateways and brokers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"apictl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", envvar="APICTL_DEBUG", help="Show tracebacks of unexpected errors."),
) -> None:
    """apictl: APIs as code for Kubernetes gateways and brokers."""
    if debug:
        os.environ["APICTL_DEBUG"] = "1"


_registered = False


def _register() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    from apictl.cli.commands import (
        apply,
        asyncapi_schemas,
        breaking,
        catalog,
        diff,
        plan,
        rbac,
        render,
        schema,
        validate,
    )

    for module in (validate, render, diff, plan, apply, rbac, schema, asyncapi_schemas, breaking, catalog):
        module.register(app)


def invoke(argv: list[str]) -> int:
    """Run apictl with ``argv`` in this process and return the exit code (used by tests)."""
    from apictl.cli.run import run

    _register()
    return run(app, argv)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """The console script. SIGTERM behaves like Ctrl-C from the first instruction on, so an
    interruption at any moment (even while modules load) exits 130, never with a traceback."""
    import signal

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = invoke(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: stopped cleanly; re-run the command to converge\n")
        code = 130
    sys.exit(code)
