"""Decision views on the template indication: engine results and CLI commands."""

import io

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.core.value import (
    operating_cash_flow,
    risk_adjusted_npv,
    stage_start_years,
    stage_success,
)
from leptomarket.engine.budget_impact import budget_impact_tables
from leptomarket.engine.capacity import capacity_table, diagnostics_delivery_market
from leptomarket.engine.feasibility import feasibility_table
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.opportunities import opportunity_table
from leptomarket.engine.run import RunSettings
from leptomarket.engine.value import value_tables
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import load_indication


@pytest.fixture(scope="module")
def template():
    return load_indication("template")


@pytest.fixture(scope="module")
def drawn(template):
    return run_forecast(template, RunSettings(n_draws=400, seed=11))


@pytest.fixture(scope="module")
def point(template):
    return run_forecast(template, RunSettings(n_draws=0))


def test_point_rnpv_equals_the_closed_form_at_point_values(template, point):
    value = value_tables(point, region="ALL")["assets"]
    p = {
        name: template.parameter(f"decision.{name}").point()
        for name in (
            "phase_cost",
            "phase_duration",
            "phase_transition",
            "cogs_share",
            "sga_share",
            "tax_rate",
            "discount_rate",
        )
    }
    t = template.labels("therapy").index("pipe_c")
    success = float(template.parameter("pipeline.probability_of_success").point()[t])
    years = (
        template.years[template.years >= 2026]
        if template.indication.forecast_start
        else template.years
    )
    start = int(template.indication.forecast_start or template.years[0])
    years = template.years[template.years >= start]
    revenue = point.kept.cubes["revenue"][0][:, template.years >= start, t].sum(axis=0)
    cash = operating_cash_flow(
        revenue[None].astype(float) / success,
        p["cogs_share"][None],
        p["sga_share"][None],
        p["tax_rate"][None],
    )[0]
    remaining = [1, 2, 3]  # template pipe_c is in Phase 2
    stage_pass = stage_success(np.array([success]), p["phase_transition"][remaining])[0]
    expected = risk_adjusted_npv(
        cash,
        years,
        p["phase_cost"][remaining],
        stage_start_years(start, p["phase_duration"][remaining]),
        stage_pass,
        float(p["discount_rate"]),
        start,
    )
    assert value.loc[0, "expected_npv_usd"] == pytest.approx(expected, rel=1e-9)


def test_value_draws_give_a_distribution(drawn):
    tables = value_tables(drawn, region="ALL")
    row = tables["assets"].iloc[0]
    assert row["p05_usd"] < row["p50_usd"] < row["p95_usd"]
    assert 0.0 <= row["probability_npv_positive"] <= 1.0
    assert len(tables["distribution"]) == 400
    assert tables["distribution"].iloc[:, 0].mean() == pytest.approx(row["expected_npv_usd"])


def test_budget_impact_is_zero_at_zero_uptake_and_eligible_fits_the_plan(template, drawn):
    tables = budget_impact_tables(
        drawn, "new_b", country="AA", members=1e5, uptake=(0.0, 0.3), start_year=2020, horizon=3
    )
    by_year = tables["by_year"]
    impact = by_year[by_year.metric == "budget_impact_usd"]
    assert (impact[impact.uptake == 0.0][["mean", "p05", "p95"]] == 0).all().all()
    eligible = by_year[(by_year.metric == "eligible_patients") & (by_year.uptake == 0.3)]
    treated = drawn.kept.cubes["treated_cases"][:, 0].sum(axis=2).mean(axis=0)
    plan_treated = treated[template.years.searchsorted(eligible.year.to_numpy())] * 1e5 / 1e6
    assert (eligible["mean"].to_numpy() <= plan_treated + 1e-9).all()
    with pytest.raises(InputError, match="--uptake"):
        budget_impact_tables(drawn, "new_b", country="AA", uptake=(1.5,))


def test_feasibility_capacity_diagnostics_and_white_space_run(drawn):
    feasible = feasibility_table(drawn, 30, 5, region="ALL")
    months = feasible[feasible.metric == "months_to_enrol"]
    assert (months["mean"] > 0).all() and len(months) == 2
    more_sites = feasibility_table(drawn, 30, 10, region="ALL")
    assert (
        more_sites[more_sites.metric == "months_to_enrol"]["p50"].to_numpy()
        < months["p50"].to_numpy()
    ).all()
    counts = capacity_table(drawn, country="AA", catchment=1e5)
    assert set(counts.metric) >= {"lm_diagnoses", "mri_examinations", "reservoir_implants"}
    market = diagnostics_delivery_market(drawn)
    revenue = market[(market.metric == "revenue_usd") & (market.place == "ALL")]
    assert (revenue["mean"] >= 0).all()
    ranked = opportunity_table(drawn, region="ALL")
    assert ranked["patients_without_targeted_option"].is_monotonic_decreasing


@pytest.mark.parametrize(
    "command",
    [
        ["value", "--region", "ALL"],
        ["budget-impact", "--therapy", "new_b", "--country", "AA", "--start-year", "2020"],
        ["feasibility", "--region", "ALL"],
        ["opportunities", "--region", "ALL"],
        ["capacity", "--country", "AA", "--compare", "base"],
        ["diagnostics"],
    ],
)
def test_commands_write_numbers(command):
    result = CliRunner().invoke(
        app, [*command, "--indication", "template", "--draws", "50", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    numeric = [
        c
        for c in ("mean", "p05", "p95", "expected_npv_usd", "patients_without_targeted_option")
        if c in frame.columns
    ]
    assert numeric and all(pd.api.types.is_numeric_dtype(frame[c]) for c in numeric)


def test_bad_option_is_one_line_naming_it():
    result = CliRunner().invoke(
        app, ["budget-impact", "--therapy", "nope", "--indication", "template", "--draws", "5"]
    )
    assert result.exit_code == 2
    assert "--therapy" in result.output and "Traceback" not in result.output
