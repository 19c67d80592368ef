"""Fuzz targets shared by the test suite (CI profile) and ``scripts/fuzz_deep.py``.

Each target takes one generated case and returns ``"accepted"`` or
``"refused"``; it raises only if the product misbehaves: an exception that is
not the project's own error (a crash), or an accepted case that should have
been refused or that produced an impossible output (a wrong acceptance,
raised as :class:`WrongAcceptanceError`).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import strategies as st

from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.errors import LeptomarketError
from leptomarket.knowledge.domains import outside_domain
from leptomarket.knowledge.loader import collect, indication_root, load_indication
from leptomarket.scenarios.scenario import load_scenario
from leptomarket.trials.classify import classify_record
from leptomarket.trials.normalise import record_from_study


class WrongAcceptanceError(AssertionError):
    """An impossible input was accepted, or an accepted run produced an impossible number."""


TEMPLATE = load_indication("template")
PARAMETERS = sorted(TEMPLATE.parameters)
HOSTILE_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1.0, 1.0, 1e12, -1e12, 0.5, 2.0, 1e-300]),
)
SCALARS = st.one_of(
    HOSTILE_FLOATS, st.integers(-(10**6), 10**6), st.text(max_size=8), st.none(), st.booleans()
)


def _finite_outputs(result) -> None:
    for name, cube in result.kept.cubes.items():
        if not np.all(np.isfinite(cube)) or (name != "diagnosis_rate" and np.any(cube < 0)):
            raise WrongAcceptanceError(f"accepted run has an impossible {name}")


# -- scenario files -------------------------------------------------------------------

overrides = st.fixed_dictionaries(
    {
        "parameter": st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=10)),
        "value": SCALARS,
        "assumption": st.just("fuzz"),
    },
    optional={
        "low": SCALARS,
        "high": SCALARS,
        "where": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    },
)
edits = st.fixed_dictionaries(
    {
        "parameter": st.sampled_from(PARAMETERS),
        "operation": st.sampled_from(["multiply", "add", "set", "divide"]),
        "amount": SCALARS,
        "assumption": st.just("fuzz"),
    }
)
scenarios = st.fixed_dictionaries(
    {"name": st.just("fuzz"), "description": st.just("fuzz")},
    optional={
        "overrides": st.lists(overrides, max_size=2),
        "edits": st.lists(edits, max_size=2),
        "levers": st.dictionaries(
            st.sampled_from(["faster", "cheaper", "nope"]), SCALARS, max_size=2
        ),
        "phase_in_years": SCALARS,
    },
)


def _impossible_override(case: dict[str, Any]) -> bool:
    for override in case.get("overrides", []):
        parameter = TEMPLATE.parameters.get(override.get("parameter"))
        for key in ("value", "low", "high"):
            number = override.get(key)
            if (
                parameter is not None
                and isinstance(number, float)
                and outside_domain(parameter.spec.unit, number) is not None
            ):
                return True
    return False


def scenario_target(case: dict[str, Any]) -> str:
    """A scenario file through the loader and a point forecast on the template."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        path = folder / "scenario.yaml"
        path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
        try:
            scenario = load_scenario(TEMPLATE, path)
            result = run_forecast(TEMPLATE, RunSettings(0), scenario)
        except LeptomarketError:
            return "refused"
        if _impossible_override(case):
            raise WrongAcceptanceError(f"impossible override accepted: {case}")
        _finite_outputs(result)
        return "accepted"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- parameter rows -------------------------------------------------------------------

rows = st.fixed_dictionaries({"value": SCALARS}, optional={"low": SCALARS, "high": SCALARS})
parameter_cases = st.tuples(st.sampled_from(PARAMETERS), st.lists(rows, min_size=1, max_size=3))


def parameter_target(case: tuple[str, list[dict[str, Any]]]) -> str:
    """One template parameter file's rows replaced: collect, then a point forecast."""
    name, new_rows = case
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        root = folder / "template"
        shutil.copytree(indication_root("template"), root)
        parameter = TEMPLATE.parameters[name]
        spec = yaml.safe_load(parameter.file.read_text(encoding="utf-8"))
        spec["values"] = [{**row, "source": "template_synthetic"} for row in new_rows]
        target = root / parameter.file.relative_to(TEMPLATE.root)
        target.write_text(yaml.safe_dump(spec), encoding="utf-8")
        knowledge, issues = collect(root)
        if knowledge is None or any(i.level == "error" for i in issues):
            return "refused"
        try:
            result = run_forecast(load_indication(root), RunSettings(0))
        except LeptomarketError:
            return "refused"
        unit = parameter.spec.unit
        for row in new_rows:
            number = row.get("value")
            if isinstance(number, float) and outside_domain(unit, number) is not None:
                raise WrongAcceptanceError(f"{name}: impossible value {number} accepted")
        _finite_outputs(result)
        return "accepted"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- registry records -----------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        HOSTILE_FLOATS.filter(lambda x: not math.isnan(x)),
        st.integers(),
        st.text(max_size=12),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
MODULE_NAMES = (
    "statusModule",
    "designModule",
    "sponsorCollaboratorsModule",
    "conditionsModule",
    "armsInterventionsModule",
    "contactsLocationsModule",
)
modules = st.fixed_dictionaries(
    {
        "identificationModule": st.fixed_dictionaries(
            {"nctId": st.from_regex(r"NCT[0-9]{8}", fullmatch=True)},
            optional={"briefTitle": json_values, "officialTitle": json_values},
        )
    },
    optional={
        name: st.one_of(json_values, st.dictionaries(st.text(max_size=12), json_values, max_size=4))
        for name in MODULE_NAMES
    },
)
studies = st.one_of(
    json_values,  # anything at all: must be refused with a message, never crash
    st.fixed_dictionaries({"protocolSection": st.one_of(modules, json_values)}),
)


def registry_target(study: Any) -> str:
    """One raw v2 study through normalisation and classification."""
    try:
        classify_record(record_from_study(study, "fuzz"))
    except LeptomarketError:
        return "refused"
    return "accepted"


# -- CLI arguments --------------------------------------------------------------------

COMMANDS = ["forecast", "epi", "compare", "sensitivity", "validate", "sources", "runs", "trials"]
OPTION_VALUES = {
    "--draws": st.one_of(
        st.integers(-5, 60).map(str), st.sampled_from(["", "1e3", "x", "3000000000"])
    ),
    "--seed": st.one_of(st.integers(-2, 2**64).map(str), st.just("nan")),
    "--method": st.sampled_from(["mc", "lhs", "sobol", "point", "", "[red]x[/red]"]),
    "--region": st.sampled_from(["ALL", "AA", "7MM", "", "ZZ", "[/red]"]),
    "--year": st.one_of(st.integers(1990, 2050).map(str), st.just("x")),
    "--format": st.sampled_from(["table", "csv", "json", "parquet", "xml"]),
    "--countries": st.sampled_from(["AA", ",,,", "AA,BB", "", "ZZ"]),
    "--years": st.sampled_from(["2020-2022", "2022-2020", "x", "", "1900-3000"]),
    "--scenario": st.sampled_from(["", "base", "faster", "nope", "/nonexistent.yaml"]),
}
cli_arguments = st.builds(
    lambda command, options: [command, "--indication", "template", *options],
    st.sampled_from(COMMANDS),
    st.lists(
        st.sampled_from(sorted(OPTION_VALUES)).flatmap(
            lambda option: OPTION_VALUES[option].map(lambda value: [option, value])
        ),
        max_size=3,
    ).map(lambda pairs: [item for pair in pairs for item in pair]),
)


def cli_target(arguments: list[str]) -> str:
    """CLI arguments through the runner on a throw-away store: exit 0, 1 or 2, no traceback."""
    from typer.testing import CliRunner

    from leptomarket.cli.main import app

    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        env = {"LEPTOMARKET_DB": str(folder / "s.duckdb"), "COLUMNS": "200"}
        result = CliRunner().invoke(app, arguments, env=env)
        if "Traceback" in result.output or (
            result.exception is not None and not isinstance(result.exception, SystemExit)
        ):
            raise RuntimeError(f"{arguments}: {result.exception!r} {result.output[-300:]}")
        if result.exit_code not in (0, 1, 2):
            raise RuntimeError(f"{arguments}: exit {result.exit_code}")
        return "accepted" if result.exit_code == 0 else "refused"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


TARGETS = {
    "scenario files": (scenarios, scenario_target),
    "parameter rows": (parameter_cases, parameter_target),
    "registry records": (studies, registry_target),
    "CLI arguments": (cli_arguments, cli_target),
}
