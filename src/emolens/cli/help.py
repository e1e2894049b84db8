"""How ``emolens ... --help`` reads: click-style placeholders, flags without one, help text shown as written.

Typer shows a parameter's Python type in angle brackets (``<int>``, ``<list[str]>``, even ``<bool>`` for
flags that take no value), wraps required arguments in braces (``{paths}...``) and reads help text as
Rich markup, so a ``[default: ...]`` in it vanished. :class:`HelpGroup`, the class of the ``emolens``
group, gives every command below it placeholders as click writes them (``INTEGER``, ``PATH``, ``TEXT``,
``browser|window|none``), none for flags, arguments named ``PATHS...`` / ``[MODEL]``, and help text
escaped so that brackets show. It builds on the parameter classes of Typer 0.29 (``pyproject.toml``
keeps typer below 0.30; ``tests/test_cli_output.py`` checks every command's help).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, get_args

from rich.markup import escape
from typer import Context
from typer.core import TyperArgument, TyperGroup, TyperOption

#: The placeholder of each value type, as click names them.
PLACEHOLDERS: dict[Any, str] = {int: "INTEGER", float: "FLOAT", str: "TEXT", bool: "BOOLEAN", Path: "PATH"}


def placeholder(param: TyperOption | TyperArgument) -> str:
    """What a parameter's value looks like: its choices (``a|b|c``) or its type (``INTEGER``, ``PATH``...)."""
    described = param.type_descriptor
    if (choices := described.choices) is not None:
        return "|".join(str(c.value if isinstance(c, Enum) else c) for c in choices)
    kind = get_args(described.annotation)[0] if described.is_list else described.annotation
    return "PATH" if described.is_path else PLACEHOLDERS.get(kind, getattr(kind, "__name__", str(kind)).upper())


class _Option(TyperOption):
    """An option shown with a placeholder for its value, or none when it is a flag."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        return self.metavar or placeholder(self)


class _Argument(TyperArgument):
    """An argument shown as ``NAME`` (``NAME...`` when it takes several), ``[NAME]`` in the usage when optional."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return placeholder(self)

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [self.display_name_raw if self.required else f"[{self.display_name_raw}]"]


def _readable_param(param: Any) -> None:
    """Give a Typer parameter a readable placeholder and literal help text; nothing for one done already."""
    if type(param) is TyperOption:
        param.__class__ = _Option
    elif type(param) is TyperArgument:
        param.__class__ = _Argument
        if param.metavar is None:
            param.metavar = param.name.upper() + ("..." if param.nargs != 1 else "")
    else:
        return
    param.help = param.help and escape(param.help)


def _plain(text: str) -> str:
    """A docstring as help shows it: each paragraph on one line (Rich keeps single line breaks), escaped."""
    return escape("\n\n".join(" ".join(paragraph.split()) for paragraph in text.split("\n\n")))


def make_readable(command: Any) -> None:
    """Give ``command``, and every command below it, readable placeholders and literal help text."""
    command.help = command.help and _plain(command.help)
    for param in [*command.params, command.get_help_option(Context(command))]:
        _readable_param(param)
    for sub in getattr(command, "commands", {}).values():
        make_readable(sub)


class HelpGroup(TyperGroup):
    """The class of the ``emolens`` group: its commands, and those of its sub-groups, get readable help."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        make_readable(self)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:  # also those Typer adds after __init__ (shell completion)
            _readable_param(param)
        return params
