"""Build the market report (one offline HTML page and one Excel workbook).

The report is assembled once as a list of :class:`Section` objects (text,
figures and tables); :mod:`leptomarket.report.html` and
:mod:`leptomarket.report.excel` render the same sections, so both files hold
the same numbers. Every number is selected from a run's summary (or, for the
share of draws in which a pipeline therapy launches, counted over the kept
draws); nothing is computed here beyond presentation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from leptomarket import __version__
from leptomarket.api import run_market_forecast
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.run import Progress, RunSettings
from leptomarket.engine.sensitivity import Target, sobol_indices, tornado
from leptomarket.errors import LeptomarketError
from leptomarket.knowledge.external import load_external_estimates
from leptomarket.knowledge.loader import load_indication
from leptomarket.knowledge.model import Knowledge
from leptomarket.knowledge.triangulation import triangulation_table
from leptomarket.report import figures
from leptomarket.report.decisions import decision_findings, finding_lines
from leptomarket.report.reconciliation import ALL_LM, reconciliation_table, scope_table
from leptomarket.report.tables import (
    FUNNEL_METRICS,
    MILLION,
    assumption_table,
    drug_keys,
    funnel_table,
    headline_values,
    launch_shares,
    pipeline_table,
    primary_region,
    report_years,
    revenue_series,
    scenario_values,
    source_table,
    triangulation_frame,
)
from leptomarket.scenarios.scenario import Lever, Scenario, load_levers, scenario_names
from leptomarket.store.database import connect
from leptomarket.store.runs import RunRecord
from leptomarket.trials.landscape import TABLE_TITLES, landscape_figures, landscape_tables
from leptomarket.trials.refresh import ensure_snapshot
from leptomarket.trials.storage import list_snapshots, read_assets, read_studies

#: Column formats understood by the HTML and Excel faces.
FORMATS = ("text", "int", "dec1", "dec2", "pct", "year", "bool", "url", "row")

HTML_NAME = "report.html"
XLSX_NAME = "report.xlsx"


@dataclass
class ReportTable:
    """A table of the report.

    Attributes
    ----------
    sheet
        Excel sheet name (unique, at most 31 characters).
    title
        Caption shown above the table.
    frame
        The rows, numbers kept as numbers.
    formats
        Column -> one of :data:`FORMATS` (``text`` when absent); ``row`` takes the
        format from the row's ``_format`` column. Columns starting with ``_`` are
        not shown.
    headers
        Column -> header text shown to readers (the column name when absent).
    note
        Units and reading notes, shown under the caption.
    html_max_rows
        Show at most this many rows in the HTML page (all rows go to Excel).
    collapsed
        Render the HTML table folded (``<details>``), for long reference tables.
    """

    sheet: str
    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    html_max_rows: int | None = None
    collapsed: bool = False

    def header(self, column: str) -> str:
        """Reader-facing header of a column."""
        return self.headers.get(column, column)

    def format_of(self, column: str, row: int | None = None) -> str:
        """Format kind of a column (of one row, for ``row`` columns)."""
        kind = self.formats.get(column, "text")
        if kind == "row" and row is not None:
            return str(self.frame["_format"].iloc[row])
        return kind

    @property
    def columns(self) -> list[str]:
        """Columns shown to readers (those not starting with ``_``)."""
        return [str(c) for c in self.frame.columns if not str(c).startswith("_")]


@dataclass
class Section:
    """A section of the report: anchor, heading, paragraphs, figures and tables.

    ``paragraphs`` are plain text (escaped by the HTML face); ``cards`` are
    key figures ``(label, value, detail)``; ``references`` is a source table
    shown as a reference list.
    """

    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    cards: list[tuple[str, str, str]] = field(default_factory=list)
    references: pd.DataFrame | None = None


@dataclass
class ReportData:
    """Everything the report shows, already computed by the engine.

    Attributes
    ----------
    knowledge
        The indication's inputs (base case).
    record
        Record of the reported run.
    summary
        Long summary of the reported run.
    result
        Kept draws of the reported run (for the share of draws in which a
        pipeline therapy launches); optional.
    scenarios
        Scenario name -> summary, for the comparison (includes the reported run).
    scenario_specs
        Scenario name -> scenario (for the levers each one moves).
    landscape
        Pipeline landscape tables (``None`` when unavailable).
    snapshot
        Facts about the trial snapshot behind the landscape (source, date, counts).
    point_summary
        Summary of the same scenario with every input at its point value
        (``--draws 0``), shown beside the Monte Carlo mean; optional.
    tornado, sobol
        Sensitivity of the last report year's risk-adjusted drug market to each
        parameter (see :mod:`leptomarket.engine.sensitivity`); optional.
    """

    knowledge: Knowledge
    record: RunRecord
    summary: pd.DataFrame
    result: ForecastResult | None = None
    scenarios: dict[str, pd.DataFrame] = field(default_factory=dict)
    scenario_specs: dict[str, Scenario] = field(default_factory=dict)
    landscape: dict[str, pd.DataFrame] | None = None
    snapshot: dict[str, Any] | None = None
    tornado: pd.DataFrame | None = None
    sobol: pd.DataFrame | None = None
    point_summary: pd.DataFrame | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class ReportOutcome:
    """Paths written by :func:`run_report` and the headline numbers."""

    html: Path
    xlsx: Path
    headline: str
    data: ReportData


SECTION_TITLES = {
    "summary": "Executive summary",
    "epidemiology": "Epidemiology: the LM patient funnel",
    "scope": "Scope: solid-tumour LM and haematological CNS disease",
    "market-class": "Market by therapy class",
    "market-company": "Market by company",
    "pipeline": "Pipeline launches and their risk",
    "scenarios": "Scenario comparison",
    "sensitivity": "Sensitivity: which inputs matter",
    "decisions": "Decision views: investors, payers, pharma, providers",
    "landscape": "Pipeline landscape (ClinicalTrials.gov)",
    "reconciliation": "Reconciliation with published estimates",
    "methods": "Methods and assumptions",
    "sources": "Sources",
}


def _money(value: float) -> str:
    """USD millions as text (thousands for markets below USD 0.1M)."""
    if abs(value) < 0.1:
        return f"USD {value * 1000:,.1f}K"
    return f"USD {value:,.1f}M"


def _names(knowledge: Knowledge, dimension: str) -> dict[str, str]:
    return {
        label: knowledge.display_name(dimension, label) for label in knowledge.labels(dimension)
    }


def _point_paragraph(data: ReportData, region: str, first: int, last: int) -> list[str]:
    """The point estimate beside the Monte Carlo mean, and why they differ."""
    if data.point_summary is None:
        return []
    mean = headline_values(data.summary, region, data.knowledge).set_index(["measure", "year"])
    point = headline_values(data.point_summary, region, data.knowledge)
    point = point.set_index(["measure", "year"])
    mean_first = _money(mean.loc[("Drug market", first), "mean"])
    return [
        f"Two base cases: the Monte Carlo mean is {mean_first} "
        f"in {first} and {_money(mean.loc[('Drug market', last), 'mean'])} in {last}; the point "
        f"estimate (every input at its point value, `--draws 0`, as in the tornado) is "
        f"{_money(point.loc[('Drug market', first), 'mean'])} and "
        f"{_money(point.loc[('Drug market', last), 'mean'])}. They differ because the market "
        "multiplies right-skewed inputs (LM risk, months on therapy, prices): the mean of a "
        "product of skewed inputs exceeds the product of their point values.",
    ]


def _summary_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    years = report_years(k)
    first, last = years[0], years[-1]
    values = headline_values(data.summary, region, k)
    by = values.set_index(["measure", "year"])
    drug_last = by.loc[("Drug market", last)]
    cards = [
        (
            f"Drug market {last}",
            _money(drug_last["mean"]),
            f"5–95%: {_money(drug_last['p05'])} – {_money(drug_last['p95'])}",
        ),
        (
            f"Risk-adjusted {last}",
            _money(by.loc[("Drug market, risk-adjusted", last), "mean"]),
            "pipeline weighted by probability of success",
        ),
    ]
    growth = values[values["measure"].str.startswith("Drug market CAGR")]
    if not growth.empty:
        cards.append((f"CAGR {first}–{last}", f"{growth['mean'].iloc[0]:.1%}", "of the means"))
    treated = by.loc[("Treated LM patients", last)]
    cards.append(
        (
            f"Treated LM patients {last}",
            f"{treated['mean']:,.0f}",
            f"5–95%: {treated['p05']:,.0f}–{treated['p95']:,.0f}",
        )
    )
    kinds = {"USD M": "dec1", "%/year": "pct", "%": "pct", "cases/year": "int"}
    table = values.assign(_format=values["unit"].map(kinds).fillna("dec1"))
    drug_first = by.loc[("Drug market", first)]
    paragraphs = [
        f"{k.indication.title}: the {region} drug market is estimated at "
        f"{_money(drug_first['mean'])} in {first} and {_money(drug_last['mean'])} in {last} "
        f"(mean; 5–95% interval {_money(drug_last['p05'])} – {_money(drug_last['p95'])}). "
        "The drug market is revenue of therapies whose market is 'drug' (procedures such as "
        "radiotherapy and supportive care are reported apart).",
        *_scope_paragraph(data, region, last),
        "Risk-adjusted values weight each pipeline therapy by its probability of success; "
        "the mean and interval draw launches at random with that probability.",
        *_point_paragraph(data, region, first, last),
        f"Scenario '{data.record.scenario}', {data.record.n_draws:,} draws "
        f"({data.record.method}), seed {data.record.seed}. "
        "Money is in US dollars per year (nominal list-price based revenue); cases are "
        "patients per year.",
    ]
    return Section(
        anchor="summary",
        title=SECTION_TITLES["summary"],
        paragraphs=paragraphs,
        cards=cards,
        tables=[
            ReportTable(
                sheet="a_summary",
                title=f"Headline figures, {region}",
                frame=table,
                formats={"year": "year", "mean": "row", "p05": "row", "p95": "row"},
                headers={"p05": "5th pct", "p95": "95th pct"},
                note="USD M = US dollars, millions per year. Intervals are 5th–95th percentiles "
                "of the draws; CAGR is computed on the means.",
            )
        ],
    )


def _scope_paragraph(data: ReportData, region: str, year: int) -> list[str]:
    """The headline's scope in one sentence, with the solid / haematological split."""
    scopes = scope_table(data.summary, data.knowledge, region, [year])
    if scopes.empty:
        return []
    totals = scopes[scopes["segment"].str.startswith("All ") & (scopes["scope"] != ALL_LM)]
    split = "; ".join(
        f"{row.scope} {_money(row.drug_market / MILLION)} ({row.diagnosed:,.0f} diagnosed)"
        for row in totals.itertuples()
    )
    return [
        "Scope: the LM drug market counts the LM-attributable months of systemic and "
        "intra-CSF drug therapy of diagnosed LM patients (months on a therapy after LM "
        "diagnosis, not the drug's other use), at list prices. Solid-tumour LM and "
        "haematological CNS disease are treated apart by guidelines and reported apart "
        f"here; in {year}: {split}."
    ]


def _scope_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    years = report_years(k)
    frame = scope_table(data.summary, k, region, years)
    return Section(
        anchor="scope",
        title=SECTION_TITLES["scope"],
        paragraphs=[
            "Diagnosed LM patients and the drug market by the segment the patients come "
            "from, with solid-tumour LM and haematological CNS disease (leukaemia and "
            "lymphoma, where intrathecal chemotherapy dominates and CNS prophylaxis is a "
            "separate, larger use not counted here) shown apart. Means of the draws; the "
            "drug market with its 5–95% interval.",
        ],
        tables=[
            ReportTable(
                sheet="b_scope_segments",
                title=f"Diagnosed LM and drug market by scope and segment, {region}",
                frame=frame,
                formats={
                    "year": "year",
                    "diagnosed": "int",
                    "drug_market": "int",
                    "drug_market_p05": "int",
                    "drug_market_p95": "int",
                },
                headers={
                    "scope": "Scope",
                    "segment": "Segment",
                    "year": "Year",
                    "diagnosed": "Diagnosed LM (cases/year)",
                    "drug_market": "Drug market (USD/year)",
                    "drug_market_p05": "5th pct",
                    "drug_market_p95": "95th pct",
                },
                note="Cases per year; US dollars per year (nominal, list prices).",
            )
        ],
    )


def _reconciliation_section(data: ReportData) -> Section | None:
    k = data.knowledge
    frame = reconciliation_table(data.summary, k)
    if frame.empty:
        return None
    paragraphs = [
        "Published figures put beside the model's figure for the same scope. They are "
        "never inputs. Where a figure states its patients, the gap is split into a "
        "patients ratio and a value-per-patient ratio (external / model = patients "
        "ratio x value-per-patient ratio); for a product's sales, model / external is "
        "the share of the product that the model attributes to LM, which must be small "
        "for a drug with large other indications."
    ]
    market = frame[frame["patients_ratio"].notna()]
    for row in market.itertuples():
        larger = (
            "patient count"
            if abs(math.log(row.patients_ratio)) >= abs(math.log(row.per_patient_ratio))
            else "value per patient"
        )
        paragraphs.append(
            f"{row.estimate} ({row.year}): {_money(row.external / MILLION)} against the "
            f"model's {_money(row.model / MILLION)}, {row.external_to_model:.1f}x; its patient "
            f"count is {row.patients_ratio:.1f}x the model's and its value per patient "
            f"{row.per_patient_ratio:.2f}x, so most of the gap is in the {larger}."
        )
    return Section(
        anchor="reconciliation",
        title=SECTION_TITLES["reconciliation"],
        paragraphs=paragraphs,
        tables=[
            ReportTable(
                sheet="i_reconciliation",
                title="Model against published estimates of the same scope",
                frame=frame,
                formats={
                    "year": "year",
                    "model_year": "year",
                    "external": "dec1",
                    "model": "dec1",
                    "external_to_model": "dec2",
                    "patients_ratio": "dec2",
                    "per_patient_ratio": "dec2",
                    "lm_share": "pct",
                },
                headers={
                    "estimate": "Published estimate",
                    "kind": "Kind",
                    "region": "Region",
                    "year": "Year",
                    "model_year": "Model year",
                    "unit": "Unit",
                    "external": "Published value",
                    "model": "Model, same scope",
                    "external_to_model": "Published / model",
                    "patients_ratio": "Patients ratio",
                    "per_patient_ratio": "Value per patient ratio",
                    "lm_share": "Model / product sales",
                    "scope": "Scope and caveats",
                    "source": "Source",
                },
                note=(
                    "Values in the estimate's unit (USD per year, patients or admissions per "
                    "year). The model year is the estimate's year, or the nearest model year."
                ),
            )
        ],
    )


def _triangulation_table(knowledge: Knowledge) -> list[ReportTable]:
    frame = triangulation_frame(knowledge)
    if frame.empty:
        return []
    return [
        ReportTable(
            sheet="b_lm_risk_triangulation",
            title="LM risk per segment: the model's estimate beside independent methods",
            frame=frame,
            formats={
                "per_1000": "dec2",
                "low_per_1000": "dec2",
                "high_per_1000": "dec2",
                "chosen": "bool",
            },
            headers={
                "segment": "Segment",
                "method": "Method",
                "per_1000": "LM per 1,000 incident cases",
                "low_per_1000": "Low",
                "high_per_1000": "High",
                "chosen": "Used by the model",
                "sources": "Sources",
                "note": "Why chosen / what it measures",
            },
            note=(
                "Probability that a newly diagnosed patient of the segment is ever diagnosed "
                "with LM, per 1,000, before the time trend. The model's row is computed from "
                "its parameters (share reaching advanced disease x LM among them); its range "
                "multiplies the two lows and the two highs."
            ),
        )
    ]


def _epidemiology_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    years = report_years(k)
    funnel = funnel_table(data.summary, k, years)
    countries = k.labels("country")
    figs = [(f"Funnel {years[-1]}", figures.funnel_figure(funnel, countries, years[-1]))]
    if len(years) > 1:
        figs.insert(0, (f"Funnel {years[0]}", figures.funnel_figure(funnel, countries, years[0])))
    return Section(
        anchor="epidemiology",
        title=SECTION_TITLES["epidemiology"],
        paragraphs=[
            "Incident LM cases are the symptomatic leptomeningeal metastases arising from the "
            "modelled primary tumours that MRI and CSF tests could find; diagnosed cases are "
            "those confirmed (MRI first, CSF cytology and, where adopted, CSF liquid biopsy "
            "when MRI is not diagnostic); treated patients are diagnosed patients who receive "
            "LM-directed therapy. Means of the draws; regions are summed draw by draw.",
            "Each segment's LM risk comes from its own tumour-specific evidence where it "
            "exists (the share of patients who reach advanced disease times the cumulative "
            "incidence of LM among them); the breast-anchored case-mix ratio of the first "
            "release is kept beside it as an independent estimate. The risks count LM as "
            "diagnosed in series that used MRI and cytology, so diagnosis is applied once: "
            "without liquid biopsy, diagnosed cases are the series' rate times the work-up "
            "rate. CNS-active therapies lower the risk where evidence quantifies it "
            "(osimertinib in EGFR-mutant NSCLC, HR 0.38; alectinib in ALK+, HR 0.16).",
        ],
        figures=figs,
        tables=[
            ReportTable(
                sheet="b_epidemiology",
                title=f"LM patient funnel by country and region, {', '.join(map(str, years))}",
                frame=funnel,
                formats={
                    "year": "year",
                    **dict.fromkeys([*FUNNEL_METRICS, "treated_p05", "treated_p95"], "int"),
                },
                headers={
                    **FUNNEL_METRICS,
                    "treated_p05": "Treated, 5th pct",
                    "treated_p95": "Treated, 95th pct",
                },
                note="Cases per year (means; treated with the 5–95% interval).",
            ),
            *_triangulation_table(k),
        ],
    )


def _class_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    classes = drug_keys(k, "class")
    series = revenue_series(data.summary, region, "class", classes)
    total = revenue_series(data.summary, region, "market", ["drug"])
    years = report_years(k)
    fan = figures.fan_chart(
        series,
        total,
        {},
        f"Drug market by therapy class, {region} (mean and 5–95% band)",
    )
    table = series.rename(columns={"key": "class"})
    table = table[table["year"].isin(years)]
    order = table[table["year"] == years[-1]].sort_values("mean", ascending=False)["class"]
    rank = {name: i for i, name in enumerate(order)}
    table = table.sort_values(
        ["class", "year"], key=lambda c: c.map(rank) if c.name == "class" else c
    )
    table = table.reset_index(drop=True)
    return Section(
        anchor="market-class",
        title=SECTION_TITLES["market-class"],
        paragraphs=[
            f"Revenue of each therapy class in the {region}, every model year. Lines are the "
            "means of the draws; shaded bands are the 5th–95th percentiles of the total drug "
            "market (grey) and of the four largest classes (the others are drawn as lines; all "
            "intervals are in the table). Bands of classes are not additive: the total's "
            "interval is computed on the summed draws.",
        ],
        figures=[("Market by class", fan)],
        tables=[
            ReportTable(
                sheet="c_market_class",
                title=f"Revenue by therapy class, {region}, report years (USD M)",
                frame=table,
                formats={
                    "year": "year",
                    **dict.fromkeys(["mean", "p05", "p50", "p95", "risk-adjusted"], "dec1"),
                },
                headers={"p05": "5th pct", "p50": "median", "p95": "95th pct"},
                note="USD millions per year. All model years are in the summary_long sheet.",
            )
        ],
    )


def _company_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    years = report_years(k)
    last = years[-1]
    series = revenue_series(data.summary, region, "company", drug_keys(k, "company"))
    table = series[series["year"].isin(years)].rename(columns={"key": "company"})
    table = table[(table["mean"] > 0) | (table["risk-adjusted"] > 0)]
    table = table.sort_values(["year", "mean"], ascending=[True, False]).reset_index(drop=True)
    latest = table[table["year"] == last]
    return Section(
        anchor="market-company",
        title=SECTION_TITLES["market-company"],
        paragraphs=[
            f"Drug revenue by marketing company in the {region} in {last}: mean with its 5–95% "
            "interval, and the risk-adjusted value (pipeline assets weighted by their probability "
            "of success). 'Generic' groups off-patent products of several makers.",
        ],
        figures=[("Market by company", figures.company_figure(latest, last))],
        tables=[
            ReportTable(
                sheet="d_market_company",
                title=f"Drug revenue by company, {region} (USD M)",
                frame=table.drop(columns=["p50"]),
                formats={
                    "year": "year",
                    **dict.fromkeys(["mean", "p05", "p95", "risk-adjusted"], "dec1"),
                },
                headers={"p05": "5th pct", "p95": "95th pct"},
                note="USD millions per year.",
            )
        ],
    )


def _pipeline_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    last = report_years(k)[-1]
    shares = (
        launch_shares(data.result.market["revenue"], k, region, last)
        if data.result is not None
        else None
    )
    table = pipeline_table(data.summary, k, region, last, shares)
    section = Section(
        anchor="pipeline",
        title=SECTION_TITLES["pipeline"],
        paragraphs=[
            "Therapies still in development. Each draw launches a pipeline therapy with its "
            "probability of success (PoS); the launch year is the modelled first year of uptake "
            f"(US, or the first country). Revenue is for the {region} in {last}: mean over all "
            "draws (including those without a launch), 95th percentile, risk-adjusted value "
            "(revenue if launched × PoS) and the share of draws in which the therapy has revenue.",
        ],
    )
    if table.empty:
        section.paragraphs.append("The indication has no pipeline therapies.")
        return section
    section.figures.append(("Pipeline", figures.pipeline_figure(table, last)))
    section.tables.append(
        ReportTable(
            sheet="e_pipeline",
            title=f"Pipeline therapies, {region}, {last}",
            frame=table,
            formats={
                "probability_of_success": "pct",
                "pos_low": "pct",
                "pos_high": "pct",
                "launch_year": "year",
                "mean": "dec1",
                "p95": "dec1",
                "risk-adjusted": "dec1",
                "launched_share": "pct",
            },
            headers={
                "probability_of_success": "PoS",
                "pos_low": "PoS low",
                "pos_high": "PoS high",
                "pos_basis": "PoS basis",
                "launch_year": "Launch year",
                "mean": f"Mean {last}, USD M",
                "p95": f"95th pct {last}, USD M",
                "risk-adjusted": f"Risk-adjusted {last}, USD M",
                "launched_share": "Launched in % of draws",
            },
            note="USD millions per year. PoS = probability of success (input).",
        )
    )
    return section


def _lever_rows(specs: dict[str, Scenario], levers: dict[str, Lever]) -> pd.DataFrame:
    rows = []
    for name, scenario in specs.items():
        spec = scenario.spec
        for lever, intensity in spec.levers.items():
            known = levers.get(lever)
            rows.append(
                {
                    "scenario": name,
                    "lever": lever,
                    "kind": known.kind if known else "",
                    "intensity": intensity,
                    "direction": known.direction if known else "",
                    "description": known.description if known else "",
                }
            )
        for edit in spec.edits:
            rows.append(
                {
                    "scenario": name,
                    "lever": f"edit: {edit.parameter}",
                    "kind": "edit",
                    "intensity": edit.amount,
                    "direction": f"{edit.operation} {edit.amount:g}",
                    "description": edit.assumption or "; ".join(edit.source or []),
                }
            )
        for override in spec.overrides:
            rows.append(
                {
                    "scenario": name,
                    "lever": f"override: {override.parameter}",
                    "kind": "override",
                    "intensity": override.value,
                    "direction": ", ".join(f"{a}={b}" for a, b in override.where.items()),
                    "description": override.assumption or override.note or "",
                }
            )
    columns = ["scenario", "lever", "kind", "intensity", "direction", "description"]
    return pd.DataFrame(rows, columns=columns)


def _scenario_section(data: ReportData, region: str) -> Section:
    k = data.knowledge
    years = report_years(k)
    first, last = years[0], years[-1]
    summaries = data.scenarios or {data.record.scenario: data.summary}
    values = scenario_values(summaries, region, k)
    specs = data.scenario_specs
    descriptions = {name: spec.description for name, spec in specs.items()}
    values.insert(1, "description", values["scenario"].map(descriptions).fillna(""))
    levers = _lever_rows(specs, load_levers(k))
    paragraphs = [
        "Every scenario is run with the same seed as the base case, so differences come from "
        "the scenario's levers and edits, not from sampling noise.",
    ]
    if len(summaries) == 1:
        paragraphs.append(
            "The indication bundles no other scenario, so only the reported run is shown."
        )
    tables = [
        ReportTable(
            sheet="f_scenarios",
            title=f"Scenario comparison, {region}",
            frame=values,
            formats={
                f"drug_market_{first}": "dec1",
                f"drug_market_{last}": "dec1",
                f"p05_{last}": "dec1",
                f"p95_{last}": "dec1",
                f"risk_adjusted_{last}": "dec1",
                "cagr": "pct",
                f"diagnosed_{last}": "int",
                f"treated_{last}": "int",
            },
            headers={
                f"drug_market_{first}": f"Drug market {first}, USD M",
                f"drug_market_{last}": f"Drug market {last}, USD M",
                f"p05_{last}": f"5th pct {last}",
                f"p95_{last}": f"95th pct {last}",
                f"risk_adjusted_{last}": f"Risk-adjusted {last}, USD M",
                "cagr": f"CAGR {first}–{last}",
                f"diagnosed_{last}": f"Diagnosed LM {last}",
                f"treated_{last}": f"Treated LM {last}",
            },
            note="USD millions per year (means, with the 5–95% interval of the last year).",
        ),
        ReportTable(
            sheet="f_levers",
            title="Levers, edits and overrides each scenario moves",
            frame=levers,
            formats={"intensity": "dec2"},
            note="Lever intensity scales the lever's documented effects (1 = as documented).",
        ),
    ]
    if levers.empty:
        paragraphs.append("No scenario moves a lever.")
    return Section(
        anchor="scenarios",
        title=SECTION_TITLES["scenarios"],
        paragraphs=paragraphs,
        figures=[("Scenarios", figures.scenario_figure(values, last))],
        tables=tables,
    )


LANDSCAPE_SHEETS = {
    "phase_by_modality": ("g_phase_modality", None),
    "big_companies": ("g_big_companies", None),
    "lm_focused_leaders": ("g_lm_leaders", 15),
    "asset_trials": ("g_asset_trials", None),
    "companies": ("g_companies", 25),
    "company_types": ("g_company_types", None),
    "start_timeline": ("g_start_timeline", None),
}


def _landscape_section(data: ReportData) -> Section:
    section = Section(anchor="landscape", title=SECTION_TITLES["landscape"])
    if data.landscape is None:
        section.paragraphs.append("No trial snapshot was available for this report.")
        return section
    snap = data.snapshot or {}
    big = data.landscape["big_companies"]
    active = big.loc[big["has_lm_activity"], "company"].tolist()
    section.paragraphs = [
        "Interventional and observational studies of leptomeningeal disease and the curated "
        "pipeline assets, from the trial snapshot "
        f"{snap.get('snapshot_id', '')} (source: {snap.get('source', 'unknown')}, "
        f"taken {str(snap.get('created_at', ''))[:16]} UTC; {snap.get('n_studies', '?')} studies, "
        f"{snap.get('n_assets', '?')} assets). Counts are of trials, not patients.",
        "Large companies with an LM trial (lead or collaborator) or an owned LM asset: "
        + (", ".join(active) if active else "none")
        + ".",
    ]
    section.figures = figures.restyle(landscape_figures(data.landscape))
    for name, (sheet, limit) in LANDSCAPE_SHEETS.items():
        frame = data.landscape.get(name)
        if frame is None:
            continue
        section.tables.append(
            ReportTable(
                sheet=sheet,
                title=TABLE_TITLES.get(name, name),
                frame=frame,
                formats={
                    c: "bool" if frame[c].dtype == bool else "int"
                    for c in frame.columns
                    if pd.api.types.is_numeric_dtype(frame[c]) and c != "start_year"
                }
                | ({"start_year": "year"} if "start_year" in frame.columns else {}),
                html_max_rows=limit,
                collapsed=name in {"asset_trials", "companies", "company_types"},
                note=""
                if limit is None
                else f"The page shows the first {limit} rows; "
                f"all {len(frame)} are in the workbook.",
            )
        )
    return section


def _methods_section(data: ReportData) -> Section:
    k = data.knowledge
    record = data.record
    assumptions = assumption_table(k)
    run = pd.DataFrame(
        [
            ("Indication", f"{k.indication.title} ({k.name})"),
            ("Scenario", record.scenario),
            ("Draws", f"{record.n_draws:,}"),
            ("Sampling method", record.method),
            ("Seed", str(record.seed)),
            ("Run id", record.run_id),
            ("Inputs hash", record.inputs_hash),
            ("Package version", record.package_version or __version__),
            ("Model years", f"{k.indication.years[0]}–{k.indication.years[1]}"),
            ("Report years", ", ".join(map(str, report_years(k)))),
            ("Countries", ", ".join(k.labels("country"))),
            (
                "Regions",
                "; ".join(f"{r}: {', '.join(m)}" for r, m in k.indication.regions.items()),
            ),
            ("Report built", data.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        ],
        columns=["item", "value"],
    )
    n_parameters = assumptions["parameter"].nunique() if not assumptions.empty else 0
    paragraphs = [
        "The forecast is patient-based: incident LM cases by country, year and tumour segment "
        "(primary-tumour incidence × LM risk), the share diagnosed and the share treated; "
        "treated patients are split over therapy groups and therapies (with analogue uptake "
        "curves for launching therapies and probability of success for pipeline therapies), "
        "and revenue = patients × months of therapy × compliance × monthly price × country "
        "price index, eroded after loss of exclusivity.",
        "Every input is a parameter row with a value, a range and a source or an assumption; "
        "the Monte Carlo draws sample every row from its distribution and keep the draws; "
        "means and 5–95% percentiles are taken on the kept draws, and totals (regions, classes) "
        "are summed draw by draw before percentiles are taken.",
        f"{len(assumptions)} parameter rows in {n_parameters} parameters rest on an analyst "
        "assumption (some also cite a source, marked 'sourced'); their reasoning is listed below.",
    ]
    return Section(
        anchor="methods",
        title=SECTION_TITLES["methods"],
        paragraphs=paragraphs,
        tables=[
            ReportTable(sheet="h_run", title="Run", frame=run),
            ReportTable(
                sheet="h_assumptions",
                title="Parameter rows resting on analyst assumptions",
                frame=assumptions,
                formats={"value": "dec2", "low": "dec2", "high": "dec2", "sourced": "bool"},
                collapsed=len(assumptions) > 25,
                note="Values are in the parameter's unit.",
            ),
        ],
    )


def _sources_section(data: ReportData) -> Section:
    k = data.knowledge
    extra: dict[str, set[str]] = {}
    for lever_name, lever in load_levers(k).items():
        for effect in lever.effects:
            for key in effect.source or []:
                extra.setdefault(key, set()).add(f"lever {lever_name}")
    for row in triangulation_table(k):
        for key in row.sources:
            extra.setdefault(key, set()).add("LM-risk triangulation")
    for estimate in load_external_estimates(k.root):
        extra.setdefault(estimate.source, set()).add("reconciliation (not an input)")
    sources = source_table(k, extra)
    return Section(
        anchor="sources",
        title=SECTION_TITLES["sources"],
        paragraphs=[
            f"Every number in this report traces to these {len(sources)} sources, through the "
            "parameter rows that cite them (the 'cited by' column), or to an analyst assumption "
            "listed under methods and assumptions.",
        ],
        references=sources,
        tables=[
            ReportTable(
                sheet="sources",
                title="Sources cited by the parameters",
                frame=sources,
                formats={"year": "year", "url": "url"},
                collapsed=True,
            )
        ],
    )


def _sensitivity_section(data: ReportData, region: str) -> Section:
    """Tornado (one parameter at a time) and Sobol' indices (all at once)."""
    from leptomarket.report.figures import tornado_figure

    year = report_years(data.knowledge)[-1]
    tornado = data.tornado.assign(
        **{c: data.tornado[c] / 1e6 for c in ("base", "at_p05", "at_p95", "swing")}
    )
    top = tornado.head(12)
    section = Section(
        anchor="sensitivity",
        title=SECTION_TITLES["sensitivity"],
        paragraphs=[
            f"How the {region} risk-adjusted drug market in {year} moves with each parameter "
            "(all rows of a parameter file move together). Tornado: every input at its point "
            "value, then one parameter at the 5th and at the 95th percentile of its "
            "distribution. Sobol' indices: the share of the output's variance due to each "
            "parameter alone (S1) and with its interactions (ST), from SALib's estimators on "
            "the same sampling contract; they assume parameters are independent, as they "
            "are sampled.",
        ],
        figures=[
            (
                "tornado",
                tornado_figure(top, f"Tornado: {region} drug market {year}, risk-adjusted"),
            )
        ],
        tables=[
            ReportTable(
                sheet="sensitivity_tornado",
                title=f"Tornado, {region} drug market {year} (risk-adjusted, USD M)",
                frame=tornado[["parameter", "base", "at_p05", "at_p95", "swing"]],
                formats={c: "dec1" for c in ("base", "at_p05", "at_p95", "swing")},
                headers={"at_p05": "at 5th pct", "at_p95": "at 95th pct"},
                note="USD M per year; base = every input at its point value.",
                html_max_rows=12,
            )
        ],
    )
    if data.sobol is not None:
        section.tables.append(
            ReportTable(
                sheet="sensitivity_sobol",
                title=f"Sobol' indices, {region} drug market {year} (risk-adjusted)",
                frame=data.sobol,
                formats={c: "dec2" for c in ("S1", "S1_conf", "ST", "ST_conf")},
                headers={"S1_conf": "S1 ± (95%)", "ST_conf": "ST ± (95%)"},
                note="Share of variance; ± is the bootstrap 95% half-width.",
                html_max_rows=12,
            )
        )
    return section


def _interval_table(
    sheet: str, title: str, frame: pd.DataFrame, note: str, fmt: str
) -> ReportTable:
    formats = {c: fmt for c in ("mean", "p05", "p50", "p95") if c in frame.columns}
    formats |= {"year": "year"} if "year" in frame.columns else {}
    return ReportTable(
        sheet=sheet,
        title=title,
        frame=frame.drop(columns=[c for c in ("p50",) if c in frame.columns]),
        formats=formats,
        headers={"p05": "5th pct", "p95": "95th pct", "mean": "Mean"},
        note=note,
    )


def _decisions_section(data: ReportData, region: str) -> Section:
    result = data.result
    assert result is not None
    year = 2030 if 2030 in report_years(data.knowledge) else report_years(data.knowledge)[-1]
    found = decision_findings(result, region)
    value = found["value"]["assets"].copy()
    money = ["expected_npv_usd", "p05_usd", "p50_usd", "p95_usd"]
    value[money] = value[money] / 1e6
    tables = [
        ReportTable(
            sheet="d_value",
            title="Investors: risk-adjusted NPV of pipeline assets (USD M)",
            frame=value.drop(columns=["p50_usd"]),
            formats={**dict.fromkeys(money, "dec1"), "probability_npv_positive": "pct"},
            headers={
                "expected_npv_usd": "Expected NPV (rNPV)",
                "p05_usd": "5th pct",
                "p95_usd": "95th pct",
                "probability_npv_positive": "P(NPV > 0)",
            },
            note="LM revenue only, to the model horizon; trial costs by stage (Martin 2017), "
            "finance shares (Ledley 2020), discount rate 8-12%.",
        )
    ]
    if found["budget"] is not None:
        total = found["budget"]["total"]
        tables.append(
            _interval_table(
                "d_budget_impact",
                f"Payers: budget impact of {found['budget_asset']}, 1M members, "
                f"{found['budget_years'][0]}-{found['budget_years'][1]} (USD)",
                total.assign(uptake=total["uptake"] * 100),
                "Sum over the horizon (budget_impact_usd) and average per member per month.",
                "dec2",
            )
        )
    names = {m: m.replace("_", " ") for m in found["feasibility"]["metric"]}
    tables.append(
        _interval_table(
            "d_feasibility",
            f"Pharma: enrolling 60 {found['segment']} LM patients at 20 sites",
            found["feasibility"].assign(metric=found["feasibility"]["metric"].map(names)),
            "Unger 2019 eligibility and Unger 2021 consent; a site sees 0.5% of national patients.",
            "dec1",
        )
    )
    tables.append(
        ReportTable(
            sheet="d_white_space",
            title=f"Pharma: white space, {region} (top 5)",
            frame=found["white_space"],
            formats={
                "year": "year",
                "treated_patients": "int",
                "share_with_targeted_option": "pct",
                "patients_without_targeted_option": "int",
                "drug_usd_per_treated_patient": "int",
                "trials": "int",
                "active_trials": "int",
                "pipeline_assets": "int",
                "rank": "int",
            },
            note="Ranked by treated patients without a CNS-active targeted option.",
        )
    )
    capacity = found["capacity"]
    tables.append(
        _interval_table(
            "d_capacity",
            "Providers: LM work-ups, tests and procedures per 1M people",
            capacity.assign(metric=capacity["metric"].str.replace("_", " ")),
            "Counts per year for a catchment of 1,000,000 people.",
            "dec1",
        )
    )
    market = found["market"]
    market = market[(market["place"] == region) & market["year"].isin(report_years(data.knowledge))]
    tables.append(
        _interval_table(
            "d_diagnostics",
            f"CSF diagnostics and intra-CSF delivery markets, {region}",
            market.assign(
                market=market["market"].str.replace("_", " "),
                metric=market["metric"].str.replace("_", " "),
            ),
            "Beside the drug market, never added to it. Revenue in USD.",
            "int",
        )
    )
    return Section(
        anchor="decisions",
        title=SECTION_TITLES["decisions"],
        paragraphs=[
            "Findings computed from the reported run's draws (see docs/decisions.md):",
            *finding_lines(found, region, year),
        ],
        tables=tables,
    )


def _has_scope(data: ReportData) -> bool:
    return bool((data.summary["metric"] == "drug_revenue_by_segment").any())


def report_sections(data: ReportData) -> list[Section]:
    """The report's sections, in order (executive summary to sources)."""
    region = primary_region(data.knowledge)
    return [
        _summary_section(data, region),
        _epidemiology_section(data, region),
        *([_scope_section(data, region)] if _has_scope(data) else []),
        _class_section(data, region),
        _company_section(data, region),
        _pipeline_section(data, region),
        _scenario_section(data, region),
        *([_sensitivity_section(data, region)] if data.tornado is not None else []),
        *([_decisions_section(data, region)] if data.result is not None else []),
        _landscape_section(data),
        *[section for section in [_reconciliation_section(data)] if section is not None],
        _methods_section(data),
        _sources_section(data),
    ]


def headline_text(data: ReportData) -> str:
    """One line: the drug market in the first and last report years and the CAGR."""
    k = data.knowledge
    region = primary_region(k)
    values = headline_values(data.summary, region, k).set_index(["measure", "year"])
    years = report_years(k)
    first, last = years[0], years[-1]
    start = values.loc[("Drug market", first)]
    end = values.loc[("Drug market", last)]
    text = (
        f"{region} drug market {first}: {_money(start['mean'])}; {last}: {_money(end['mean'])} "
        f"(5–95% {_money(end['p05'])} – {_money(end['p95'])})"
    )
    growth = values.reset_index()
    growth = growth[growth["measure"].str.startswith("Drug market CAGR")]
    if not growth.empty:
        text += f"; CAGR {growth['mean'].iloc[0]:.1%}"
    return f"{text} [scenario {data.record.scenario}, {data.record.n_draws:,} draws]"


def build_report(out_dir: str | Path, data: ReportData) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.xlsx`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed).
    data
        The runs, landscape and inputs to show.

    Returns
    -------
    tuple of Path
        Absolute paths of the HTML page and the workbook.
    """
    from leptomarket.report.excel import write_workbook
    from leptomarket.report.html import write_html

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    sections = report_sections(data)
    html_path = write_html(out / HTML_NAME, sections, data)
    xlsx_path = write_workbook(out / XLSX_NAME, sections, data)
    return html_path, xlsx_path


def load_landscape(
    db: str | Path | None,
) -> tuple[dict[str, pd.DataFrame] | None, dict[str, Any] | None]:
    """Landscape tables of the store's current trial snapshot (the bundled one on first use)."""
    con = connect(db)
    try:
        snapshot_id = ensure_snapshot(con)
        tables = landscape_tables(read_studies(con), read_assets(con))
        snapshots = list_snapshots(con)
    finally:
        con.close()
    row = snapshots[snapshots["snapshot_id"] == snapshot_id]
    info = row.iloc[0].to_dict() if not row.empty else {"snapshot_id": snapshot_id}
    return tables, info


ProgressFactory = Callable[[str], AbstractContextManager[Progress | None]]


def run_report(
    out_dir: str | Path,
    settings: RunSettings,
    scenario: str | Path | None = None,
    indication: str | Path = "lm",
    db: str | Path | None = None,
    knowledge: Knowledge | None = None,
    progress: ProgressFactory | None = None,
    store: bool = True,
) -> ReportOutcome:
    """Run the reported scenario and every bundled scenario, then build the report.

    Parameters
    ----------
    scenario
        Scenario to report (bundled name or YAML path); the bundled ``base``
        if the indication has one, else the built-in base case.
    progress
        ``progress(label)`` returns a context manager yielding a draw-progress
        callback (or ``None``), e.g. the CLI's progress bar.
    store
        Store every run in the DuckDB store.
    """
    knowledge = knowledge or load_indication(indication)
    bundled = scenario_names(knowledge)
    if scenario is None and "base" in bundled:
        scenario = "base"

    def bar(label: str) -> AbstractContextManager[Progress | None]:
        return progress(label) if progress is not None else nullcontext(None)

    label = str(scenario or "base")
    with bar(f"scenario {Path(label).stem}") as callback:
        record, result, summary = run_market_forecast(
            settings, scenario, knowledge=knowledge, db=db, store=store, progress=callback
        )
    summaries = {record.scenario: summary}
    specs = {record.scenario: result.scenario}
    for name in bundled:
        if name in summaries:
            continue
        with bar(f"scenario {name}") as callback:
            other, other_result, other_summary = run_market_forecast(
                settings, name, knowledge=knowledge, db=db, store=store, progress=callback
            )
        summaries[other.scenario] = other_summary
        specs[other.scenario] = other_result.scenario
        del other_result
    try:
        landscape, snapshot = load_landscape(db)
    except LeptomarketError:
        landscape, snapshot = None, None
    target = Target(primary_region(knowledge), report_years(knowledge)[-1])
    _, _, point_summary = run_market_forecast(
        replace(settings, n_draws=0), scenario, knowledge=knowledge, db=db, store=False
    )
    with bar("sensitivity") as _:
        tornado_table = tornado(knowledge, target)
        sobol_table = sobol_indices(knowledge, target, seed=settings.seed)
    data = ReportData(
        knowledge=knowledge,
        record=record,
        summary=summary,
        result=result,
        scenarios=summaries,
        scenario_specs=specs,
        landscape=landscape,
        snapshot=snapshot,
        tornado=tornado_table,
        sobol=sobol_table,
        point_summary=point_summary,
    )
    html_path, xlsx_path = build_report(out_dir, data)
    return ReportOutcome(html_path, xlsx_path, headline_text(data), data)
