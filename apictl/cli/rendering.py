"""Load, validate and render an environment; stop with exit 3 (and no stdout) on any error."""

from __future__ import annotations

from apictl.cli import diagnostics_view
from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode
from apictl.cli.loading import load_and_validate
from apictl.model.diagnostics import Severity, has_errors
from apictl.render import RenderResult


def render_checked(path: str, ref: str | None, env: str) -> RenderResult:
    from apictl.render import environment_names, render_environment

    bundle, diagnostics = load_and_validate(path, ref)
    if has_errors(diagnostics):
        diagnostics_view.print_text([d for d in diagnostics if d.severity is Severity.ERROR])
        raise CommandError(
            ExitCode.INVALID,
            f"{bundle.root} is invalid; nothing was rendered",
            "run `apictl validate` for every finding",
        )
    if env not in environment_names(bundle):
        from apictl.load.manifest_schema import did_you_mean

        raise CommandError(
            ExitCode.USAGE,
            f"environment {env!r} does not exist in {bundle.root}",
            did_you_mean(env, environment_names(bundle)),
        )
    result = render_environment(bundle, env)
    if has_errors(result.diagnostics):
        diagnostics_view.print_text([d for d in result.diagnostics if d.severity is Severity.ERROR])
        raise CommandError(
            ExitCode.INVALID,
            f"environment {env!r} cannot be rendered; nothing was written",
            "fix the errors above, or set `unsupported: warning` in apictl.yaml to accept gaps",
        )
    return result
