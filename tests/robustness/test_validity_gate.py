"""Impossible numbers are refused, never computed and stored (issue: validity as a gate)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from leptomarket.engine.invariants import check_block
from leptomarket.errors import InvalidRunError
from leptomarket.knowledge.loader import indication_root
from leptomarket.store.database import connect


def stored_runs(db) -> int:
    if not db.exists():
        return 0
    con = connect(db, read_only=True)
    try:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        return con.execute("SELECT count(*) FROM runs").fetchone()[0] if "runs" in tables else 0
    finally:
        con.close()


OVERRIDE = """name: bad
description: an impossible override
overrides:
  - {{parameter: treatment.treated_share, value: {value}, assumption: test}}
"""


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-0.4", ["overrides[0].value", "proportion", "[0, 1]"]),
        ("1e12", ["overrides[0].value", "outside the domain of 'proportion'"]),
        (".nan", ["overrides.0.value", "finite number"]),
        (".inf", ["overrides.0.value", "finite number"]),
    ],
)
def test_impossible_override_is_refused_and_nothing_is_stored(refused, cli, write, value, words):
    path = write("bad.yaml", OVERRIDE.format(value=value))
    result = cli("forecast", "--indication", "template", "--draws", "0", "--scenario", str(path))
    refused(result, str(path), *words)
    assert stored_runs(cli.db) == 0


@pytest.mark.parametrize(
    ("effect", "words"),
    [
        (
            "{parameter: market.monthly_price, operation: multiply, amount: -1}",
            ["edits.0", "positive amount"],
        ),
        (
            "{parameter: market.monthly_price, operation: add, amount: -1e6, assumption: x}",
            ["edits[0]", "outside the domain of 'USD per month'"],
        ),
        ("{parameter: market.monthly_price, operation: set, amount: .nan}", ["finite number"]),
    ],
)
def test_impossible_edit_is_refused_and_nothing_is_stored(refused, cli, write, effect, words):
    text = f"name: bad\ndescription: an impossible edit\nedits:\n  - {effect}\n"
    path = write("edit.yaml", text)
    result = cli("forecast", "--indication", "template", "--draws", "0", "--scenario", str(path))
    refused(result, *words)
    assert stored_runs(cli.db) == 0


def test_validate_reads_levers_and_refuses_a_zero_factor(cli, tmp_path):
    root = tmp_path / "template"
    shutil.copytree(indication_root("template"), root)
    levers = root / "levers.yaml"
    levers.write_text(
        levers.read_text(encoding="utf-8").replace("amount: 0.5", "amount: 0"), encoding="utf-8"
    )
    result = cli("validate", "--indication", str(root))
    assert result.exit_code == 1
    assert "levers.yaml" in result.output and "positive amount" in result.output


def test_warnings_block_a_forecast_unless_allowed_and_the_run_records_it(
    cli, template_with_a_warning
):
    root = template_with_a_warning
    blocked = cli("forecast", "--indication", str(root), "--draws", "0")
    assert blocked.exit_code == 2
    assert "--allow-warnings" in blocked.output and "carry no price" in blocked.output
    assert stored_runs(cli.db) == 0
    allowed = cli("forecast", "--indication", str(root), "--draws", "0", "--allow-warnings")
    assert allowed.exit_code == 0, allowed.output
    con = connect(cli.db, read_only=True)
    try:
        settings = con.execute("SELECT settings FROM runs").fetchone()[0]
    finally:
        con.close()
    assert '"allow_warnings": true' in settings


def test_invariants_refuse_nan_negative_and_unconserved_blocks():
    good = {
        "incident_cases": np.full((2, 3), 10.0),
        "diagnosed_cases": np.full((2, 3), 8.0),
        "treated_cases": np.full((2, 3), 6.0),
    }
    check_block(good, 0)
    with pytest.raises(InvalidRunError, match="draw 5 is not a finite number"):
        check_block({**good, "revenue": np.array([[1.0], [np.nan]])}, 4)
    with pytest.raises(InvalidRunError, match="negative"):
        check_block({**good, "revenue": np.array([[1.0], [-2.0]])}, 0)
    with pytest.raises(InvalidRunError, match="treated_cases exceed diagnosed_cases in draw 1"):
        check_block({**good, "treated_cases": np.array([[6.0] * 3, [9.0] * 3])}, 0)


def test_sobol_with_a_tiny_base_sample_is_refused(refused, cli):
    result = cli(
        "sensitivity",
        "--indication",
        "template",
        "--method",
        "sobol",
        "--n-base",
        "2",
        "--year",
        "2022",
    )
    refused(result, "--n-base", "at least 64", "negative")


def test_a_bundled_scenario_name_wins_over_a_same_named_folder(cli, tmp_path, monkeypatch):
    from leptomarket.knowledge.loader import load_indication
    from leptomarket.scenarios.scenario import load_scenario, scenario_names

    template = load_indication("template")
    name = scenario_names(template)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).mkdir()
    assert load_scenario(template, name).path.parent.name == "scenarios"
    assert cli("validate", "--indication", "template", "--strict").exit_code == 0
