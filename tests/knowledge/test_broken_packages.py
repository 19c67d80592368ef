"""Deliberately broken indication packages: each defect is reported with file, key and reason.

The cases live in ``tests/fixtures/broken/<case>/`` (only the defective file, laid
over a copy of the template; see the README there). Schema problems are errors;
numeric cross checks are warnings, promoted to errors by ``strict=True``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from leptomarket.errors import InputError, LeptomarketError, ValidationFailedError
from leptomarket.knowledge.loader import collect, indication_root, load_indication
from leptomarket.knowledge.model import Issue


@dataclass(frozen=True)
class Case:
    name: str
    level: str
    file: str  # path of the defective file, relative to the package root
    key: str  # exact key path of the issue
    words: tuple[str, ...]  # the reason must contain each of these
    check: str = "schema"


CASES = [
    Case(
        "unknown_key",
        "error",
        "parameters/epidemiology/incidence.yaml",
        "scale",
        ("unknown key",),
    ),
    Case(
        "unknown_row_key",
        "error",
        "parameters/treatment/treated_share.yaml",
        "values[0].sorce",
        ("unknown key", "not a row field"),
    ),
    Case(
        "missing_unit",
        "error",
        "parameters/diagnosis/mri_sensitivity.yaml",
        "unit",
        ("Field required",),
    ),
    Case(
        "bad_unit",
        "error",
        "parameters/diagnosis/mri_sensitivity.yaml",
        "unit",
        ("Input should be", "'proportion'", "'cases per year'"),
    ),
    Case(
        "bad_url",
        "error",
        "sources.yaml",
        "template_synthetic.url",
        ("url must start with http:// or https://", "example.org/leptomarket/template"),
    ),
    Case(
        "unknown_dimension",
        "error",
        "parameters/treatment/treated_share.yaml",
        "dimensions",
        ("unknown dimension", "planet"),
    ),
    Case(
        "no_provenance",
        "error",
        "parameters/treatment/treated_share.yaml",
        "values[0]",
        ("neither a source key nor an assumption",),
        "provenance",
    ),
    Case(
        "uncovered_cell",
        "error",
        "parameters/epidemiology/incidence.yaml",
        "values",
        ("no row gives a value", "1 cell(s)", "country=BB, tumour=t2"),
    ),
    Case(
        "overlapping_rows",
        "error",
        "parameters/epidemiology/incidence_trend.yaml",
        "values",
        ("two rows of equal specificity", "country=AA, tumour=t1"),
    ),
    Case(
        "unknown_source_key",
        "warning",
        "parameters/diagnosis/cytology_sensitivity.yaml",
        "values[0].source",
        ("source key 'smith_2019_cytology'", "not in sources.yaml"),
        "sources",
    ),
    Case(
        "source_deleted",
        "warning",
        "parameters/epidemiology/lm_risk.yaml",
        "values[0] (segment=t1_x).source",
        ("source key 'template_synthetic'", "not in sources.yaml"),
        "sources",
    ),
    Case(
        "share_sum",
        "warning",
        "parameters/epidemiology/subtype_share.yaml",
        "values (country=BB, segment group t1)",
        ("['t1_x', 't1_y']", "sum to 0.9000", "must be 1", "tolerance 0.001"),
        "shares",
    ),
    Case(
        "proportion_above_one",
        "error",
        "parameters/diagnosis/workup_rate.yaml",
        "values[0].high",
        ("proportion must lie in [0, 1]", "1.05"),
        "domain",
    ),
    Case(
        "negative_months",
        "error",
        "parameters/market/months_of_therapy.yaml",
        "values[1] (therapy=est_a).value",
        ("-2 is outside the domain of 'months'", ">= 0"),
        "domain",
    ),
    Case(
        "nan_value",
        "error",
        "parameters/treatment/treated_share.yaml",
        "values.0.value",
        ("finite number",),
    ),
    Case(
        "low_above_value",
        "warning",
        "parameters/diagnosis/lumbar_puncture_rate.yaml",
        "values[0]",
        ("low <= value <= high", "low 0.55", "value 0.5"),
        "range",
    ),
    Case(
        "unknown_label",
        "warning",
        "parameters/epidemiology/incidence_trend.yaml",
        "values[2].country",
        ("unknown country label 'CC'", "row ignored"),
        "labels",
    ),
    Case(
        "beta_too_wide",
        "warning",
        "parameters/diagnosis/cytology_sensitivity.yaml",
        "values[0]",
        ("beta distribution cannot be fitted", "too wide", "0.0475"),
        "distribution",
    ),
]
ERRORS = [c for c in CASES if c.level == "error"]
WARNINGS = [c for c in CASES if c.level == "warning"]


def ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def matching(issues: list[Issue], case: Case, root) -> list[Issue]:
    path = str(root / case.file)
    return [i for i in issues if i.file == path and i.field == case.key]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_collect_reports_the_defect_with_file_key_and_reason(case: Case, broken):
    root = broken(case.name)
    _, issues = collect(root)
    found = matching(issues, case, root)
    assert found, f"no issue for {case.file}: {case.key}; got {[str(i) for i in issues]}"
    issue = found[0]
    assert issue.level == case.level
    assert issue.check == case.check
    for word in case.words:
        assert word in issue.reason


@pytest.mark.parametrize("case", ERRORS, ids=ids(ERRORS))
def test_schema_errors_fail_loading_even_without_strict(case: Case, broken):
    root = broken(case.name)
    with pytest.raises(ValidationFailedError) as info:
        load_indication(root)
    message = str(info.value)
    assert str(root / case.file) in message
    assert case.key in message
    for word in case.words:
        assert word in message
    assert all(i.level == "error" for i in info.value.issues)


@pytest.mark.parametrize("case", WARNINGS, ids=ids(WARNINGS))
def test_cross_check_warnings_load_by_default(case: Case, broken):
    root = broken(case.name)
    knowledge = load_indication(root)
    found = matching(list(knowledge.issues), case, root)
    assert [i.level for i in found] == ["warning"]


@pytest.mark.parametrize("case", WARNINGS, ids=ids(WARNINGS))
def test_cross_check_warnings_fail_in_strict_mode_naming_file_and_key(case: Case, broken):
    root = broken(case.name)
    with pytest.raises(ValidationFailedError) as info:
        load_indication(root, strict=True)
    message = str(info.value)
    assert f"warning: {root / case.file}: {case.key}: " in message
    for word in case.words:
        assert word in message


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.name not in ("bad_url", "source_deleted")],
    ids=ids([c for c in CASES if c.name not in ("bad_url", "source_deleted")]),
)
def test_one_defect_is_reported_against_its_own_file_only(case: Case, broken):
    root = broken(case.name)
    _, issues = collect(root)
    assert {i.file for i in issues} == {str(root / case.file)}


def citing_rows(key: str) -> list[tuple[str, int]]:
    """(parameter file name, row) of every row of the intact template that cites ``key``."""
    template = load_indication("template")
    return [
        (p.file.name, i)
        for p in template.parameters.values()
        for i, row in enumerate(p.rows)
        if key in p.sources_of(row)
    ]


def test_deleted_source_entry_is_reported_for_every_row_citing_it(broken):
    expected = citing_rows("template_synthetic")
    assert len(expected) >= 25  # the 25 rows of the epidemiology files at least
    _, issues = collect(broken("source_deleted"))
    cited = [i for i in issues if "source key 'template_synthetic'" in i.reason]
    warned = [i for i in cited if i.check == "sources"]
    assert len(warned) == len(expected)
    assert {Path(i.file).name for i in warned} == {name for name, _ in expected}
    # The triangulation file's three estimates cite it too, and are named apiece.
    evidence = [i for i in cited if i.check == "triangulation"]
    assert [Path(i.file).name for i in evidence] == ["lm_risk_triangulation.yaml"] * 3


def test_bad_source_entry_is_dropped_so_citing_rows_warn(broken):
    knowledge, issues = collect(broken("bad_url"))
    assert knowledge is not None
    assert "template_synthetic" not in knowledge.sources
    warned = [
        i for i in issues if "source key 'template_synthetic'" in i.reason and i.check == "sources"
    ]
    assert len(warned) == len(citing_rows("template_synthetic"))


def test_unknown_label_row_is_ignored_and_the_rest_resolves(broken):
    knowledge = load_indication(broken("unknown_label"))
    trend = knowledge.parameter("epidemiology.incidence_trend")
    assert trend.point().tolist() == [[0.1, 0.0], [0.0, 0.0]]


def test_yaml_syntax_error_names_file_and_line(broken):
    root = broken("yaml_syntax")
    with pytest.raises(LeptomarketError) as info:
        load_indication(root)
    message = str(info.value)
    assert "invalid YAML" in message
    assert str(root / "parameters/epidemiology/lm_risk.yaml") in message
    assert "line 10" in message


def test_collect_reports_yaml_syntax_error_as_an_issue(broken):
    """``collect`` promises to never raise on data; a YAML syntax error is data.

    Today ``_load_parameter`` lets ``read_yaml``'s InputError escape, so one bad
    file hides every other issue of the package and ``collect`` raises.
    """
    root = broken("yaml_syntax")
    try:
        _, issues = collect(root)
    except InputError as exc:
        pytest.fail(f"collect raised instead of reporting an issue: {exc}")
    bad = [i for i in issues if i.file.endswith("lm_risk.yaml")]
    assert bad and bad[0].level == "error"
    assert "invalid YAML" in bad[0].reason
    assert "line 10" in f"{bad[0].field} {bad[0].reason}"


def _with_source(tmp_path, entry: str):
    root = tmp_path / "template"
    shutil.copytree(indication_root("template"), root)
    sources = root / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + entry, encoding="utf-8")
    _, issues = collect(root)
    return [i for i in issues if i.check == "locators"]


def test_a_bare_ip_address_as_a_source_link_is_an_error(tmp_path):
    issues = _with_source(
        tmp_path,
        "mirror: {authors: A, year: 2020, title: T, publisher: P, kind: publication,"
        " url: 'http://47.251.13.51:8081/16080173'}\n",
    )
    assert [i.level for i in issues] == ["error"]
    assert issues[0].field == "mirror.url" and "bare IP address" in issues[0].reason


def test_an_aggregator_link_without_doi_or_pmid_warns_unless_explained(tmp_path):
    entry = (
        "copy: {authors: A, year: 2020, title: T, publisher: P, kind: report,"
        " url: 'https://www.scribd.com/document/1'%s}\n"
    )
    issues = _with_source(tmp_path, entry % "")
    assert [i.level for i in issues] == ["warning"]
    assert "aggregator or mirror" in issues[0].reason and issues[0].field == "copy.url"
    assert _with_source(tmp_path / "doi", entry % ", doi: 10.1000/x") == []
    assert _with_source(tmp_path / "why", entry % ", secondary: only copy found") == []
