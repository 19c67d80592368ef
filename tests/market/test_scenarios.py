"""Scenarios: lever directions, overrides, and bad scenarios stopped before anything is stored."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import load_indication
from leptomarket.scenarios.scenario import load_scenario

THERAPIES = ["est_a", "new_b", "pipe_c", "rt_d", "other_g1", "bsc"]


@pytest.fixture(scope="module")
def template():
    return load_indication("template")


def test_levers_and_override_move_outputs_as_documented(template):
    settings = RunSettings(300, seed=5)
    base = run_forecast(template, settings, load_scenario(template, "base"))
    edited = run_forecast(template, settings, load_scenario(template, "more_group_one"))
    a = THERAPIES.index("est_a")
    # Levers act from the forecast start (2021, phase-in 1 year): 2020 is the base case.
    np.testing.assert_array_equal(
        edited.market["revenue"][:, :, 0], base.market["revenue"][:, :, 0]
    )
    # From 2021, group share x1.5 (capped at 1) and price x0.5: patients up, revenue
    # per patient halved.
    later = (slice(None), slice(None), slice(1, None), a)
    assert (edited.market["patients"][later] >= base.market["patients"][later] - 1e-6).all()
    assert edited.market["patients"][later].mean() > base.market["patients"][later].mean()
    ratio = edited.market["revenue"][later].sum() / edited.market["patients"][later].sum()
    base_ratio = base.market["revenue"][later].sum() / base.market["patients"][later].sum()
    assert ratio == pytest.approx(base_ratio * 0.5, rel=0.02)
    # the override delays pipe_c to 2022: no revenue in 2021
    c = THERAPIES.index("pipe_c")
    assert edited.market["revenue"][:, :, 1, c].max() == 0.0
    assert base.market["revenue"][:, :, 1, c].max() > 0.0
    # levers act on sampled values: the funnel is identical (common random numbers)
    np.testing.assert_array_equal(edited.epi["treated_cases"], base.epi["treated_cases"])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "name: x\ndescription: y\nlevers: {no_such_lever: 1}\n",
            ["levers.no_such_lever", "unknown lever"],
        ),
        ("name: x\ndescription: y\nbogus: 1\n", ["bogus", "unknown key"]),
        (
            "name: x\ndescription: y\noverrides:\n"
            "  - {parameter: market.nope, value: 1, source: template_synthetic}\n",
            ["overrides[0].parameter", "unknown parameter"],
        ),
        (
            "name: x\ndescription: y\noverrides:\n"
            "  - {parameter: market.launch_year, where: {therapy: zz}, value: 2021,"
            " source: template_synthetic}\n",
            ["overrides[0].where.therapy", "unknown therapy"],
        ),
        (
            "name: x\ndescription: y\noverrides:\n"
            "  - {parameter: market.launch_year, where: {therapy: pipe_c}, value: 2021}\n",
            ["overrides[0]", "source key or an assumption"],
        ),
        (
            "name: x\ndescription: y\nlevers: {cheaper: 9}\n",
            ["levers.cheaper", "outside [-2, 2]"],
        ),
    ],
)
def test_bad_scenario_is_named(template, tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as error:
        load_scenario(template, path)
    message = str(error.value)
    assert "scenario.yaml" in message
    for word in words:
        assert word in message


def test_bad_scenario_stores_nothing(tmp_path):
    db = tmp_path / "store.duckdb"
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "forecast",
            "--indication",
            "template",
            "--db",
            str(db),
            "--draws",
            "50",
            "--region",
            "ALL",
            "--year",
            "2022",
        ],
    )
    assert ok.exit_code == 0, ok.output
    bad = write(tmp_path, "name: x\ndescription: y\nlevers: {nope: 1}\n")
    result = runner.invoke(
        app,
        [
            "forecast",
            "--indication",
            "template",
            "--db",
            str(db),
            "--scenario",
            str(bad),
            "--region",
            "ALL",
            "--year",
            "2022",
        ],
    )
    assert result.exit_code != 0
    assert "unknown lever" in result.output
    assert "Traceback" not in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 1
    con.close()


def test_compare_runs_each_scenario(tmp_path):
    db = tmp_path / "store.duckdb"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "base",
            "more_group_one",
            "--indication",
            "template",
            "--db",
            str(db),
            "--draws",
            "40",
            "--region",
            "ALL",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == ["scenario", "measure", "unit", "year", "mean", "p05", "p95"]
    assert set(frame["scenario"]) == {"base", "more_group_one"}
    # Numbers, not "393.6 (154.9–718.2)" text; intervals bracket the mean.
    assert pd.api.types.is_float_dtype(frame["mean"])
    money = frame[frame["unit"] == "USD million"]
    assert (money["p05"] <= money["mean"]).all() and (money["mean"] <= money["p95"]).all()


def test_compare_rejects_an_unknown_region(tmp_path):
    result = CliRunner().invoke(
        app,
        ["compare", "base", "--indication", "template", "--region", "XX", "--no-store"],
    )
    assert result.exit_code != 0
    assert "unknown 'XX'" in result.output
    assert "Traceback" not in result.output
