"""Decision views: ``value``, ``budget-impact``, ``feasibility``, ``opportunities``, ``capacity``,
``diagnostics``. Each runs (or reuses) a forecast and reads its kept draws."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from leptomarket.api import (
    asset_value,
    budget_impact,
    decision_forecast,
    diagnostics_market,
    provider_capacity,
    trial_feasibility,
    white_space,
)
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
    console,
    handle_errors,
    rich_table,
    run_settings,
    write_frame,
)
from leptomarket.cli.main import app
from leptomarket.cli.progress import draw_progress
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.value import value_tornado
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import load_for_run

ScenarioOption = Annotated[
    str | None,
    typer.Option("--scenario", help="Bundled scenario name or path to a scenario YAML file."),
]
YearOption = Annotated[
    int | None, typer.Option("--year", help="Year studied (default: the forecast start).")
]

#: Readable names of the metrics and parameters in table views.
LABELS = {
    "eligible_patients": "Eligible patients in the plan",
    "budget_current_mix_usd": "Budget, current mix (USD)",
    "budget_new_mix_usd": "Budget, with the new therapy (USD)",
    "budget_impact_usd": "Budget impact (USD)",
    "pmpm_usd": "Per member per month (USD)",
    "pmpm_cents": "Per member per month (US cents)",
    "cost_per_patient_usd": "Cost per treated patient course (USD)",
    "eligible_patients_per_year": "Eligible patients per year",
    "enrolled_per_month": "Patients enrolled per month",
    "months_to_enrol": "Months to enrol",
    "lm_diagnoses": "LM diagnoses",
    "lm_workups": "LM work-ups",
    "mri_examinations": "Neuraxis MRI examinations",
    "lumbar_punctures": "Diagnostic lumbar punctures",
    "csf_liquid_biopsy_tests": "CSF liquid-biopsy tests",
    "intra_csf_procedures": "Intra-CSF drug administrations",
    "reservoir_implants": "Ventricular reservoir implants",
    "volume": "Volume",
    "revenue_usd": "Revenue (USD)",
    "phase_cost": "Trial cost per stage",
    "phase_duration": "Stage durations",
    "cogs_share": "Cost of goods (share of revenue)",
    "sga_share": "Selling and general costs (share)",
    "tax_rate": "Tax rate",
    "discount_rate": "Discount rate",
}


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Metric and parameter ids replaced by their names, for table views."""
    out = frame.copy()
    for column in ("metric", "parameter", "market"):
        if column in out.columns:
            out[column] = out[column].map(lambda v: LABELS.get(v, v))
    return out


VALUE_COLUMNS = {
    "expected_npv_usd": "Expected NPV (rNPV)",
    "p05_usd": "5th pct",
    "p50_usd": "Median",
    "p95_usd": "95th pct",
    "probability_npv_positive": "P(NPV > 0)",
}


def in_millions(frame: pd.DataFrame) -> pd.DataFrame:
    """An rNPV table for reading: USD million, readable headers."""
    out = frame.copy()
    for column in ("expected_npv_usd", "p05_usd", "p50_usd", "p95_usd"):
        out[column] = out[column] / 1e6
    return out.rename(columns=VALUE_COLUMNS)


def _forecast(
    draws: int,
    seed: int,
    method: str,
    scenario: str | None,
    indication: str,
    db,
    allow_warnings: bool = False,
) -> ForecastResult:
    knowledge = load_for_run(indication, allow_warnings)
    with draw_progress(draws, "forecast") as progress:
        return decision_forecast(
            run_settings(draws, seed, method, allow_warnings),
            scenario=scenario,
            knowledge=knowledge,
            db=db,
            store=False,
            progress=progress,
        )


def _emit(frames: dict[str, pd.DataFrame], fmt: OutputFormat, out, number_format: str) -> None:
    """Table view: one Rich table per frame; machine formats: the frames stacked with a ``table``
    column naming each (numbers stay numbers)."""
    if fmt is OutputFormat.table:
        for title, frame in frames.items():
            console.print(rich_table(readable(frame), title, number_format))
        return
    stacked = pd.concat(
        [frame.assign(table=title) for title, frame in frames.items()], ignore_index=True
    )
    write_frame(stacked if len(frames) > 1 else next(iter(frames.values())), fmt, out)


def for_reading(frame: pd.DataFrame) -> pd.DataFrame:
    """A budget-impact table for reading: uptake in %, per-member costs in US cents."""
    out = frame.copy()
    if "uptake" in out.columns:
        out["uptake"] = out["uptake"] * 100
        out = out.rename(columns={"uptake": "uptake (%)"})
    if "metric" in out.columns:
        pmpm = out["metric"] == "pmpm_usd"
        for column in ("mean", "p05", "p50", "p95"):
            out.loc[pmpm, column] = out.loc[pmpm, column] * 100
        out.loc[pmpm, "metric"] = "pmpm_cents"
    return out


def _percentages(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) / 100.0 for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(None, "--uptake", f"{text!r}: give percentages such as 10,20,30") from None
    if not values:
        raise InputError(None, "--uptake", "give at least one percentage, e.g. 10,20,30")
    return values


@app.command()
@handle_errors
def value(
    asset: Annotated[str | None, typer.Option("--asset", help="One pipeline asset.")] = None,
    company: Annotated[str | None, typer.Option("--company", help="One company.")] = None,
    discount_rate: Annotated[
        float | None, typer.Option("--discount-rate", help="Fix the discount rate (e.g. 0.1).")
    ] = None,
    region: Annotated[
        str, typer.Option("--region", help="Countries whose revenue counts.")
    ] = "8MM",
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Investors: risk-adjusted NPV of each pipeline asset and company LM portfolio (USD)."""
    if discount_rate is not None and not 0.0 <= discount_rate < 1.0:
        raise InputError(None, "--discount-rate", f"{discount_rate}: a rate per year, e.g. 0.1")
    result = _forecast(draws, seed, method, scenario, indication, db, allow_warnings)
    tables = asset_value(
        result, region=region, discount_rate=discount_rate, asset=asset, company=company
    )
    if fmt is not OutputFormat.table:
        frames = {"assets": tables["assets"], "companies": tables["companies"]}
        if asset is not None:
            frames = {"distribution": tables["distribution"]}
        _emit(frames, fmt, out, "")
        return
    frames = {
        "rNPV of pipeline assets, LM revenue to the model horizon (USD million)": in_millions(
            tables["assets"]
        ),
        "rNPV of company LM portfolios (USD million)": in_millions(tables["companies"]),
    }
    if asset is not None and draws > 0:
        label, name = next(
            (t, result.knowledge.display_name("therapy", t))
            for t in result.knowledge.labels("therapy")
            if asset in (t, result.knowledge.display_name("therapy", t))
        )
        tornado = value_tornado(result, label, region)
        money = ["base", "at_p05", "at_p95", "swing"]
        frames[f"Tornado: expected NPV of {name} (USD million)"] = tornado.assign(
            **{c: tornado[c] / 1e6 for c in money}
        )
    _emit(frames, fmt, out, "{:,.2f}")


@app.command("budget-impact")
@handle_errors
def budget_impact_command(
    therapy: Annotated[str, typer.Option("--therapy", help="The new therapy (label or name).")],
    uptake: Annotated[
        str, typer.Option("--uptake", help="Uptake percentages of eligible patients.")
    ] = "10,20,30",
    members: Annotated[float, typer.Option("--members", help="Plan members.")] = 1_000_000,
    country: Annotated[str, typer.Option("--country", help="Plan's country.")] = "US",
    horizon: Annotated[int, typer.Option("--horizon", help="Years (1-5).")] = 3,
    start_year: Annotated[
        int | None, typer.Option("--start-year", help="First year (default: forecast start).")
    ] = None,
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Payers: budget impact of a new therapy for a plan, per year and per member per month."""
    shares = _percentages(uptake)
    result = _forecast(draws, seed, method, scenario, indication, db, allow_warnings)
    tables = budget_impact(
        result,
        therapy,
        country=country,
        members=members,
        uptake=shares,
        start_year=start_year,
        horizon=horizon,
    )
    where = f"{members:,.0f} members in {country}"
    if fmt is OutputFormat.table:
        tables = {name: for_reading(frame) for name, frame in tables.items()}
    _emit(
        {
            f"Budget impact by year, {where}": tables["by_year"],
            f"Budget impact over {horizon} years, {where}": tables["total"],
            "Cost per treated patient course (USD)": tables["cost_per_patient"],
        },
        fmt,
        out,
        "{:,.2f}",
    )


@app.command()
@handle_errors
def feasibility(
    patients: Annotated[int, typer.Option("--patients", help="Patients to enrol.")] = 60,
    sites: Annotated[int, typer.Option("--sites", help="Trial sites.")] = 20,
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="Segment(s) eligible (repeatable).")
    ] = None,
    population: Annotated[
        str, typer.Option("--population", help="diagnosed, treated or csf_confirmed.")
    ] = "diagnosed",
    region: Annotated[str, typer.Option("--region", help="Country or region.")] = "US",
    site_share: Annotated[
        float | None, typer.Option("--site-share", help="Share of national patients per site.")
    ] = None,
    year: YearOption = None,
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Pharma: eligible LM patients and the months a trial needs to enrol them."""
    if site_share is not None and not 0.0 < site_share <= 1.0:
        raise InputError(None, "--site-share", f"{site_share}: a proportion in (0, 1]")
    result = _forecast(draws, seed, method, scenario, indication, db, allow_warnings)
    table = trial_feasibility(
        result,
        n_patients=patients,
        sites=sites,
        segments=segment,
        region=region,
        population=population,
        year=year,
        site_share=site_share,
    )
    title = f"Feasibility: {patients} {population} patients at {sites} sites"
    _emit({title: table}, fmt, out, "{:,.1f}")


@app.command()
@handle_errors
def opportunities(
    top: Annotated[int, typer.Option("--top", help="Rows shown (0 = all).")] = 15,
    region: Annotated[str, typer.Option("--region", help="Countries ranked.")] = "7MM",
    year: YearOption = None,
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Pharma: white space, segment x country ranked by patients without a targeted option."""
    if top < 0:
        raise InputError(None, "--top", f"{top}: 0 (all) or a positive number of rows")
    result = _forecast(draws, seed, method, scenario, indication, db, allow_warnings)
    table = white_space(result, year=year, region=region, top=top or None)
    _emit({f"White space, {region}": table}, fmt, out, "{:,.2f}")


@app.command()
@handle_errors
def capacity(
    catchment: Annotated[
        float, typer.Option("--catchment", help="Population served (default 1M).")
    ] = 1_000_000,
    country: Annotated[str, typer.Option("--country", help="Country of the catchment.")] = "US",
    compare: Annotated[
        str | None,
        typer.Option("--compare", help="Second scenario shown beside (e.g. liquid_biopsy)."),
    ] = "liquid_biopsy",
    year: YearOption = None,
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Providers: LM work-ups, tests and intra-CSF procedures per catchment and year."""
    frames = {}
    for name in dict.fromkeys([scenario, compare] if compare else [scenario]):
        result = _forecast(draws, seed, method, name, indication, db, allow_warnings)
        table = provider_capacity(result, country=country, catchment=catchment, year=year)
        label = result.scenario.name
        frames[f"Capacity per {catchment:,.0f} people, scenario {label}"] = table.assign(
            scenario=label
        )
    _emit(frames, fmt, out, "{:,.1f}")


@app.command()
@handle_errors
def diagnostics(
    region: Annotated[str, typer.Option("--region", help="Country or region shown.")] = "7MM",
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """CSF liquid-biopsy and intra-CSF delivery markets (beside, never in, the drug market)."""
    result = _forecast(draws, seed, method, scenario, indication, db, allow_warnings)
    table = diagnostics_market(result)
    if fmt is not OutputFormat.table:
        write_frame(table, fmt, out)
        return
    k = result.knowledge
    place = k.display_name("country", region) if region in k.labels("country") else region
    if place not in set(table["place"]):
        raise InputError(None, "--region", f"{region!r}: choose a country or region")
    years = [y for y in k.indication.report_years or k.years[-3:]]
    shown = table[(table["place"] == place) & (table["year"].isin(years))]
    _emit({f"Diagnostics and delivery markets, {place}": shown}, fmt, out, "{:,.0f}")
