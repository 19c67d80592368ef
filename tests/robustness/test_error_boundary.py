"""One error boundary: every CLI failure is a plain one-paragraph message, exit 2."""

from __future__ import annotations

import os
import stat

import pytest

SCENARIO = "name: s\ndescription: d\n"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"name: s\ndescription: d\nname: t\n", ["duplicate key 'name'"]),
        (b"name: \xff\xfe\ndescription: d\n", ["not UTF-8"]),
        (("name: " + "[" * 1000 + "]" * 1000 + "\n").encode(), ["nesting"]),
        (("name: s\ndescription: d\nphase_in_years: " + "9" * 5000 + "\n").encode(), ["digits"]),
    ],
    ids=["duplicate-key", "non-utf8", "deep", "huge-int"],
)
def test_broken_scenario_files(refused, cli, write, content, words):
    path = write("s.yaml", content)
    result = cli("forecast", "--scenario", str(path), "--draws", "0", "--no-store")
    refused(result, "s.yaml", *words)


def test_folder_named_yaml_as_scenario(refused, cli, tmp_path):
    (tmp_path / "d.yaml").mkdir()
    result = cli("forecast", "--scenario", str(tmp_path / "d.yaml"), "--no-store")
    refused(result, "d.yaml", "is a folder")


def test_messages_are_never_rich_markup(refused, cli, write):
    """Square brackets and closing tags print verbatim, never eaten, never a MarkupError."""
    folder = "[red]x[/red]"
    path = write(
        f"{folder}/s.yaml",
        SCENARIO + "overrides:\n  - parameter: '[low 0.1, high 0.5] [/red]'\n"
        "    value: 1\n    assumption: a\n",
    )
    result = cli("forecast", "--scenario", str(path), "--draws", "0", "--no-store")
    refused(result, "[low 0.1, high 0.5] [/red]", "[red]x[/red]/s.yaml")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["forecast", "--draws", "3000000000"], ["--draws", "1,000,000", "LEPTOMARKET_MAX_DRAWS"]),
        (["forecast", "--seed", "-1"], ["--seed", "[0, 2**63)"]),
        (["forecast", "--seed", str(2**63)], ["--seed", "[0, 2**63)"]),
        (["sensitivity", "--seed", "-5"], ["--seed"]),
        (["epi", "--countries", ",,,"], ["--countries", "names no country"]),
        (["forecast", "--scenario", ""], ["--scenario", "is empty"]),
        (["forecast", "--draws", "0", "--out", "x.csv"], ["--out", "--format csv"]),
        (["epi", "-f", "parquet"], ["--out", "Parquet is binary"]),
        (["forecast", "--method", "bogus"], ["--method", "mc, lhs or sobol"]),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else None,
)
def test_bad_options_are_refused_before_computing(refused, cli, args, words):
    refused(cli(*args), *words)


def test_max_draws_can_be_raised(refused, cli):
    # the limit moves with the environment variable (checked before anything runs)
    result = cli("forecast", "--draws", "20", "--seed", "-1", env={"LEPTOMARKET_MAX_DRAWS": "10"})
    refused(result, "[0, 10]")


def test_bad_max_draws_variable(refused, cli):
    refused(cli("forecast", env={"LEPTOMARKET_MAX_DRAWS": "lots"}), "LEPTOMARKET_MAX_DRAWS")


@pytest.mark.parametrize("flag", ["", "."])
def test_empty_db_path_is_refused(refused, cli, flag):
    result = cli("epi", "--indication", "template", "--db", flag)
    refused(result, "--db is empty")


def test_db_that_is_a_folder_is_refused(refused, cli, tmp_path):
    result = cli("epi", "--indication", "template", "--db", str(tmp_path))
    refused(result, "is a folder")


def test_out_is_a_folder(refused, cli, tmp_path):
    result = cli("epi", "--indication", "template", "-f", "csv", "--out", str(tmp_path))
    refused(result, "--out", "is a folder")


def test_out_under_a_file(refused, cli, write):
    blocker = write("plain.txt", "x")
    result = cli("epi", "--indication", "template", "-f", "csv", "--out", f"{blocker}/x.csv")
    refused(result, "--out", "is a file, not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_out_in_a_read_only_folder(refused, cli, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = cli("epi", "--indication", "template", "-f", "csv", "--out", f"{locked}/x.csv")
        refused(result, "--out", "not writable")
    finally:
        locked.chmod(stat.S_IRWXU)


def test_report_out_under_a_file_is_refused_before_computing(refused, cli, write):
    blocker = write("plain.txt", "x")
    result = cli("report", "--indication", "template", "--out", f"{blocker}/r")
    refused(result, "--out", "is a file")


def test_report_out_that_is_a_file(refused, cli, write):
    blocker = write("plain.txt", "x")
    result = cli("report", "--indication", "template", "--out", str(blocker))
    refused(result, "a folder is needed")


def test_full_disk_is_a_message(refused, cli, monkeypatch):
    """A write that fails half-way (ENOSPC) names the file and the reason."""
    from pathlib import Path

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    result = cli("epi", "--indication", "template", "-f", "csv", "--out", "out.csv", "--no-store")
    refused(result, "out.csv", "No space left on device")


def test_unexpected_exception_has_no_traceback_but_debug_shows_it(refused, cli, monkeypatch):
    import leptomarket.cli.epi as epi_cli

    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(epi_cli, "run_epi", boom)
    result = cli("epi", "--indication", "template", "--no-store")
    refused(result, "internal error (ZeroDivisionError)", "--debug")
    shown = cli("epi", "--indication", "template", "--no-store", env={"LEPTOMARKET_DEBUG": "1"})
    assert shown.exit_code == 2
    assert "Traceback" in shown.output


def test_default_year_and_region_fit_the_template(refused, cli):
    result = cli("forecast", "--indication", "template", "--draws", "0", "--no-store")
    assert result.exit_code == 0, result.output
    assert "2022" in result.output


def test_sources_unknown_parameter_is_exit_2(refused, cli):
    refused(cli("sources", "nope.nothing"), "no parameter named 'nope.nothing'")
