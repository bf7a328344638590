"""Run the typer app and map every outcome to a documented exit code."""

from __future__ import annotations

import os
import signal
import sys

import typer

from apictl.cli.click_compat import Abort, UsageProblem
from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode


def human():  # rich loads only when there is something to say
    from apictl.cli.console import human as console

    return console()


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(app: typer.Typer, argv: list[str] | None = None) -> int:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        returned = app(args=argv, prog_name="apictl", standalone_mode=False)
        return returned if isinstance(returned, int) else ExitCode.OK
    except CommandError as exc:
        human().print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
        if exc.hint:
            human().print(f"[green]hint:[/] {exc.hint}")
        return exc.code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    except Abort:
        human().print("[yellow]interrupted[/]: stopped cleanly; re-run the command to converge")
        return ExitCode.INTERRUPTED
    except UsageProblem as exc:
        show = getattr(exc, "show", None)
        if show is not None:
            show(file=sys.stderr)
        else:
            print(f"Error: {exc.format_message()}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        human().print("[yellow]interrupted[/]: stopped cleanly; re-run the command to converge")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # a bug: say so, no traceback unless --debug
        if os.environ.get("APICTL_DEBUG"):
            raise
        human().print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}")
        human().print("[green]hint:[/] re-run with --debug and report the output")
        return ExitCode.INTERNAL
