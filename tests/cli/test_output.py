"""Output that is piped or carries brackets is printed in full and verbatim."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from leptomarket.cli.common import handle_errors
from leptomarket.errors import InputError

RUN = "from leptomarket.cli.main import app; app()"


def test_piped_tables_are_not_cut_to_80_columns():
    done = subprocess.run(
        [sys.executable, "-c", RUN, "sources"], capture_output=True, text=True, check=True
    )
    assert "…" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) > 80


def test_error_messages_are_plain_text_not_markup(capsys):
    reason = "value 2 lies outside [low 0.1, high 0.5]; key [/red] kept"

    @handle_errors
    def failing() -> None:
        raise InputError("f.yaml", "values[0]", reason)

    with pytest.raises(typer.Exit) as exit_info:
        failing()
    assert exit_info.value.exit_code == 2
    err = capsys.readouterr().err
    assert "[low 0.1, high 0.5]" in err and "[/red]" in err
    assert "error:" in err


def test_cli_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "leptomarket.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "budget-impact" in done.stdout and "forecast" in done.stdout


def test_the_forecast_tables_name_therapies_and_countries(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN,
            "forecast",
            "--indication",
            "template",
            "--draws",
            "0",
            "--no-store",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"LEPTOMARKET_DB": str(tmp_path / "s")},
    )
    assert "Established A" in done.stdout and "Country A" in done.stdout
    assert "est_a" not in done.stdout
