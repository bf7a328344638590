"""Load, validate and render an environment for render, diff, plan and apply; memoised per repository.

Any error stops the command with exit 3 before anything is printed to stdout or sent to a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from apictl.cli import diagnostics_view
from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode
from apictl.model.bundle import Bundle
from apictl.model.diagnostics import Severity, has_errors
from apictl.render import RenderResult


@dataclass(frozen=True, slots=True)
class Rendered:
    result: RenderResult
    namespace: str
    """The Environment's namespace: home of the ApplySet parent."""
    kube_context: str | None = None
    """The Environment's ``spec.kubeContext``: the kube context apply expects, if declared."""

    @property
    def environment(self) -> str:
        return self.result.environment


def render_checked(path: str, ref: str | None, env: str, *, consequence: str = "nothing was rendered") -> Rendered:
    """The rendered environment; raises CommandError (exit 3, or 2 for an unknown environment)."""
    from apictl.cli.validation import Remember, memoised

    def compute(bundle: Bundle, remember: Remember) -> Rendered:
        from apictl.load.manifest_schema import did_you_mean
        from apictl.render import environment_names, render_environment
        from apictl.validate import validate

        diagnostics = validate(bundle)
        if has_errors(diagnostics):
            diagnostics_view.print_text([d for d in diagnostics if d.severity is Severity.ERROR])
            raise CommandError(
                ExitCode.INVALID, f"{bundle.root} is invalid; {consequence}", "run `apictl validate` for every finding"
            )
        names = environment_names(bundle)
        if env not in names:
            raise CommandError(
                ExitCode.USAGE, f"environment {env!r} does not exist in {bundle.root}", did_you_mean(env, names)
            )
        result = render_environment(bundle, env)
        if has_errors(result.diagnostics):
            diagnostics_view.print_text([d for d in result.diagnostics if d.severity is Severity.ERROR])
            raise CommandError(
                ExitCode.INVALID,
                f"environment {env!r} cannot be rendered; {consequence}",
                "fix the errors above, or set `unsupported: warning` in apictl.yaml to accept gaps",
            )
        spec = next(e.spec for e, _ in bundle.environments() if e.metadata.name == env)
        return Rendered(result, spec.namespace, spec.kube_context)

    return memoised(path, ref, f"render {env}", compute)
