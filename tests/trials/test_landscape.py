"""Landscape tables and figures computed from the bundled snapshot."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leptomarket.trials.bundled import curated_records, pipeline_assets
from leptomarket.trials.landscape import (
    filter_studies,
    landscape_figures,
    landscape_tables,
    phase_label,
    write_landscape_html,
)
from leptomarket.trials.storage import records_frame

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def data():
    studies = records_frame(curated_records(FIXTURES / "lm-trials.csv"))
    assets = pipeline_assets(FIXTURES / "lm-pipeline.csv")
    return studies, assets, landscape_tables(studies, assets)


def test_phase_by_modality_counts_every_trial_once(data):
    studies, _, tables = data
    pm = tables["phase_by_modality"]
    assert pm["total"].sum() == len(studies) == 52
    row = pm.set_index("phase").loc["Phase 1/2"]
    assert row["total"] == 4 and row["adc"] == 1
    assert pm.set_index("phase").loc[:, "it_chemotherapy"].sum() == 13


def test_timeline_counts_starts_by_year(data):
    studies, _, tables = data
    timeline = tables["start_timeline"]
    assert timeline["trials"].sum() == studies["start_year"].notna().sum()
    assert timeline.set_index("start_year").loc[2018, "trials"] == 4
    assert timeline["cumulative"].iloc[-1] == timeline["trials"].sum()


def test_assets_are_linked_by_key_trial_and_aliases(data):
    _, _, tables = data
    linked = tables["asset_trials"].set_index("asset")
    omburtamab = set(linked.loc["Omburtamab", "trials"].split("; "))
    assert omburtamab == {"NCT03275402", "NCT05064306", "NCT00089245"}
    assert "NCT07134153" in linked.loc["Trastuzumab deruxtecan", "trials"]
    # IT trastuzumab does not swallow the intrathecal T-DXd trial (different modality)
    assert "NCT07134153" not in linked.loc["Intrathecal trastuzumab", "trials"]
    assert linked.loc["Zongertinib", "n_trials"] == 0


def test_big_company_presence_goes_through_aliases_and_parents(data):
    _, _, tables = data
    big = tables["big_companies"].set_index("company")
    assert len(big) == 16
    active = set(big.index[big["has_lm_activity"]])
    assert {"AstraZeneca", "Eli Lilly", "Bristol Myers Squibb", "Seagen", "Pfizer"} <= active
    assert big.loc["Bristol Myers Squibb", "trials_collaborator"] == 1
    assert big.loc["Seagen", "trials"] == "NCT03501979"
    assert big.loc["Pfizer", "trials"] == "NCT03501979"  # via Seagen
    assert not big.loc["Novartis", "has_lm_activity"]
    # Roche only supplies the drug of an academic asset: listed, not counted as activity
    assert big.loc["Roche", "assets_supplied"] == 1
    assert not big.loc["Roche", "has_lm_activity"]


def test_lm_focused_leaders_are_biotechs_ranked_by_trials(data):
    _, _, tables = data
    leaders = tables["lm_focused_leaders"]
    assert leaders["trials_total"].is_monotonic_decreasing
    assert leaders.iloc[0]["company"] == "Y-mAbs Therapeutics"
    assert "Plus Therapeutics" in set(leaders["company"].head(3))


def test_filters_and_phase_labels(data):
    studies, _, _ = data
    assert phase_label("PHASE1|PHASE2") == "Phase 1/2"
    assert len(filter_studies(studies, phase="PHASE2")) == 18 + 4
    with (FIXTURES / "lm-trials.csv").open(encoding="utf-8") as handle:
        statuses = [row["overall_status"] for row in csv.DictReader(handle)]
    assert len(filter_studies(studies, status="recruiting")) == statuses.count("RECRUITING") > 0
    assert len(filter_studies(studies, sponsor="Memorial Sloan")) == 7


def test_figures_and_html(data, tmp_path):
    _, _, tables = data
    figures = landscape_figures(tables)
    assert figures[0][0] == "LM trials by phase and modality"
    assert len(figures) == 3
    stacked = figures[0][1]
    assert stacked.layout.barmode == "stack"
    assert sum(sum(bar.y) for bar in stacked.data) == 52
    path = write_landscape_html(tmp_path / "l.html", tables)
    assert "Large companies with LM trials or assets" in path.read_text()


@pytest.mark.parametrize("typed", ["3", "phase 3", "Phase III", "III", "PHASE3", "phase-3"])
def test_a_phase_filter_accepts_the_ways_readers_write_it(typed):
    from leptomarket.trials.landscape import phase_code

    assert phase_code(typed) == "PHASE3"
    assert phase_code("early 1") == "EARLY_PHASE1"
