"""``leptomarket epi``: incident, diagnosed and treated LM cases by country, year and segment."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from leptomarket.api import run_epi
from leptomarket.cli.common import (
    DEFAULT_SEED,
    AllowWarningsOption,
    DbOption,
    DrawsOption,
    FormatOption,
    IndicationOption,
    MethodOption,
    OutOption,
    OutputFormat,
    SeedOption,
    StoreOption,
    check_out_format,
    console,
    err_console,
    handle_errors,
    rich_table,
    run_settings,
    write_frame,
)
from leptomarket.cli.main import app
from leptomarket.cli.progress import draw_progress
from leptomarket.engine.run import EPI_METRICS
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import load_for_run
from leptomarket.knowledge.model import Knowledge


def parse_years(text: str, knowledge: Knowledge) -> list[int]:
    """``2020-2035`` or ``2024`` -> list of years, checked against the model's years."""
    parts = text.split("-")
    try:
        start, end = (int(parts[0]), int(parts[-1]))
    except ValueError:
        raise InputError(None, "--years", f"expected YEAR or START-END, got '{text}'") from None
    first, last = knowledge.indication.years
    if not (first <= start <= end <= last) or len(parts) > 2:
        raise InputError(None, "--years", f"'{text}' is not a range inside {first}-{last}")
    return list(range(start, end + 1))


def parse_countries(text: str | None, knowledge: Knowledge) -> list[str]:
    """Comma-separated country codes or region names (e.g. ``7MM``); all when empty."""
    all_countries = knowledge.labels("country")
    if not text:
        return all_countries
    chosen: list[str] = []
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    if not tokens:
        raise InputError(None, "--countries", f"names no country or region: '{text}'")
    for token in tokens:
        if token in knowledge.indication.regions:
            chosen.extend(knowledge.indication.regions[token])
        elif token.upper() in all_countries:
            chosen.append(token.upper())
        else:
            raise InputError(
                None,
                "--countries",
                f"unknown country or region '{token}' (countries: {', '.join(all_countries)}; "
                f"regions: {', '.join(knowledge.indication.regions)})",
            )
    return list(dict.fromkeys(chosen))


def wide_segment_table(
    summary: pd.DataFrame, countries: list[str], years: list[int], with_intervals: bool
) -> pd.DataFrame:
    """Segment-level rows (country, year, segment) with one column per metric (and intervals)."""
    rows = summary[
        (summary["level"] == "segment")
        & summary["country"].isin(countries)
        & summary["year"].isin(years)
    ]
    stats = ["mean", "p05", "p50", "p95"] if with_intervals else ["mean"]
    wide = rows.pivot_table(
        index=["country", "year", "key"], columns="metric", values=stats, sort=False
    )
    columns = []
    for metric in EPI_METRICS:
        for stat in stats:
            columns.append((stat, metric))
    wide = wide[columns]
    wide.columns = [metric if stat == "mean" else f"{metric}_{stat}" for stat, metric in columns]
    wide = wide.round(3).reset_index().rename(columns={"key": "segment"})
    order = {c: i for i, c in enumerate(countries)}
    return wide.sort_values(
        ["country", "year", "segment"], key=lambda s: s.map(order) if s.name == "country" else s
    ).reset_index(drop=True)


def _cell(row: pd.Series, with_intervals: bool) -> str:
    if not with_intervals:
        return f"{row['mean']:,.0f}"
    return f"{row['mean']:,.0f} ({row['p05']:,.0f}–{row['p95']:,.0f})"


def headline_tables(
    summary: pd.DataFrame,
    knowledge: Knowledge,
    countries: list[str],
    year: int,
    with_intervals: bool,
) -> list:
    """Rich tables: totals by country (and regions) and by tumour for one year."""
    totals = summary[(summary["level"] == "total") & (summary["year"] == year)]
    places = countries + [
        r for r, members in knowledge.indication.regions.items() if set(members) <= set(countries)
    ]
    if len(countries) > 1 and "selected" in set(summary["country"]):
        places.append("selected")
    by_country = []
    for place in places:
        line = {"country": place}
        for metric in EPI_METRICS:
            match = totals[(totals["country"] == place) & (totals["metric"] == metric)]
            line[metric.replace("_", " ")] = _cell(match.iloc[0], with_intervals)
        by_country.append(line)

    focus = "7MM" if "7MM" in places else ("selected" if "selected" in places else places[0])
    tumours = summary[
        (summary["level"] == "tumour") & (summary["year"] == year) & (summary["country"] == focus)
    ]
    by_tumour = []
    for tumour in knowledge.labels("tumour"):
        line = {"tumour": knowledge.display_name("tumour", tumour)}
        for metric in EPI_METRICS:
            match = tumours[(tumours["key"] == tumour) & (tumours["metric"] == metric)]
            line[metric.replace("_", " ")] = _cell(match.iloc[0], with_intervals)
        by_tumour.append(line)
    suffix = " — mean (5th–95th percentile)" if with_intervals else " — point estimate"
    return [
        rich_table(pd.DataFrame(by_country), f"LM cases by country, {year}{suffix}"),
        rich_table(pd.DataFrame(by_tumour), f"LM cases by primary tumour, {focus}, {year}{suffix}"),
    ]


@app.command()
@handle_errors
def epi(
    countries: Annotated[
        str | None,
        typer.Option(
            "--countries", help="Comma-separated country codes or regions (e.g. US,JP or 7MM)."
        ),
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Years to output, START-END (default: all).")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Year shown in the table view (default 2024, else the last)."),
    ] = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    store: StoreOption = True,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Epidemiology forecast: incident, diagnosed and treated LM cases."""
    settings = run_settings(draws, seed, method, allow_warnings)
    check_out_format(fmt, out)
    knowledge = load_for_run(indication, allow_warnings)
    chosen = parse_countries(countries, knowledge)
    wanted_years = parse_years(years, knowledge) if years else [int(y) for y in knowledge.years]
    first, last = knowledge.indication.years
    if year is None:
        year = 2024 if first <= 2024 <= last else last
    if not first <= year <= last:
        raise InputError(None, "--year", f"{year} is outside the model years")
    with draw_progress(draws, "epidemiology") as progress:
        record, result, summary = run_epi(
            settings, knowledge=knowledge, db=db, store=store, progress=progress
        )
    if set(chosen) != set(knowledge.labels("country")):
        summary = result.summary({"selected": chosen})
    with_intervals = draws > 0
    if fmt is OutputFormat.table:
        for table in headline_tables(summary, knowledge, chosen, year, with_intervals):
            console.print(table)
        stored = f"stored as run {record.run_id}" if store else "not stored"
        console.print(
            f"[dim]{knowledge.indication.title}; {draws or 'point'} draws"
            f"{f', {method}, seed {seed}' if draws else ''}; {stored}. "
            "Use --format csv for every country, year and segment.[/dim]"
        )
        return
    frame = wide_segment_table(summary, chosen, wanted_years, with_intervals)
    write_frame(frame, fmt, out)
    if out is not None:
        err_console.print(f"wrote {len(frame):,} rows to {out}")
