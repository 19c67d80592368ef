"""Sensitivity: tornado and Sobol' indices on the template indication."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.engine.sensitivity import Target, sobol_indices, tornado
from leptomarket.knowledge.loader import load_indication

TARGET = Target("ALL", 2022)


@pytest.fixture(scope="module")
def template():
    return load_indication("template")


def risk_adjusted_drug_market(summary) -> float:
    row = summary[
        (summary["metric"] == "revenue_risk_adjusted")
        & (summary["country"] == "ALL")
        & (summary["year"] == 2022)
        & (summary["level"] == "market")
        & (summary["key"] == "drug")
    ]
    return float(row["mean"].iloc[0])


def test_tornado_base_is_the_point_forecast(template):
    table = tornado(template, TARGET)
    point = run_forecast(template, RunSettings(0)).summary()
    assert table["base"].iloc[0] == pytest.approx(risk_adjusted_drug_market(point), rel=1e-5)


def test_tornado_fixed_parameters_do_not_swing(template):
    table = tornado(template, TARGET).set_index("parameter")
    for fixed in ("market.monthly_price", "market.launch_year", "market.compliance"):
        assert table.loc[fixed, "swing"] == 0.0
    # a larger group share raises the group's revenue
    assert table.loc["market.group_share", "at_p95"] > table.loc["market.group_share", "at_p05"]
    assert table["swing"].is_monotonic_decreasing


def test_sobol_indices_are_shares_of_variance(template):
    table = sobol_indices(template, TARGET, n_base=256, seed=3).set_index("parameter")
    assert table.loc["market.monthly_price", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert table["ST"].iloc[0] > 0.1
    assert table["S1"].sum() == pytest.approx(1.0, abs=0.25)


def test_sensitivity_command(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "sensitivity",
            "--indication",
            "template",
            "--region",
            "ALL",
            "--year",
            "2022",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "parameter,base,at_p05,at_p95,swing"
    bad = CliRunner().invoke(
        app,
        [
            "sensitivity",
            "--indication",
            "template",
            "--region",
            "ALL",
            "--year",
            "2022",
            "--method",
            "x",
        ],
    )
    assert bad.exit_code != 0 and "tornado or sobol" in bad.output


def test_sobol_refuses_a_base_sample_too_small_to_estimate(template):
    with pytest.raises(ValueError, match="power of 2 >= 64"):
        sobol_indices(template, TARGET, n_base=2, seed=3)


def test_sobol_indices_are_clipped_to_shares_with_a_small_base(template):
    table = sobol_indices(template, TARGET, n_base=64, seed=3)
    assert ((table["S1"] >= 0) & (table["S1"] <= 1)).all()
    assert ((table["ST"] >= 0) & (table["ST"] <= 1)).all()
