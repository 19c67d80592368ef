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
    debug: bool = typer.Option(
        False, "--debug", help="Show the traceback of an error (or set LEPTOMARKET_DEBUG=1)."
    ),
    lock_wait: float = typer.Option(
        None,
        "--lock-wait",
        min=0.0,
        help="Seconds to wait for a store locked by another process (default 30, or "
        "$LEPTOMARKET_LOCK_WAIT); then a computed run is spooled.",
        show_default=False,
    ),
) -> None:
    """leptomarket command-line interface."""
    import os

    from leptomarket.cli.common import set_debug

    set_debug(debug)
    if lock_wait is not None:
        os.environ["LEPTOMARKET_LOCK_WAIT"] = str(lock_wait)


def _register() -> None:
    # Imported here so each command module can import ``app`` without a cycle.
    from leptomarket.cli import (  # noqa: F401
        decisions,
        epi,
        knowledge,
        market,
        report,
        serve,
        store,
        trials,
    )


_register()


if __name__ == "__main__":
    # Run as ``python -m leptomarket.cli.main``: the command modules registered
    # themselves on the importable module's app, so run that one.
    from leptomarket.cli.main import app as registered_app

    registered_app()
