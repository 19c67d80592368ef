"""``leptomarket runs`` (list, show, import) and ``leptomarket store`` (check, backup, restore)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leptomarket.cli.common import (
    DbOption,
    FormatOption,
    OutOption,
    OutputFormat,
    check_out_format,
    check_output_path,
    console,
    handle_errors,
    print_error,
    rich_table,
    write_frame,
)
from leptomarket.cli.main import app
from leptomarket.errors import InputError, StoreError
from leptomarket.store.database import connect
from leptomarket.store.integrity import backup_store, check_store, restore_store
from leptomarket.store.runs import list_runs, read_results
from leptomarket.store.spool import import_spool_file

runs_app = typer.Typer(
    help="Stored runs: list them, show one, import a spooled run.", invoke_without_command=True
)
store_app = typer.Typer(help="The store itself: check it for damage, back it up, restore it.")
app.add_typer(runs_app, name="runs")
app.add_typer(store_app, name="store")

RUN_COLUMNS = [
    "run_id",
    "kind",
    "indication",
    "scenario",
    "n_draws",
    "seed",
    "method",
    "created_at",
]


@runs_app.callback()
@handle_errors
def runs(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """List the stored runs, oldest first (the store is opened read-only)."""
    if ctx.invoked_subcommand is not None:
        return
    check_out_format(fmt, out)
    check_output_path(out)
    con = connect(db, read_only=True)
    try:
        frame = list_runs(con)[RUN_COLUMNS]
    finally:
        con.close()
    if fmt is OutputFormat.table:
        console.print(rich_table(frame.astype(str), f"{len(frame)} stored run(s)"))
    else:
        write_frame(frame, fmt, out)


@runs_app.command("show")
@handle_errors
def show(
    run_id: Annotated[str, typer.Argument(help="Run id (as listed by `leptomarket runs`).")],
    fmt: FormatOption = OutputFormat.csv,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The stored summary of one run (every metric, place, year and key)."""
    check_out_format(fmt, out)
    check_output_path(out)
    con = connect(db, read_only=True)
    try:
        known = list_runs(con)
        results = read_results(con, run_id)
    finally:
        con.close()
    if run_id not in set(known["run_id"]):
        raise InputError(None, "RUN_ID", f"no stored run '{run_id}' (see `leptomarket runs`)")
    if fmt is OutputFormat.table:
        console.print(rich_table(results.drop(columns=["run_id"]), f"run {run_id}", "{:,.2f}"))
    else:
        write_frame(results, fmt, out)


@runs_app.command("import")
@handle_errors
def import_run(
    spool: Annotated[
        Path, typer.Argument(help="Spool file named by a command that was locked out.")
    ],
    db: DbOption = None,
) -> None:
    """Import a spooled run (written when the store stayed locked) and remove the spool file."""
    run_ids = import_spool_file(spool, db)
    console.print(f"imported run(s) {', '.join(run_ids)} from {spool}", highlight=False)


@store_app.command("check")
@handle_errors
def check(db: DbOption = None) -> None:
    """Checkpoint, read every row of every table and check runs against results."""
    report = check_store(db)
    if report.ok:
        console.print(report.paragraph(), highlight=False, soft_wrap=True)
        return
    print_error(report.paragraph())
    raise typer.Exit(code=1)


@store_app.command("backup")
@handle_errors
def backup(
    target: Annotated[Path, typer.Argument(help="New folder for the backup.")],
    db: DbOption = None,
) -> None:
    """Export a consistent copy of the store (schema + one Parquet file per table)."""
    folder = backup_store(target, db)
    console.print(f"backup written to {folder}", highlight=False)


@store_app.command("restore")
@handle_errors
def restore(
    source: Annotated[Path, typer.Argument(help="Backup folder made by `store backup`.")],
    db: DbOption = None,
) -> None:
    """Replace the store with a backup (the previous file is kept as .before-restore)."""
    if not source.is_dir():
        raise StoreError(f"{source} is not a folder")
    path = restore_store(source, db)
    console.print(f"store {path} restored from {source}", highlight=False)
