"""apictl schema: write a JSON Schema per manifest kind, for editors and CI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)


def schema(
    out_dir: str = typer.Option("schemas", "--out-dir", help="Directory to write <Kind>.json files into."),
    check: bool = typer.Option(False, "--check", help="Do not write; exit 3 if the files on disk are stale."),
) -> None:
    """Generate JSON Schemas (one per kind) from the manifest models."""
    from pathlib import Path

    from apictl.cli.console import human
    from apictl.cli.exit_codes import ExitCode
    from apictl.model.json_schemas import kind_schemas

    target = Path(out_dir)
    stale = []
    for kind, text in kind_schemas().items():
        file = target / f"{kind}.json"
        if check:
            if not file.is_file() or file.read_text(encoding="utf-8") != text:
                stale.append(str(file))
        else:
            target.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
            human().print(f"wrote {file}")
    if stale:
        human().print(f"[red]stale:[/] {', '.join(stale)}; run `apictl schema --out-dir {out_dir}`")
        raise typer.Exit(ExitCode.INVALID)
