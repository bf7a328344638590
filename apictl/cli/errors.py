"""The exception the shell turns into a message and an exit code."""

from __future__ import annotations

from apictl.cli.exit_codes import ExitCode


class CommandError(Exception):
    def __init__(self, code: ExitCode, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
