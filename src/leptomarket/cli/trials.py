"""``leptomarket trials`` (list, ``refresh``, ``changes``) and ``leptomarket landscape``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from leptomarket.cli.common import (
    DbOption,
    FormatOption,
    OutOption,
    OutputFormat,
    console,
    err_console,
    handle_errors,
    print_error,
    rich_table,
    write_frame,
)
from leptomarket.cli.main import app
from leptomarket.errors import LeptomarketError, NetworkError
from leptomarket.store.database import connect, has_table, resolve_db_path
from leptomarket.trials.client import (
    BASE_URL_ENV_VAR,
    DEFAULT_BASE_URL,
    ClientSettings,
    CtgovClient,
)
from leptomarket.trials.landscape import (
    TABLE_TITLES,
    filter_studies,
    landscape_tables,
    write_landscape_html,
)
from leptomarket.trials.refresh import (
    MIN_FRACTION,
    ensure_snapshot,
    fetch_ctgov_records,
    write_ctgov_snapshot,
)
from leptomarket.trials.storage import (
    current_snapshot_id,
    previous_snapshot_id,
    read_assets,
    read_studies,
    snapshot_changes,
)

trials_app = typer.Typer(
    help="LM clinical trials: list the current snapshot, refresh it from CT.gov, show changes.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(trials_app, name="trials")

LIST_COLUMNS = [
    "trial_key",
    "phase",
    "status",
    "modality",
    "route",
    "company",
    "start_year",
    "title",
]


def _emit(frame, fmt: OutputFormat, out: Path | None, title: str) -> None:
    if fmt is OutputFormat.table:
        console.print(rich_table(frame, title=title))
    else:
        write_frame(frame, fmt, out)


@trials_app.callback(invoke_without_command=True)
@handle_errors
def trials(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Overall status, e.g. RECRUITING.")] = None,
    phase: Annotated[str | None, typer.Option(help="Phase code or label, e.g. PHASE2.")] = None,
    modality: Annotated[str | None, typer.Option(help="Modality, e.g. it_chemotherapy.")] = None,
    sponsor: Annotated[
        str | None, typer.Option(help="Text in the sponsor, company or collaborators.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """List the trials of the current snapshot (the bundled one on first use)."""
    if ctx.invoked_subcommand is not None:
        return
    con = open_snapshot(db)
    try:
        studies = filter_studies(read_studies(con), status, phase, modality, sponsor)
    finally:
        con.close()
    if fmt is OutputFormat.table:
        shown = studies.loc[:, LIST_COLUMNS].copy()
        shown["title"] = shown["title"].fillna("").str.slice(0, 70)
        shown["start_year"] = shown["start_year"].astype("string").fillna("")
        _emit(shown, fmt, out, f"LM trials ({len(shown)})")
    else:
        write_frame(studies, fmt, out)


def open_snapshot(db) -> duckdb.DuckDBPyConnection:
    """The store, read-only when it already holds a trial snapshot.

    Only a store without one is opened for writing, to load the bundled
    snapshot; reading commands then never take the write lock.
    """
    path = resolve_db_path(db)
    if path.exists():
        con = connect(path, read_only=True)
        try:
            if has_table(con, "trial_snapshots") and current_snapshot_id(con) is not None:
                return con
        except Exception:
            con.close()
            raise
        con.close()
    con = connect(path)
    ensure_snapshot(con)
    return con


@trials_app.command("refresh")
@handle_errors
def refresh(
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            envvar=BASE_URL_ENV_VAR,
            help="CT.gov API v2 root (a mirror or test server).",
        ),
    ] = DEFAULT_BASE_URL,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Studies per page.")] = 1000,
    min_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between requests (≥1 is polite).")
    ] = 1.0,
    accept_shrink: Annotated[
        bool,
        typer.Option(
            "--accept-shrink",
            help="Accept an answer much smaller than the current snapshot (the registry shrank).",
        ),
    ] = False,
    min_fraction: Annotated[
        float,
        typer.Option(
            "--min-fraction",
            min=0.0,
            max=1.0,
            help="Refuse an answer below this share of the current snapshot's studies.",
        ),
    ] = MIN_FRACTION,
    max_pages: Annotated[int, typer.Option(min=1, help="Most pages followed.")] = 200,
    deadline: Annotated[
        float, typer.Option(min=1.0, help="Seconds allowed for the whole fetch.")
    ] = 1800.0,
    db: DbOption = None,
) -> None:
    """Fetch all LM studies from ClinicalTrials.gov and make them the current snapshot.

    The whole answer is fetched and checked (every page, totalCount) before
    the store is opened, so other commands can use the store meanwhile; an
    answer far smaller than the current snapshot is refused.
    """
    settings = ClientSettings(
        page_size=page_size,
        min_interval=min_interval,
        max_pages=max_pages,
        refresh_deadline=deadline,
    )
    try:
        with CtgovClient(base_url, settings) as client:
            records, url = fetch_ctgov_records(client)
    except NetworkError as exc:
        print_error(f"refresh failed, current snapshot kept: {exc}")
        raise typer.Exit(code=2) from None
    con = connect(db)
    try:
        snapshot_id = write_ctgov_snapshot(
            con, records, url, min_fraction=min_fraction, accept_shrink=accept_shrink
        )
        counts = con.execute(
            "SELECT n_studies, n_assets FROM trial_snapshots WHERE snapshot_id = ?",
            [snapshot_id],
        ).fetchone()
    finally:
        con.close()
    console.print(
        f"snapshot {snapshot_id}: {counts[0]} studies, {counts[1]} assets from {base_url}",
        soft_wrap=True,
        highlight=False,
    )


@trials_app.command("changes")
@handle_errors
def changes(
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """What is new in the current snapshot compared with the previous one."""
    con = open_snapshot(db)
    try:
        current = current_snapshot_id(con)
        frame = snapshot_changes(con)
        previous = previous_snapshot_id(con, current)
    finally:
        con.close()
    if fmt is OutputFormat.table and previous is None:
        console.print(
            f"Snapshot {current} is the only one in the store: nothing to compare yet. "
            "Run `leptomarket trials refresh` to take a new snapshot from ClinicalTrials.gov."
        )
        return
    if fmt is OutputFormat.table:
        frame = frame.fillna("")
        frame["title"] = frame["title"].str.slice(0, 60)
    _emit(frame, fmt, out, f"Changes since the previous snapshot ({len(frame)})")


@app.command("landscape")
@handle_errors
def landscape(
    fmt: FormatOption = OutputFormat.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File (json) or directory (csv, parquet) to write."),
    ] = None,
    html_path: Annotated[
        Path | None, typer.Option("--html", help="Also write an offline HTML page here.")
    ] = None,
    db: DbOption = None,
) -> None:
    """LM pipeline landscape: phase × modality, companies, starts timeline, assets."""
    con = open_snapshot(db)
    try:
        tables = landscape_tables(read_studies(con), read_assets(con))
    finally:
        con.close()
    if fmt is OutputFormat.table:
        for name, frame in tables.items():
            console.print(rich_table(_for_display(name, frame), title=TABLE_TITLES[name]))
    elif fmt is OutputFormat.json:
        payload = {
            name: json.loads(frame.to_json(orient="records")) for name, frame in tables.items()
        }
        text = json.dumps(payload, indent=1)
        if out is None:
            typer.echo(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    else:
        if out is None:
            raise LeptomarketError(
                f"--format {fmt.value} needs --out DIRECTORY (one file per table)"
            )
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            write_frame(frame, fmt, out / f"{name}.{fmt.value}")
    if html_path is not None:
        written = write_landscape_html(html_path, tables)
        err_console.print(f"wrote {written}", soft_wrap=True, highlight=False)


def _for_display(name: str, frame):
    """Shorten long text columns for the terminal."""
    frame = frame.copy()
    for column in ("trials", "assets", "company"):
        if column in frame.columns and frame[column].dtype == object:
            frame[column] = frame[column].fillna("").str.slice(0, 48)
    if name == "companies":
        frame = frame.head(25)
    return frame
