"""The ``leptomarket`` command: one Typer app; each command lives in its own module."""

from __future__ import annotations

import typer

from leptomarket import __version__

app = typer.Typer(
    name="leptomarket",
    help=(
        "Open, reproducible market intelligence for the leptomeningeal metastases (LM) "
        "drugs market: sourced inputs, patient-based Monte Carlo forecast, live pipeline."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"leptomarket {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """leptomarket command-line interface."""


def _register() -> None:
    # Imported here so each command module can import ``app`` without a cycle.
    import importlib

    for module in ("knowledge", "epi", "trials", "market", "report"):
        try:
            importlib.import_module(f"leptomarket.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"leptomarket.cli.{module}":
                raise


_register()
