"""Command-line options built from settings dataclasses (:mod:`emolens.fields`): a command declares its own
parameters and names the dataclasses whose option fields it also takes; their names, types, defaults and
help come from the fields, never typed again.

    @with_options(OptionGroup(TrainConfig, into="config"))
    def train(resume: bool = False, config: dict | None = None) -> None:
        TrainConfig.from_dict(config)

``config`` receives ``{field: value}`` (a nested dataclass's fields as a nested dict; paths as strings,
repeated options as tuples). With ``unset=True`` every option defaults to None, meaning "not given" (the
command then takes the environment's value or the field's default, which the help names).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

import typer

from emolens.fields import default_of, flag_of, option_fields

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class OptionGroup:
    """The option fields of ``cls`` (and of the dataclasses it nests), delivered to the parameter ``into``.

    ``unset``: options default to None ("not given") and the help names the field's default and, with
    ``env``, the environment variable of each field."""

    cls: type
    into: str
    unset: bool = False
    env: Callable[[str], str] | None = None


def _optional(hint: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (itself, False)."""
    if get_origin(hint) in (Union, UnionType) and NoneType in get_args(hint):
        rest = [a for a in get_args(hint) if a is not NoneType]
        return (rest[0] if len(rest) == 1 else Union[tuple(rest)]), True  # noqa: UP007 - built from a tuple
    return hint, False


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


@dataclass(frozen=True)
class _Option:
    """One option: the path of its field (``("augment", "rotate")``) and its parameter."""

    path: tuple[str, ...]
    parameter: inspect.Parameter


def _options(group: OptionGroup) -> list[_Option]:
    out: list[_Option] = []
    for path, f, hint in option_fields(group.cls):
        field_type, optional = _optional(hint)
        kind = f.metadata["kind"] or field_type
        default = default_of(f)
        help_text = f.metadata["help"]
        decls = [f"{flag_of(f)}/--no-{f.name.replace('_', '-')}" if kind is bool else flag_of(f)]
        decls += [f.metadata["short"]] if f.metadata["short"] else []
        if group.unset:
            if default not in (None, ()):
                help_text += f" [default: {_shown(default)}]"
            if group.env is not None:
                help_text += f" [env: {group.env(f.name)}]"
            annotation, default = kind | None, None
        else:
            annotation = kind | None if optional or get_origin(kind) is list else kind
            default = list(default) if get_origin(kind) is list else default
        parameter = inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=default,
            annotation=Annotated[annotation, typer.Option(*decls, help=help_text)],
        )
        out.append(_Option(path, parameter))
    return out


def _plain(value: Any) -> Any:
    """A command-line value as the settings field takes it: paths as strings, lists as tuples."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


def with_options(*groups: OptionGroup) -> Callable[[F], F]:
    """Decorator: add the option fields of each group's dataclass to a command's parameters (after its own)
    and pass their values to the command as one dict per group."""

    def decorate(fn: F) -> F:
        hints = get_type_hints(fn, include_extras=True)
        signature = inspect.signature(fn)
        intos = {g.into for g in groups}
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
        own = [p for p in own if p.name not in intos]
        options = {g.into: _options(g) for g in groups}
        added = [o.parameter for g in groups for o in options[g.into]]
        clash = {p.name for p in own} & {p.name for p in added}
        if clash:
            raise TypeError(f"{fn.__name__}: parameters {sorted(clash)} are also settings fields")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for into, opts in options.items():
                values: dict[str, Any] = {}
                for o in opts:
                    value = kwargs.pop(o.parameter.name, None)
                    if value is None:
                        continue
                    *parents, last = o.path
                    target = values
                    for parent in parents:
                        target = target.setdefault(parent, {})
                    target[last] = _plain(value)
                kwargs[into] = values
            return fn(*args, **kwargs)

        parameters = [p for p in own if p.kind is not inspect.Parameter.VAR_KEYWORD] + added
        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
        return wrapper  # type: ignore[return-value]

    return decorate
