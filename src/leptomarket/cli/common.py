"""Shared pieces of the command-line faces: consoles, options, error handling, output."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from leptomarket.engine.run import RunSettings
from leptomarket.errors import InputError, RunSpooledError, user_error

#: Piped output is as complete as terminal output: off a terminal, Rich would cut
#: tables to 80 columns, so the width is unbounded (tables take their content's width).
UNBOUNDED = 100_000
console = Console(width=None if sys.stdout.isatty() else UNBOUNDED)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else UNBOUNDED)

F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB store file (default: $LEPTOMARKET_DB or the user data directory).",
        envvar="LEPTOMARKET_DB",
        show_default=False,
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


IndicationOption = Annotated[
    str, typer.Option("--indication", help="Bundled indication name or path to a data package.")
]
DrawsOption = Annotated[
    int,
    typer.Option(
        "--draws",
        help="Monte Carlo draws; 0 = point estimate (at most 1,000,000 unless "
        "$LEPTOMARKET_MAX_DRAWS allows more).",
    ),
]
SeedOption = Annotated[
    int, typer.Option("--seed", help="Random seed in [0, 2**63) (same seed, same numbers).")
]
MethodOption = Annotated[str, typer.Option("--method", help="Sampling: mc, lhs or sobol.")]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, csv, json or parquet.")
]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")]
StoreOption = Annotated[bool, typer.Option("--store/--no-store", help="Store the run(s).")]
DEFAULT_SEED = 20260101


#: Largest ``--draws`` accepted unless ``$LEPTOMARKET_MAX_DRAWS`` raises it (1M draws of the
#: full forecast need about 1.7 GiB; see docs/store.md).
MAX_DRAWS = 1_000_000
MAX_DRAWS_ENV_VAR = "LEPTOMARKET_MAX_DRAWS"
#: Seeds are stored as a signed 64-bit integer.
MAX_SEED = 2**63
DEBUG_ENV_VAR = "LEPTOMARKET_DEBUG"
_debug = {"on": False}


def set_debug(on: bool) -> None:
    """Show tracebacks of errors (``--debug``); ``$LEPTOMARKET_DEBUG=1`` does the same."""
    _debug["on"] = on


def debug_enabled() -> bool:
    env = os.environ.get(DEBUG_ENV_VAR, "").strip().lower()
    return _debug["on"] or env not in ("", "0", "false", "no")


def max_draws() -> int:
    """The ``--draws`` limit: ``$LEPTOMARKET_MAX_DRAWS`` if set, else :data:`MAX_DRAWS`."""
    text = os.environ.get(MAX_DRAWS_ENV_VAR, "").strip()
    if not text:
        return MAX_DRAWS
    try:
        limit = int(text)
    except ValueError:
        raise InputError(None, MAX_DRAWS_ENV_VAR, f"must be a whole number, got '{text}'") from None
    if limit < 1:
        raise InputError(None, MAX_DRAWS_ENV_VAR, f"must be at least 1, got {limit}")
    return limit


def check_seed(seed: int) -> int:
    """A seed must lie in [0, 2**63) (it is stored as a 64-bit integer)."""
    if not 0 <= seed < MAX_SEED:
        raise InputError(None, "--seed", f"must lie in [0, 2**63), got {seed}")
    return seed


def run_settings(draws: int, seed: int, method: str, allow_warnings: bool = False) -> RunSettings:
    """Sampling settings from CLI options (method, draw limit and seed range are checked)."""
    if method not in ("mc", "lhs", "sobol"):
        raise InputError(None, "--method", f"must be mc, lhs or sobol, got '{method}'")
    limit = max_draws()
    if not 0 <= draws <= limit:
        raise InputError(
            None,
            "--draws",
            f"must lie in [0, {limit:,}], got {draws:,} "
            f"(set {MAX_DRAWS_ENV_VAR} to allow more; memory grows with draws)",
        )
    check_seed(seed)
    return RunSettings(n_draws=draws, seed=seed, method=method, allow_warnings=allow_warnings)


AllowWarningsOption = Annotated[
    bool,
    typer.Option(
        "--allow-warnings",
        help="Run although validation warnings that change results remain (the run records it).",
    ),
]


def print_error(message: str, prefix: str = "error:") -> None:
    """Print a message to stderr as plain text (never read as Rich markup)."""
    err_console.print(
        Text.assemble((prefix, "bold red"), " ", message), highlight=False, soft_wrap=True
    )


SPOOLED_EXIT = 75


def handle_errors(func: F) -> F:
    """The CLI's one error boundary: any exception becomes a one-paragraph message, exit 2.

    The project's own errors are printed as they are; file, decoding, YAML,
    store and validation errors are first turned into one (see
    :func:`leptomarket.errors.user_error`). No traceback is shown unless
    ``--debug`` or ``$LEPTOMARKET_DEBUG=1`` asks for it. Typer/Click exits and
    usage errors pass through untouched.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:  # the boundary: nothing else escapes as a traceback
            if debug_enabled():
                traceback.print_exc(file=sys.stderr)
            print_error(str(user_error(exc)))
            # 75 (EX_TEMPFAIL): computed and kept in a spool file; import it later.
            raise typer.Exit(code=SPOOLED_EXIT if isinstance(exc, RunSpooledError) else 2) from None

    return wrapper  # type: ignore[return-value]


def _first_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_output_path(out: Path | None, option: str = "--out", folder: bool = False) -> None:
    """Refuse, before any computing, an output path that cannot be written.

    ``folder`` is True where the path is a folder to write files into. A file
    path must not be a folder; the nearest existing parent must be a writable
    folder (not a file).
    """
    if out is None:
        return
    if str(out).strip() in ("", ".") and not folder:
        raise InputError(out, option, "needs a file name")
    if out.exists():
        if folder and not out.is_dir():
            raise InputError(out, option, "is a file; a folder is needed here")
        if not folder and out.is_dir():
            raise InputError(out, option, "is a folder; give a file name")
        if not os.access(out, os.W_OK):
            raise InputError(out, option, "is not writable (permission denied)")
        return
    parent = _first_existing(out.parent if not folder else out)
    if not parent.is_dir():
        raise InputError(out, option, f"cannot be created: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(out, option, f"cannot be created: folder {parent} is not writable")


def check_out_format(fmt: OutputFormat, out: Path | None) -> None:
    """``--out`` goes with a machine format; the table view only prints to the terminal."""
    if fmt is OutputFormat.table and out is not None:
        raise InputError(
            out, "--out", "the table view prints to the terminal; add --format csv, json or parquet"
        )
    if fmt is OutputFormat.parquet and out is None:
        raise InputError(None, "--out", "--format parquet needs --out PATH (Parquet is binary)")
    check_output_path(out)


def _write(out: Path, write: Callable[[Path], None]) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write(out)
    except OSError as exc:
        raise InputError(out, "--out", f"cannot write: {exc.strerror or exc}") from None


def write_frame(frame: pd.DataFrame, fmt: OutputFormat, out: Path | None) -> None:
    """Write a machine-readable frame as CSV, JSON (records) or Parquet to a file or stdout."""
    if fmt is OutputFormat.parquet:
        if out is None:
            raise InputError(None, "--out", "--format parquet needs --out PATH (Parquet is binary)")
        _write(out, lambda path: frame.to_parquet(path, index=False))
        return
    if fmt is OutputFormat.csv:
        text = frame.to_csv(index=False)
    elif fmt is OutputFormat.json:
        text = frame.to_json(orient="records", indent=1)
    else:
        raise ValueError(f"write_frame does not render {fmt}")
    if out is None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
    else:
        _write(out, lambda path: path.write_text(text, encoding="utf-8"))


def rich_table(frame: pd.DataFrame, title: str, number_format: str = "{:,.0f}") -> Table:
    """A Rich table of a frame; floats rendered with ``number_format``."""
    table = Table(title=Text(title), title_justify="left", header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(Text(str(column)), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append(number_format.format(value))
            else:
                cells.append(str(value))
        table.add_row(*(Text(cell) for cell in cells))
    return table
