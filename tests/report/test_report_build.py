"""The market report of the template indication: files, sections, offline HTML, workbook."""

from __future__ import annotations

import re
import shutil
import zipfile
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.engine.run import RunSettings
from leptomarket.knowledge.loader import indication_root, load_indication
from leptomarket.report.build import SECTION_TITLES, ReportOutcome, run_report
from leptomarket.report.tables import MILLION, pick, primary_region, report_years

TEMPLATE_SOURCE_TITLE = "Synthetic numbers for testing the indication-agnostic core"
EXPECTED_SHEETS = {
    "contents",
    "a_summary",
    "b_epidemiology",
    "b_lm_risk_triangulation",
    "c_market_class",
    "d_market_company",
    "e_pipeline",
    "f_scenarios",
    "f_levers",
    "g_phase_modality",
    "g_big_companies",
    "h_assumptions",
    "sources",
    "summary_long",
}


def html_text(outcome: ReportOutcome) -> str:
    return outcome.html.read_text(encoding="utf-8")


def table_rows(page: str, table_id: str) -> list[list[tuple[str, str | None]]]:
    """Rows of an HTML table as ``(text, data-value)`` cells."""
    match = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', page, re.S)
    assert match, f"no table {table_id}"
    body = match.group(1).split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(
            r'<td(?: class="num" data-value="([^"]*)"| class="\w+")?>(.*?)</td>', row, re.S
        )
        rows.append([(unescape(text), value or None) for value, text in cells])
    return rows


def sheet_xml(path: Path) -> dict[str, str]:
    """Sheet name -> worksheet XML of an xlsx file (no openpyxl needed)."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'<Relationship Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="([^"]+)"', book)
        return {unescape(name): archive.read(f"xl/{targets[rid]}").decode() for name, rid in sheets}


def test_both_files_are_written(template_report):
    assert template_report.html.is_file() and template_report.html.is_absolute()
    assert template_report.xlsx.is_file() and template_report.xlsx.is_absolute()
    assert template_report.html.stat().st_size > 1_000_000  # plotly.js is inlined


def test_html_has_every_section_and_the_table_of_contents(template_report):
    page = html_text(template_report)
    for anchor, title in SECTION_TITLES.items():
        assert f'<section id="{anchor}"><h2>' in page
        assert title in page
        assert f'<a href="#{anchor}">' in page


def test_html_is_offline_with_plotly_inlined_once(template_report):
    page = html_text(template_report)
    assert page.count(get_plotlyjs()) == 1
    assert page.count("* plotly.js v") == 1
    assert '<script src="http' not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"http", page)
    outside_bundle = page.replace(get_plotlyjs(), "")
    assert "cdn.plot.ly" not in outside_bundle
    assert "mathjax" not in outside_bundle.lower()
    assert page.count('class="plotly-graph-div"') >= 6


def test_html_cites_the_template_source(template_report):
    page = html_text(template_report)
    assert TEMPLATE_SOURCE_TITLE in page
    assert "https://example.org/leptomarket/template" in page


def test_executive_summary_numbers_equal_the_summary(template_report):
    data = template_report.data
    knowledge, summary = data.knowledge, data.summary
    region = primary_region(knowledge)
    rows = table_rows(html_text(template_report), "table-summary-0")
    seen = 0
    for cells in rows:
        measure, _unit, year = (cells[0][0], cells[1][0], int(cells[2][0]))
        values = [cell[1] for cell in cells[3:]]
        if measure == "Drug market":
            series, scale = pick(summary, "revenue", region, "market", "drug"), MILLION
        elif measure == "Drug market, risk-adjusted":
            series = pick(summary, "revenue_risk_adjusted", region, "market", "drug")
            scale = MILLION
        elif measure.startswith("Treated"):
            series, scale = pick(summary, "treated_cases", region, "total", "all"), 1.0
        elif measure.startswith("Diagnosed"):
            series, scale = pick(summary, "diagnosed_cases", region, "total", "all"), 1.0
        elif measure.startswith("Incident"):
            series, scale = pick(summary, "incident_cases", region, "total", "all"), 1.0
        else:
            continue
        for column, value in zip(("mean", "p05", "p95"), values, strict=False):
            if value:
                assert float(value) == pytest.approx(series.loc[year, column] / scale, rel=1e-12)
                seen += 1
    years = report_years(knowledge)
    # per report year: drug market mean, p05, p95; risk-adjusted mean; 3 funnel metrics x 3
    assert seen == 13 * len(years)


def test_executive_summary_text_matches_its_numbers(template_report):
    rows = table_rows(html_text(template_report), "table-summary-0")
    for cells in rows:
        for text, value in cells[3:]:
            if value and text and not text.endswith("%"):
                shown = float(text.replace(",", ""))
                assert shown == pytest.approx(float(value), abs=0.051 * max(1, abs(shown)))


def test_workbook_has_the_expected_sheets(template_report):
    sheets = sheet_xml(template_report.xlsx)
    assert set(sheets) >= EXPECTED_SHEETS
    assert next(iter(sheets)) == "contents"
    summary_rows = sheets["summary_long"].count("<row ")
    assert summary_rows == len(template_report.data.summary) + 1
    for name, xml in sheets.items():
        if name != "contents":
            assert "<pane " in xml and 'state="frozen"' in xml, name
            assert "<autoFilter " in xml, name


def test_triangulation_table_puts_the_model_beside_another_method(template_report):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(template_report.xlsx, read_only=True)
    rows = list(book["b_lm_risk_triangulation"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    per_1000 = header.index("LM per 1,000 incident cases")
    chosen = header.index("Used by the model")
    # t1_x: 0.5 reach advanced x 0.2 among them = 100 per 1,000, beside the ratio's 50.
    assert body[0][per_1000] == pytest.approx(100.0) and body[0][chosen] in (True, "yes", 1)
    assert body[1][per_1000] == pytest.approx(50.0)
    assert len(body) == 6  # three segments, two methods each
    assert "LM risk per segment" in html_text(template_report)


def test_workbook_opens_with_openpyxl(template_report):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(template_report.xlsx, read_only=True)
    sheet = book["a_summary"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["measure", "unit", "year"]


def test_pipeline_section_reports_launch_share(template_report):
    rows = table_rows(html_text(template_report), "table-pipeline-0")
    assert [cells[0][0] for cells in rows] == ["pipe_c"]
    share = float(rows[0][-1][1])
    assert 0.0 < share < 1.0  # pipe_c launches in some draws (PoS 0.25), not all


def test_report_without_bundled_scenarios_shows_only_the_base(tmp_path):
    package = tmp_path / "template"
    shutil.copytree(indication_root("template"), package)
    shutil.rmtree(package / "scenarios", ignore_errors=True)
    knowledge = load_indication(package)
    outcome = run_report(
        tmp_path / "out",
        RunSettings(n_draws=16, seed=1),
        knowledge=knowledge,
        db=tmp_path / "db.duckdb",
    )
    assert list(outcome.data.scenarios) == ["base"]
    page = html_text(outcome)
    assert "bundles no other scenario" in page
    assert len(table_rows(page, "table-scenarios-0")) == 1


def test_cli_report_prints_the_paths_and_a_headline(tmp_path):
    out = tmp_path / "rep"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--indication",
            "template",
            "--draws",
            "16",
            "--seed",
            "3",
            "--out",
            str(out),
            "--db",
            str(tmp_path / "db.duckdb"),
        ],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert str((out / "report.html").resolve()) in result.output
    assert str((out / "report.xlsx").resolve()) in result.output
    assert "drug market" in result.output


def test_cli_report_rejects_an_unknown_scenario(tmp_path):
    result = CliRunner().invoke(
        app,
        ["report", "--indication", "template", "--scenario", "nope", "--out", str(tmp_path)],
        env={"COLUMNS": "400", "LEPTOMARKET_DB": str(tmp_path / "db.duckdb")},
    )
    assert result.exit_code == 2
    assert not (tmp_path / "report.html").exists()


def test_summary_frame_is_not_modified(template_report):
    summary = template_report.data.summary
    assert isinstance(summary, pd.DataFrame)
    assert list(summary.columns[:5]) == ["metric", "country", "year", "level", "key"]


def test_summary_shows_the_point_estimate_beside_the_mean(template_report):
    text = html_text(template_report)
    assert "Two base cases" in text and "--draws 0" in text
    point = template_report.data.point_summary
    assert point is not None and (point["p05"] == point["p95"]).all()


def test_decision_section_states_computed_findings(template_report):
    text = html_text(template_report)
    assert "Decision views" in text and "Pharma: enrolling 60" in text


def test_reconciliation_decomposes_the_gap_into_patients_and_value_per_patient(template_report):
    from leptomarket.report.reconciliation import reconciliation_table

    data = template_report.data
    table = reconciliation_table(data.summary, data.knowledge).set_index("estimate")
    market = table.loc["Synthetic market estimate"]
    drug = pick(data.summary, "revenue", "ALL", "market", "drug").loc[2020, "mean"]
    incident = pick(data.summary, "incident_cases", "ALL", "total", "all").loc[2020, "mean"]
    assert market["model"] == pytest.approx(drug)
    assert market["patients_ratio"] == pytest.approx(200 / incident)
    assert market["per_patient_ratio"] == pytest.approx((20000 / 200) / (drug / incident))
    assert market["external_to_model"] == pytest.approx(
        market["patients_ratio"] * market["per_patient_ratio"]
    )
    sales = table.loc["Synthetic product sales of est_a"]
    est_a = pick(data.summary, "revenue", "ALL", "therapy", "est_a").loc[2020, "mean"]
    assert sales["lm_share"] == pytest.approx(est_a / 100000)
    sheets = sheet_xml(template_report.xlsx)
    assert "i_reconciliation" in sheets and "b_scope_segments" in sheets
    page = html_text(template_report)
    assert "Reconciliation with published estimates" in page
    assert "Scope: the LM drug market counts the LM-attributable months" in page


def test_scope_table_splits_solid_from_haematological(template_report):
    from leptomarket.report.reconciliation import scope_table

    data = template_report.data
    frame = scope_table(data.summary, data.knowledge, "ALL", [2022])
    value = frame.set_index("segment")["drug_market"]
    assert value["All solid"] + value["All haematological"] == pytest.approx(value["All LM"])
    assert value["All LM"] == pytest.approx(
        pick(data.summary, "revenue", "ALL", "market", "drug").loc[2022, "mean"], rel=1e-5
    )
