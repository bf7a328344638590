"""Command-line options for commands that talk to a cluster (kubectl's names and meanings)."""

from __future__ import annotations

import typer

KUBECONFIG = typer.Option(
    None,
    "--kubeconfig",
    help="Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account).",
)
CONTEXT = typer.Option(None, "--context", help="The kubeconfig context to use (default: its current-context).")
CONCURRENCY = typer.Option(8, "--concurrency", min=1, max=64, help="How many API requests may run at once.")
REQUEST_TIMEOUT = typer.Option(
    60.0, "--request-timeout", min=1.0, help="Seconds one API request may take before it is retried."
)
FORCE_CONFLICTS = typer.Option(
    False,
    "--force-conflicts",
    help="Take ownership of fields other field managers own (server-side apply force). Default: fail on conflicts.",
)
