"""Settings fields that describe their own command-line option: one source for a setting's name, type,
default and help, from which ``emolens.cli.options`` builds the options of ``emolens train`` and ``emolens
serve`` and from which a model card writes the command that trained a model.

    @dataclass(frozen=True)
    class TrainConfig:
        lr: float = option(3e-3, "Peak learning rate.")
        teachers: tuple[str, ...] = option((), "Checkpoint(s) to distil from.", flag="--teacher", kind=list[Path])

A field made with :func:`option` is an option named after it (``--lr``) unless ``flag`` says otherwise;
``kind`` is the option's type where the command line takes another than the field (a path for a string, a
repeated option for a tuple). Fields made without it are not options.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import MISSING, Field, field, fields, is_dataclass
from typing import Any, get_type_hints


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    flag: str | None = None,
    short: str | None = None,
    kind: Any = None,
    **kwargs: Any,
) -> Any:
    """A dataclass field with ``default`` that is also a command-line option with ``help`` (and the one-letter
    alias ``short``, e.g. ``-m``)."""
    return field(default=default, metadata={"help": help, "flag": flag, "short": short, "kind": kind}, **kwargs)


def is_option(f: Field[Any]) -> bool:
    """Whether the field was made with :func:`option`."""
    return "help" in f.metadata


def default_of(f: Field[Any]) -> Any:
    """The field's default value (made by its factory where it has one)."""
    return f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]


def option_fields(cls: type, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Field[Any], Any]]:
    """Every option field of the dataclass ``cls`` and of the dataclasses it nests, in field order: its path
    (``("augment", "rotate")``), the field and its type."""
    hints = get_type_hints(cls)
    for f in fields(cls):
        if is_dataclass(hints[f.name]):
            yield from option_fields(hints[f.name], (*path, f.name))
        elif is_option(f):
            yield (*path, f.name), f, hints[f.name]


def help_of(cls: type, name: str) -> str:
    """The help of the option field ``name`` of the dataclass ``cls`` (for a command that takes the same value)."""
    return next(f.metadata["help"] for f in fields(cls) if f.name == name)


def flag_of(f: Field[Any]) -> str:
    """The option's flag: ``--lr``; ``--votes-weight`` for ``votes_weight``; ``flag`` where given."""
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")
