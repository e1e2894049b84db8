"""Renamed command-line options keep their old spelling for one release: the ``emolens`` group rewrites
an old flag to its new name before the command parses it, with a warning on stderr.

:data:`RENAMED_OPTIONS` is the one list of them (the README lists them too).
"""

from __future__ import annotations

from typing import Any

import click

from emolens.cli.help import HelpGroup
from emolens.deprecation import rename_warning

#: Old flag -> new flag, per command.
RENAMED_OPTIONS: dict[str, dict[str, str]] = {
    "analyze": {"--threshold": "--score-threshold"},
    "serve": {"--threshold": "--score-threshold"},
    "batch": {"--threshold": "--score-threshold"},
    "video": {"--json": "--summary-json"},
    "webcam": {"--json": "--summary-json"},
}


def rename_args(command: str, args: list[str]) -> list[str]:
    """``args`` of ``command`` with each renamed flag (``--old`` or ``--old=value``) under its new name; the
    arguments after ``--`` are left as they are."""
    renames = RENAMED_OPTIONS.get(command, {})
    out: list[str] = []
    for k, arg in enumerate(args):
        if arg == "--":
            return out + args[k:]
        flag, eq, value = arg.partition("=")
        if flag in renames:
            click.echo(f"warning: {rename_warning(flag, renames[flag])}", err=True)
            arg = renames[flag] + eq + value
        out.append(arg)
    return out


class EmolensGroup(HelpGroup):
    """The ``emolens`` group: readable help (:class:`HelpGroup`) and the old spellings of renamed options."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        return name, command, rename_args(name or "", rest)
