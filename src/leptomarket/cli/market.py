"""``leptomarket forecast`` and ``leptomarket compare``: the market forecast and its scenarios."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from leptomarket.api import run_market_forecast
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
    check_seed,
    console,
    err_console,
    handle_errors,
    rich_table,
    run_settings,
    write_frame,
)
from leptomarket.cli.main import app
from leptomarket.cli.progress import draw_progress
from leptomarket.engine.sensitivity import MIN_SOBOL_BASE, Target, sobol_indices, tornado
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import load_for_run
from leptomarket.knowledge.model import Knowledge
from leptomarket.report.tables import (
    headline,
    market_table,
    scenario_comparison,
    scenario_comparison_numbers,
    with_risk_adjusted,
)

ScenarioOption = Annotated[
    str | None,
    typer.Option("--scenario", help="Bundled scenario name or path to a scenario YAML file."),
]


def default_region(knowledge: Knowledge, region: str | None) -> str:
    """``--region`` as given, else 7MM when the indication defines it, else its first region."""
    if region is not None:
        return region
    regions = list(knowledge.indication.regions)
    if "7MM" in regions or not regions:
        return "7MM" if "7MM" in regions else knowledge.labels("country")[0]
    return regions[0]


def check_region_year(knowledge: Knowledge, region: str, year: int | None = None) -> None:
    """``--region`` must be a country or region and ``--year`` (if given) a model year."""
    first, last = knowledge.indication.years
    if year is not None and not first <= year <= last:
        raise InputError(None, "--year", f"{year} is outside the model years {first}-{last}")
    places = knowledge.labels("country") + list(knowledge.indication.regions)
    if region not in places:
        raise InputError(None, "--region", f"unknown '{region}'; choose from {', '.join(places)}")


def default_year(knowledge: Knowledge, year: int | None) -> int:
    """``--year`` as given, else 2034 when the model covers it, else the last model year."""
    if year is not None:
        return year
    first, last = knowledge.indication.years
    return 2034 if first <= 2034 <= last else last


@app.command()
@handle_errors
def forecast(
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    year: Annotated[
        int | None,
        typer.Option("--year", help="Year shown in the table view (default 2034, else the last)."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Country or region shown (default 7MM, else the first region)."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    store: StoreOption = True,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Market forecast: patients and revenue by therapy, class, company, country and year."""
    settings = run_settings(draws, seed, method, allow_warnings)
    check_out_format(fmt, out)
    knowledge = load_for_run(indication, allow_warnings)
    year = default_year(knowledge, year)
    region = default_region(knowledge, region)
    check_region_year(knowledge, region, year)
    with draw_progress(draws, "forecast") as progress:
        record, _, summary = run_market_forecast(
            settings, scenario=scenario, knowledge=knowledge, db=db, store=store, progress=progress
        )
    if fmt is not OutputFormat.table:
        frame = with_risk_adjusted(summary)
        write_frame(frame, fmt, out)
        if out is not None:
            err_console.print(f"wrote {len(frame):,} rows to {out}")
        return
    top = headline(summary, region, knowledge)
    console.print(
        rich_table(top, f"{knowledge.indication.title} — {region}, scenario {record.scenario}")
    )
    for level, title in (("therapy", "therapy"), ("class", "class"), ("company", "company")):
        table = market_table(summary, region, year, level)
        if level == "therapy":
            # Readers see the therapies' names, not their keys.
            table["therapy"] = [knowledge.display_name("therapy", t) for t in table["therapy"]]
        console.print(
            rich_table(table, f"Revenue by {title}, {region}, {year} (USD million)", "{:,.1f}")
        )
    by_country = market_table(summary, None, year, "market", key="drug")
    places = set(knowledge.labels("country"))
    by_country["country"] = [
        knowledge.display_name("country", c) if c in places else c for c in by_country["country"]
    ]
    console.print(
        rich_table(by_country, f"Drug market by country, {year} (USD million)", "{:,.1f}")
    )
    stored = f"stored as run {record.run_id}" if store else "not stored"
    console.print(
        f"[dim]{draws or 'point'} draws{f', {method}, seed {seed}' if draws else ''}; {stored}. "
        "Intervals are 5th–95th percentiles; risk-adjusted = probability-weighted pipeline.[/dim]"
    )


@app.command()
@handle_errors
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario names or YAML paths.")],
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Country or region compared (default 7MM, else the first region)."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    store: StoreOption = True,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Compare scenarios side by side (same seed: differences come from the scenarios)."""
    settings = run_settings(draws, seed, method, allow_warnings)
    check_out_format(fmt, out)
    knowledge = load_for_run(indication, allow_warnings)
    region = default_region(knowledge, region)
    check_region_year(knowledge, region)
    summaries: dict[str, pd.DataFrame] = {}
    for name in scenarios:
        with draw_progress(draws, f"scenario {name}") as progress:
            record, _, summary = run_market_forecast(
                settings, scenario=name, knowledge=knowledge, db=db, store=store, progress=progress
            )
        summaries[record.scenario] = summary
    if fmt is OutputFormat.table:
        table = scenario_comparison(summaries, region, knowledge)
        console.print(rich_table(table, f"Scenario comparison, {region}"))
        return
    write_frame(scenario_comparison_numbers(summaries, region, knowledge), fmt, out)


@app.command()
@handle_errors
def sensitivity(
    method: Annotated[
        str, typer.Option("--method", help="tornado (one at a time) or sobol (global).")
    ] = "tornado",
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Country or region studied (default 7MM, else the first region)."
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="Year of the drug market studied (default 2034, else the last)."
        ),
    ] = None,
    n_base: Annotated[int, typer.Option("--n-base", help="Sobol' base sample (power of 2).")] = 256,
    seed: SeedOption = DEFAULT_SEED,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Which parameters drive the risk-adjusted drug market (tornado or Sobol' indices)."""
    check_seed(seed)
    check_out_format(fmt, out)
    knowledge = load_for_run(indication, allow_warnings)
    year = default_year(knowledge, year)
    region = default_region(knowledge, region)
    check_region_year(knowledge, region, year)
    target = Target(region, year)
    if method == "tornado":
        table = tornado(knowledge, target)
        table = table.assign(**{c: table[c] / 1e6 for c in ("base", "at_p05", "at_p95", "swing")})
        title = f"Tornado: {region} risk-adjusted drug market {year} (USD million)"
        number_format = "{:,.1f}"
    elif method == "sobol":
        if n_base < MIN_SOBOL_BASE or n_base & (n_base - 1):
            raise InputError(
                None,
                "--n-base",
                f"must be a power of 2 of at least {MIN_SOBOL_BASE}, got {n_base} (smaller "
                "samples give indices dominated by noise, even negative ones)",
            )
        table = sobol_indices(knowledge, target, n_base=n_base, seed=seed)
        title = f"Sobol' indices: {region} risk-adjusted drug market {year}"
        number_format = "{:.3f}"
    else:
        raise InputError(None, "--method", f"must be tornado or sobol, got '{method}'")
    if fmt is OutputFormat.table:
        console.print(rich_table(table, title, number_format))
        return
    write_frame(table, fmt, out)
