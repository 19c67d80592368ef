"""Out-of-range options are refused with one line naming the option, before any work."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from leptomarket.cli.main import app


def run(*args: str, env: dict[str, str] | None = None):
    base = ["--indication", "template"]
    return CliRunner().invoke(app, [*args, *base], env={"COLUMNS": "300", **(env or {})})


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["forecast", "--draws", "3000000000", "--no-store"], "--draws"),
        (["epi", "--draws", "10", "--seed", "-1", "--no-store"], "--seed"),
        (["epi", "--draws", "10", "--seed", str(2**64), "--no-store"], "--seed"),
        (["forecast", "--scenario", "", "--region", "ALL", "--no-store"], "--scenario"),
        (["epi", "--draws", "0", "--db", ""], "--db"),
    ],
)
def test_refused_with_the_option_named(args, words):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_draws_limit_follows_the_environment():
    result = run("epi", "--draws", "500", "--no-store", env={"LEPTOMARKET_MAX_DRAWS": "100"})
    assert result.exit_code == 2 and "[0, 100]" in result.output


def test_db_that_is_a_directory_is_refused(tmp_path):
    result = run("epi", "--draws", "0", "--db", str(tmp_path))
    assert result.exit_code == 2 and "is a folder" in result.output


def test_forecast_default_year_fits_the_indication():
    # The template's years are 2020-2022: the table year defaults to its last report year.
    result = run("forecast", "--region", "ALL", "--draws", "10", "--no-store")
    assert result.exit_code == 0, result.output
    assert "2022" in result.output
