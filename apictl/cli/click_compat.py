"""The usage-error base class of whichever click typer runs on (typer >= 0.2x vendors click)."""

from typer import Abort

try:
    from typer.exceptions import TyperException as UsageProblem
except ImportError:  # older typer on top of click
    from click.exceptions import ClickException as UsageProblem  # type: ignore[no-redef]

__all__ = ["Abort", "UsageProblem"]
