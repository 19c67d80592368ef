"""The LM package's evidence: per-tumour risks, triangulation, prevention, diagnosis once."""

from __future__ import annotations

import numpy as np
import pytest

from leptomarket.engine.run import RunSettings, run_epidemiology
from leptomarket.knowledge.loader import load_indication
from leptomarket.knowledge.triangulation import triangulation_table


@pytest.fixture(scope="module")
def lm():
    return load_indication("lm")


@pytest.fixture(scope="module")
def point(lm):
    return run_epidemiology(lm, RunSettings(0))


def risk_per_case(lm, segment: str) -> float:
    k = lm.labels("segment").index(segment)
    shares = lm.parameter("epidemiology.advanced_share").point()
    return float(shares[k] * lm.parameter("epidemiology.lm_risk").point()[k])


def test_every_segment_has_the_model_estimate_and_another_method(lm):
    rows = triangulation_table(lm)
    for segment in lm.labels("segment"):
        mine = [r for r in rows if r.segment == segment]
        assert sum(r.chosen for r in mine) == 1, segment
        assert len(mine) >= 2, segment
        assert all(r.sources for r in mine), segment
        assert mine[0].chosen and mine[0].note  # the model first, with why it was chosen


def test_model_row_is_computed_from_the_parameters(lm):
    rows = {r.segment: r for r in triangulation_table(lm) if r.chosen}
    # NSCLC EGFR-mutant: 0.72 reach advanced disease x 9.6% LM among them.
    assert rows["nsclc_egfr"].value == pytest.approx(0.72 * 0.096)
    assert rows["nsclc_egfr"].low == pytest.approx(0.665 * 0.07)
    for segment, row in rows.items():
        assert row.value == pytest.approx(risk_per_case(lm, segment))
        assert row.low <= row.value <= row.high


def test_lung_risks_come_from_lung_evidence_not_the_breast_anchor(lm):
    table = triangulation_table(lm)
    for segment in ("nsclc_egfr", "nsclc_other", "sclc"):
        model = next(r for r in table if r.segment == segment and r.chosen)
        ratio = next(r for r in table if r.segment == segment and "Case-mix" in r.method)
        # Tumour-specific cohorts point 2-4x above the breast-anchored ratio.
        assert 2.0 <= model.value / ratio.value <= 4.0, segment
    sources = lm.parameter("epidemiology.lm_risk").rows
    lung = [r for r in sources if r.labels().get("segment", "").startswith("nsclc")]
    assert all("lord_2022" not in (r.source or []) for r in lung)


def test_segments_without_a_shared_source_are_drawn_independently(lm):
    from leptomarket.engine.epi_inputs import epi_parameters
    from leptomarket.sampling.sampler import build_spec

    spec = build_spec(epi_parameters(lm))
    column = {
        (ref.parameter, ref.row): int(spec.uniform_column[i]) for i, ref in enumerate(spec.inputs)
    }
    risk = lm.parameter("epidemiology.lm_risk")
    row_of = {r.labels()["segment"]: i for i, r in enumerate(risk.rows)}
    col = {s: column["epidemiology.lm_risk", row_of[s]] for s in row_of}
    assert col["breast_her2_pos"] == col["breast_tnbc"]  # one case-mix source set
    assert col["nsclc_egfr"] != col["breast_her2_pos"]
    assert col["sclc"] != col["nsclc_other"]


def test_osimertinib_uptake_lowers_egfr_lm_risk_but_not_breast(point, lm):
    years = [int(y) for y in lm.years]
    segments = lm.labels("segment")
    lm_us = point.cubes["incident_cases"][0, 0]  # [year, segment], US
    egfr, breast = segments.index("nsclc_egfr"), segments.index("breast_her2_pos")
    grow = lm_us[years.index(2024)] / lm_us[years.index(2020)]
    # Both segments grow with incidence and the 1%/yr survival trend; EGFR-mutant LM
    # also falls as osimertinib (HR 0.38) takes over from earlier TKIs.
    assert grow[breast] > 1.0
    assert grow[egfr] < 0.8 * grow[breast]


def test_diagnosed_equals_series_count_times_work_up_without_liquid_biopsy(lm, tmp_path):
    import shutil

    from leptomarket.knowledge.loader import indication_root

    root = tmp_path / "lm"
    shutil.copytree(indication_root("lm"), root)
    peak = root / "parameters" / "diagnosis" / "liquid_biopsy_peak_share.yaml"
    peak.write_text(
        "description: none\nunit: proportion\ndimensions: [country]\ndistribution: fixed\n"
        "values:\n  - {value: 0.0, assumption: test}\n",
        encoding="utf-8",
    )
    knowledge = load_indication(root)
    run = run_epidemiology(knowledge, RunSettings(0))
    mri, lp, cytology = (
        float(knowledge.parameter(f"diagnosis.{n}").point()[()])
        for n in ("mri_sensitivity", "lumbar_puncture_rate", "cytology_sensitivity")
    )
    found = mri + (1 - mri) * lp * cytology
    workup = knowledge.parameter("diagnosis.workup_rate").point()
    series = run.cubes["incident_cases"][0] * found  # [country, year, segment]
    np.testing.assert_allclose(
        run.cubes["diagnosed_cases"][0], series * workup[:, None, None], rtol=1e-5
    )


def loe_curve(lm, name: str, molecule: str) -> np.ndarray:
    k = lm.labels("molecule").index(molecule)
    return lm.parameter(name).point()[k]


@pytest.mark.parametrize("molecule", ["small_molecule", "antibody", "adc"])
def test_erosion_curves_rise_with_years_since_loe_and_stay_in_bounds(lm, molecule):
    for name in ("market.loe_generic_share", "market.loe_generic_discount"):
        curve = loe_curve(lm, name, molecule)
        assert np.all(np.diff(curve) >= 0), (name, curve)
        assert np.all((curve >= 0) & (curve <= 1)), (name, curve)
        parameter = lm.parameter(name)
        for row in parameter.rows:
            assert row.low is None or 0 <= row.low <= row.value <= row.high <= 1


def test_erosion_is_fastest_for_generics_slowest_for_adcs(lm):
    def revenue_kept(molecule: str) -> np.ndarray:
        share = loe_curve(lm, "market.loe_generic_share", molecule)
        return 1 - share * loe_curve(lm, "market.loe_generic_discount", molecule)

    small, antibody, adc = (revenue_kept(m) for m in ("small_molecule", "antibody", "adc"))
    assert np.all(small < antibody) and np.all(antibody < adc)
    # US small molecule, year 1: 60% of volume on generics 45% cheaper -> 73% kept.
    assert small[0] == pytest.approx(1 - 0.60 * 0.45)
    assert adc[0] == pytest.approx(1.0)  # no ADC biosimilar at LOE in the point case


def test_every_marketed_drug_has_a_molecule_class_with_a_curve(lm):
    classes = lm.attribute("therapy", "molecule")
    markets = lm.attribute("therapy", "market")
    for therapy, molecule, market in zip(lm.labels("therapy"), classes, markets, strict=True):
        assert molecule in lm.labels("molecule"), therapy
        if therapy == "trastuzumab_deruxtecan":
            assert molecule == "adc"
        if market != "drug":
            assert molecule == "other", therapy


def test_no_treated_patient_on_a_drug_carries_a_zero_price(lm):
    from leptomarket.engine.forecast import run_forecast

    result = run_forecast(lm, RunSettings(0))
    market = lm.attribute("therapy", "market")
    drugs = [i for i, m in enumerate(market) if m == "drug"]
    patients = result.market["patients"][0][..., drugs]
    revenue = result.market["revenue"][0][..., drugs]
    assert np.all(revenue[patients > 1e-6] > 0)
    # The unnamed agents are priced, not dropped: ALK+ patients not yet on alectinib or
    # lorlatinib sit on other ALK TKIs (crizotinib, brigatinib, ceritinib).
    i = lm.labels("therapy").index("other_alk_tki")
    us, y2020 = 0, [int(v) for v in lm.years].index(2020)
    assert result.market["patients"][0, us, y2020, i] > 0
    assert result.market["revenue"][0, us, y2020, i] > 0


def test_an_unpriced_remainder_is_flagged_with_file_and_block(template_with_a_warning):
    from leptomarket.knowledge.loader import collect

    root = template_with_a_warning
    shares = root / "parameters" / "market" / "within_group_share.yaml"
    _, issues = collect(root)
    priced = [i for i in issues if i.check == "priced"]
    assert len(priced) == 2  # countries AA and BB
    assert priced[0].file == str(shares)
    assert "segment=t1_x, group=g1" in priced[0].field
    assert "20.0% of the group's patients carry no price" in priced[0].reason


def test_trastuzumab_deruxtecan_starts_in_her2_low_disease_with_its_label(lm):
    from leptomarket.engine.epi_inputs import epi_parameters
    from leptomarket.engine.forecast import ChunkModel
    from leptomarket.engine.market_inputs import market_parameters
    from leptomarket.sampling.sampler import ParameterDraws, build_spec, sample

    spec = build_spec(epi_parameters(lm) + market_parameters(lm))
    model = ChunkModel(lm, ParameterDraws(lm, spec), point=True)
    values = sample(spec, 1, 1, "point")
    from leptomarket.core.epidemiology import epidemiology_funnel

    inputs = model.market.inputs(values, epidemiology_funnel(model.epi.inputs(values)), point=True)
    pairs, segments = inputs.pairs, lm.labels("segment")
    tdxd = lm.labels("therapy").index("trastuzumab_deruxtecan")
    years = [int(v) for v in lm.years]
    us = lm.labels("country").index("US")

    def uptake(segment: str, year: int) -> float:
        (p,) = np.flatnonzero((pairs.therapy == tdxd) & (pairs.segment == segments.index(segment)))
        return float(inputs.uptake[0, us, years.index(year), p])

    assert uptake("breast_her2_pos", 2021) > 0  # HER2+ label Dec 2019
    assert uptake("breast_hr_pos_her2_neg", 2021) == 0.0  # HER2-low label Aug 2022
    assert uptake("breast_tnbc", 2021) == 0.0
    assert uptake("breast_hr_pos_her2_neg", 2022) > 0
    # Same year since launch, same share of peak, in both labels.
    assert uptake("breast_hr_pos_her2_neg", 2024) == pytest.approx(uptake("breast_her2_pos", 2022))


def test_drug_market_by_segment_adds_up_and_splits_solid_from_haematological(lm):
    from leptomarket.engine.forecast import run_forecast

    result = run_forecast(lm, RunSettings(200, seed=5))
    drugs = [i for i, m in enumerate(lm.attribute("therapy", "market")) if m == "drug"]
    by_therapy = result.market["revenue"][..., drugs].sum(axis=-1)
    by_segment = result.segment_market["drug_revenue_by_segment"].sum(axis=-1)
    np.testing.assert_allclose(by_segment, by_therapy, rtol=2e-5)
    summary = result.summary()
    rows = summary[
        (summary.metric == "drug_revenue_by_segment")
        & (summary.country == "7MM")
        & (summary.year == 2024)
    ].set_index(["level", "key"])["mean"]
    assert rows["scope", "solid"] + rows["scope", "haematological"] == pytest.approx(
        rows["total", "all"], rel=1e-6
    )
    assert 0 < rows["scope", "haematological"] < rows["scope", "solid"]
