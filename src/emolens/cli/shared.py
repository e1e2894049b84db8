"""What every ``emolens`` command shares: the Typer app, the consoles, error lines, progress bars, option help.

User errors (:class:`EmolensError`) are printed as one red line naming the input, without a
traceback, and exit with status 2; so is a command whose extra is not installed (see
:mod:`emolens.extras`). Text that comes from the user or the data (paths, file names, messages) is
never read as Rich markup, so brackets in it show. When the output is not a terminal, tables and lines
are not cut to a width.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from emolens.cli.renamed import EmolensGroup
from emolens.detection.base import DETECTOR_HELP, MAX_SIDE_HELP, MIN_FACE_HELP, MIN_SIDE_HELP, SCORE_THRESHOLD_HELP
from emolens.errors import EmolensError
from emolens.paths import DATA_HELP
from emolens.runtime.bundled import MODEL_HELP

F = TypeVar("F", bound=Callable[..., Any])

#: The width of output that is not a terminal (a pipe, a file, a CI log): wide enough never to cut a table.
UNCUT_WIDTH = 10_000

MaxSideOption = Annotated[int, typer.Option(help=MAX_SIDE_HELP)]
MinSideOption = Annotated[int, typer.Option(help=MIN_SIDE_HELP)]

app = typer.Typer(
    cls=EmolensGroup,
    help="Find faces and tell what each one feels.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _console(stderr: bool, markup: bool) -> Console:
    """A console as wide as the terminal, or :data:`UNCUT_WIDTH` when its output is not one."""
    console = Console(stderr=stderr, markup=markup, soft_wrap=stderr)
    if not console.is_terminal:
        console.width = UNCUT_WIDTH
    return console


#: Results (tables, paths): nothing printed on it is read as markup; style with :class:`Text`.
console = _console(stderr=False, markup=False)
#: Progress, status and errors; print text from users or data with :func:`print_error` or as :class:`Text`.
err_console = _console(stderr=True, markup=True)

ModelOption = Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)]
DetectorOption = Annotated[str, typer.Option(help=DETECTOR_HELP)]
ScoreThresholdOption = Annotated[float | None, typer.Option(help=SCORE_THRESHOLD_HELP)]
MinFaceOption = Annotated[int, typer.Option(help=MIN_FACE_HELP)]
ThreadsOption = Annotated[int | None, typer.Option(help="CPU threads (default: all cores).")]
DataOption = Annotated[Path | None, typer.Option(help=DATA_HELP)]


def print_error(message: object, label: str = "error:", style: str = "bold red") -> None:
    """One line on stderr: ``label`` in ``style``, then ``message`` as plain text (brackets in it show)."""
    err_console.print(Text.assemble((label, style), " ", str(message)))


def friendly(fn: F) -> F:
    """Turn :class:`EmolensError` into a one-line message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EmolensError as exc:
            print_error(exc)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print(Text("interrupted", "yellow"))
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def progress_bar(transient: bool = False) -> Progress:
    """The progress bar used by long commands (ETA, counts); drawn on stderr only in a terminal."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        TextColumn("{task.fields[status]}", markup=False), console=err_console, transient=transient, disable=not err_console.is_terminal,
    )  # fmt: skip
