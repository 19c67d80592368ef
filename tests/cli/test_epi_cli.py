"""The ``epi``, ``validate`` and ``sources`` commands on the template indication."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.knowledge.loader import indication_root

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
WIDE = {"COLUMNS": "400"}  # so Rich does not wrap long paths and titles


@pytest.fixture
def cli(tmp_path):
    """Invoke the app with ``--indication template --db <tmp>`` appended to epi calls."""
    runner = CliRunner()
    db = tmp_path / "x.duckdb"

    def invoke(*args: str, epi: bool = True):
        extra = ["--indication", "template", "--db", str(db)] if epi else []
        return runner.invoke(app, [*args, *extra], env=WIDE)

    return invoke


def read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def test_epi_table_shows_country_totals(cli):
    result = cli("epi", "--draws", "0")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # 2022 totals: AA series count (30.25 + 18.15 + 25) = 73.4 / detection 0.625 =
    # 117.4 incident, x 0.5 = 58.7 diagnosed, x 0.5 = 29.4 treated; BB 140 / 0.625 =
    # 224 incident, x 0.532898 = 119.4, x 0.5 = 59.7.
    row = {line.split()[1]: line.split("│")[2:5] for line in lines if line.startswith("│ ")}
    assert [cell.strip() for cell in row["AA"]] == ["117", "59", "29"]
    assert [cell.strip() for cell in row["BB"]] == ["224", "119", "60"]
    assert [cell.strip() for cell in row["ALL"]] == ["341", "178", "89"]
    assert "LM cases by country, 2022" in result.stdout
    assert "stored as run" in result.stdout


def test_epi_csv_has_a_row_per_country_year_and_segment(cli):
    result = cli("epi", "--format", "csv", "--draws", "0")
    assert result.exit_code == 0, result.output
    frame = read_csv(result.stdout)
    assert list(frame.columns) == [
        "country",
        "year",
        "segment",
        "incident_cases",
        "diagnosed_cases",
        "treated_cases",
    ]
    assert len(frame) == 2 * 3 * 3  # countries x years x segments
    assert set(frame["country"]) == {"AA", "BB"}
    row = frame[(frame["country"] == "AA") & (frame["year"] == 2021) & (frame["segment"] == "t1_y")]
    assert row[["incident_cases", "diagnosed_cases", "treated_cases"]].iloc[0].tolist() == (
        pytest.approx([16.5 / 0.625, 8.25 / 0.625, 4.125 / 0.625])
    )


def test_epi_csv_filters_countries_and_years(cli):
    result = cli(
        "epi", "--format", "csv", "--countries", "bb", "--years", "2021-2022", "--draws", "0"
    )
    assert result.exit_code == 0, result.output
    frame = read_csv(result.stdout)
    assert set(frame["country"]) == {"BB"}
    assert sorted(set(frame["year"])) == [2021, 2022]
    assert len(frame) == 6


def test_epi_csv_with_draws_adds_percentile_columns(cli):
    result = cli("epi", "--format", "csv", "--draws", "200", "--seed", "11")
    assert result.exit_code == 0, result.output
    frame = read_csv(result.stdout)
    for metric in ("incident_cases", "diagnosed_cases", "treated_cases"):
        for stat in ("p05", "p50", "p95"):
            assert f"{metric}_{stat}" in frame.columns
        assert (frame[f"{metric}_p05"] <= frame[f"{metric}_p50"]).all()
        assert (frame[f"{metric}_p50"] <= frame[f"{metric}_p95"]).all()
        assert (frame[f"{metric}_p05"] < frame[f"{metric}_p95"]).all()
    assert len(frame) == 18


def test_same_seed_gives_identical_csv(cli):
    first = cli("epi", "--format", "csv", "--draws", "200", "--seed", "7")
    second = cli("epi", "--format", "csv", "--draws", "200", "--seed", "7")
    other = cli("epi", "--format", "csv", "--draws", "200", "--seed", "8")
    assert first.exit_code == second.exit_code == other.exit_code == 0
    assert first.stdout == second.stdout
    assert first.stdout != other.stdout


def test_epi_json_parses(cli):
    result = cli("epi", "--format", "json", "--draws", "0")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 18
    assert records[0]["country"] == "AA" and records[0]["segment"] == "t1_x"
    assert records[0]["incident_cases"] == pytest.approx(25.0 / 0.625)


def test_epi_parquet_writes_a_file(cli, tmp_path):
    out = tmp_path / "out" / "epi.parquet"
    result = cli("epi", "--format", "parquet", "--out", str(out), "--draws", "50")
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert len(frame) == 18
    assert "treated_cases_p95" in frame.columns
    assert "wrote 18 rows" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--years", "1990-2000"], ["--years", "1990-2000", "2020-2022"]),
        (["--years", "soon"], ["--years", "START-END"]),
        (["--countries", "XX"], ["--countries", "'XX'", "AA, BB"]),
        (["--method", "foo"], ["--method", "mc, lhs or sobol", "foo"]),
        (["--year", "1999"], ["--year", "1999"]),
        (["--format", "parquet"], ["--out"]),
    ],
)
def test_bad_input_exits_with_one_paragraph_and_no_traceback(cli, args, words):
    result = cli("epi", *args)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert message.startswith("error:")
    assert "\n\n" not in message and len(message.splitlines()) <= 2
    assert "Traceback" not in result.output
    for word in words:
        assert word in message


def test_validate_strict_passes_on_the_template(cli):
    result = cli("validate", "--strict", "--indication", "template", epi=False)
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s) (strict)" in result.stdout


def broken_copy(tmp_path: Path, case: str) -> Path:
    root = tmp_path / case
    shutil.copytree(indication_root("template"), root)
    shutil.copytree(BROKEN / case, root, dirs_exist_ok=True)
    return root


def test_validate_fails_in_strict_mode_on_a_warning(cli, tmp_path):
    root = broken_copy(tmp_path, "unknown_source_key")
    lenient = cli("validate", "--indication", str(root), epi=False)
    assert lenient.exit_code == 0, lenient.output
    assert "1 warning(s)" in lenient.stdout
    strict = cli("validate", "--strict", "--indication", str(root), epi=False)
    assert strict.exit_code == 1
    assert "cytology_sensitivity.yaml" in strict.stderr
    assert "values[0].source" in strict.stderr
    assert "smith_2019_cytology" in strict.stderr
    assert "Traceback" not in strict.output


def test_validate_fails_on_a_schema_error_without_strict(cli, tmp_path):
    root = broken_copy(tmp_path, "unknown_key")
    result = cli("validate", "--indication", str(root), epi=False)
    assert result.exit_code == 1
    assert "incidence.yaml: scale: unknown key" in result.stderr


def test_validate_reports_yaml_syntax_errors_without_traceback(cli, tmp_path):
    root = broken_copy(tmp_path, "yaml_syntax")
    result = cli("validate", "--indication", str(root), epi=False)
    assert result.exit_code != 0
    assert "lm_risk.yaml" in result.stderr and "invalid YAML" in result.stderr
    assert "Traceback" not in result.output


def test_sources_shows_the_source_title(cli):
    result = cli("sources", "epidemiology.lm_risk", "--indication", "template", epi=False)
    assert result.exit_code == 0, result.output
    assert "Synthetic numbers for testing the indication-agnostic core" in result.stdout
    assert "https://example.org/leptomarket/template" in result.stdout
    assert "segment=t1_y" in result.stdout


def test_sources_lists_every_parameter_without_a_name(cli):
    result = cli("sources", "--indication", "template", epi=False)
    assert result.exit_code == 0, result.output
    assert "diagnosis.liquid_biopsy_peak_share" in result.stdout
    assert "epidemiology.subtype_share" in result.stdout


def test_sources_of_an_unknown_parameter_fails(cli):
    result = cli("sources", "epidemiology.nope", "--indication", "template", epi=False)
    assert result.exit_code == 2
    assert "no parameter named 'epidemiology.nope'" in result.stderr
