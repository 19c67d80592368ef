"""Shared pieces of the command-line faces: consoles, options, error handling, output."""

from __future__ import annotations

import functools
import os
import sys
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
from leptomarket.errors import InputError, LeptomarketError

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
    int, typer.Option("--draws", min=0, help="Monte Carlo draws; 0 = point estimate.")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same numbers).")]
MethodOption = Annotated[str, typer.Option("--method", help="Sampling: mc, lhs or sobol.")]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, csv, json or parquet.")
]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")]
StoreOption = Annotated[bool, typer.Option("--store/--no-store", help="Store the run(s).")]
DEFAULT_SEED = 20260101


#: Largest --draws accepted (memory is bounded, but time is not); override by environment.
MAX_DRAWS = 1_000_000


def max_draws() -> int:
    """The --draws limit: ``LEPTOMARKET_MAX_DRAWS`` if set to a positive integer, else 1,000,000."""
    setting = os.environ.get("LEPTOMARKET_MAX_DRAWS", "")
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    return MAX_DRAWS


def run_settings(draws: int, seed: int, method: str) -> RunSettings:
    """Sampling settings from CLI options (the method is checked here)."""
    if method not in ("mc", "lhs", "sobol"):
        raise InputError(None, "--method", f"must be mc, lhs or sobol, got '{method}'")
    limit = max_draws()
    if draws > limit:
        raise InputError(
            None, "--draws", f"{draws:,} is above the maximum {limit:,} (set LEPTOMARKET_MAX_DRAWS)"
        )
    if not 0 <= seed < 2**63:
        raise InputError(None, "--seed", f"{seed} must be between 0 and 2**63 - 1")
    return RunSettings(n_draws=draws, seed=seed, method=method)


def handle_errors(func: F) -> F:
    """Turn a LeptomarketError into a one-paragraph message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LeptomarketError as exc:
            # The message is plain text: never read as Rich markup ("[low 0.1, high 0.5]").
            message = Text.assemble(("error:", "bold red"), " ", str(exc))
            err_console.print(message, highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def write_frame(frame: pd.DataFrame, fmt: OutputFormat, out: Path | None) -> None:
    """Write a machine-readable frame as CSV, JSON (records) or Parquet to a file or stdout."""
    if fmt is OutputFormat.parquet:
        if out is None:
            raise LeptomarketError("--format parquet needs --out PATH (Parquet is binary)")
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(out, index=False)
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
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def rich_table(frame: pd.DataFrame, title: str, number_format: str = "{:,.0f}") -> Table:
    """A Rich table of a frame; floats rendered with ``number_format``."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append(number_format.format(value))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table
