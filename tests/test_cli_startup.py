"""`apictl --help` stays light: no kubernetes client, no spec validators, no git."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("kubernetes", "openapi_spec_validator", "jsonschema", "git", "pydantic")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['apictl', '--help']\n"
        "from apictl.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Commands" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
