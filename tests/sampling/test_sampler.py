"""The sampling contract: ``sample(spec, n_draws, seed, method)`` on the template's inputs."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from leptomarket.engine.epi_inputs import epi_parameters
from leptomarket.knowledge.loader import indication_root, load_indication
from leptomarket.sampling.sampler import (
    InputRef,
    ParameterDraws,
    UnitStream,
    build_spec,
    group_index,
    is_power_of_two,
    normalise_groups,
    sample,
    sample_chunks,
)

METHODS = ("mc", "lhs", "sobol")


@pytest.fixture(scope="module")
def template():
    return load_indication("template")


@pytest.fixture(scope="module")
def spec(template):
    return build_spec(epi_parameters(template))


def edited_template(tmp_path: Path, relative: str, text: str):
    """Load a copy of the template with one parameter file replaced by ``text``."""
    root = tmp_path / "template"
    shutil.copytree(indication_root("template"), root)
    (root / "parameters" / relative).write_text(text, encoding="utf-8")
    return load_indication(root)


def test_spec_has_one_input_per_row_in_use(spec, template):
    # 31 rows in the 20 epidemiology files, each used by at least one cell.
    assert spec.n_inputs == 31
    assert spec.n_uniform == 31  # no parameter declares correlation: shared
    assert InputRef("epidemiology.incidence", 3) in spec.inputs
    assert spec.inputs.index(InputRef("epidemiology.incidence", 0)) < spec.inputs.index(
        InputRef("epidemiology.incidence", 1)
    )
    families = {ref.parameter: m.family for ref, m in zip(spec.inputs, spec.marginals, strict=True)}
    assert families["epidemiology.incidence"] == "lognormal"
    assert families["diagnosis.liquid_biopsy_midpoint_year"] == "fixed"


@pytest.mark.parametrize("method", METHODS)
def test_same_int_seed_gives_identical_draws(spec, method):
    first = sample(spec, 500, 42, method)
    second = sample(spec, 500, 42, method)
    assert first.shape == (500, 31)
    np.testing.assert_array_equal(first, second)
    other = sample(spec, 500, 43, method)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("method", METHODS)
def test_generator_seed_is_accepted_and_matches_the_int_seed(spec, method):
    from_generator = sample(spec, 300, np.random.default_rng(42), method)
    np.testing.assert_array_equal(from_generator, sample(spec, 300, 42, method))


def test_sampling_does_not_touch_global_numpy_state(spec):
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    sample(spec, 100, 1, "mc")
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("method", METHODS)
def test_chunked_stream_equals_unchunked(spec, method):
    small = list(sample_chunks(spec, 1000, 7, method, chunk_size=7))
    assert [len(c) for c in small] == [7] * 142 + [6]  # 1000 = 142 * 7 + 6
    whole = list(sample_chunks(spec, 1000, 7, method, chunk_size=1000))
    assert len(whole) == 1
    np.testing.assert_array_equal(np.concatenate(small), whole[0])


def test_sobol_chunks_of_any_size_raise_no_warning(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample(spec, 1000, 3, "sobol")


def test_latin_hypercube_has_one_point_per_stratum_in_each_column():
    n = 64
    unit = UnitStream(5, n, 11, "lhs").next(n)
    strata = np.floor(unit * n).astype(int)
    for column in strata.T:
        assert sorted(column.tolist()) == list(range(n))


def test_latin_hypercube_values_are_stratified_through_the_marginals(spec):
    n = 50
    values = sample(spec, n, 5, "lhs")
    for j, marginal in enumerate(spec.marginals):
        frozen = marginal.frozen()
        if frozen is None:
            continue
        strata = np.floor(frozen.cdf(values[:, j]) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n)), spec.inputs[j]


def test_monte_carlo_draws_follow_their_marginals(spec):
    values = sample(spec, 20_000, 9, "mc")
    column = spec.inputs.index(InputRef("diagnosis.mri_sensitivity", 0))
    # Beta with mean 0.5, sd 0.1 / 1.96; standard error of the mean ~3.6e-4.
    assert values[:, column].mean() == pytest.approx(0.5, abs=2e-3)
    assert values[:, column].std() == pytest.approx(0.1 / 1.959964, rel=0.03)


def test_point_mode_returns_point_values(spec, template):
    values = sample(spec, 3, None, "point")
    expected = [template.parameter(r.parameter).rows[r.row].value for r in spec.inputs]
    assert values.shape == (3, 31)
    for row in values:
        assert row.tolist() == expected


def test_zero_draws_and_unknown_methods_are_rejected(spec):
    with pytest.raises(ValueError, match="at least 1"):
        sample(spec, 0, 1, "mc")
    with pytest.raises(ValueError, match="mc, lhs or sobol"):
        UnitStream(3, 10, 1, "point")


def test_is_power_of_two():
    assert [n for n in range(1, 20) if is_power_of_two(n)] == [1, 2, 4, 8, 16]
    assert not is_power_of_two(0)


def test_a_broadcast_row_is_one_uncertain_number_for_every_cell_it_covers(spec, template):
    draws = ParameterDraws(template, spec)
    trend = draws.array(sample(spec, 200, 4, "mc"), "epidemiology.incidence_trend")
    assert trend.shape == (200, 2, 2)
    # Row 0 covers AA/t2, BB/t1, BB/t2: identical in every draw; AA/t1 has its own row.
    np.testing.assert_array_equal(trend[:, 0, 1], trend[:, 1, 0])
    np.testing.assert_array_equal(trend[:, 0, 1], trend[:, 1, 1])
    assert not np.array_equal(trend[:, 0, 0], trend[:, 0, 1])


WORKUP_SHARED = """\
description: Share of patients with the complication who are worked up.
unit: proportion
dimensions: [country]
distribution: beta
correlation: shared
source: template_synthetic
values:
  - {country: AA, value: 0.8, low: 0.7, high: 0.9}
  - {country: BB, value: 0.8, low: 0.7, high: 0.9}
"""


def test_shared_correlation_gives_equal_rows_the_same_draw(tmp_path):
    knowledge = edited_template(tmp_path, "diagnosis/workup_rate.yaml", WORKUP_SHARED)
    spec = build_spec(epi_parameters(knowledge))
    assert spec.n_inputs == 32
    assert spec.n_uniform == 31  # two rows, one uniform column
    workup = ParameterDraws(knowledge, spec).array(
        sample(spec, 500, 8, "mc"), "diagnosis.workup_rate"
    )
    np.testing.assert_array_equal(workup[:, 0], workup[:, 1])
    assert workup[:, 0].std() > 0.01


def test_shared_correlation_makes_different_rows_move_together(tmp_path):
    text = WORKUP_SHARED.replace(
        "{country: BB, value: 0.8, low: 0.7, high: 0.9}",
        "{country: BB, value: 0.4, low: 0.3, high: 0.5}",
    )
    knowledge = edited_template(tmp_path, "diagnosis/workup_rate.yaml", text)
    spec = build_spec(epi_parameters(knowledge))
    workup = ParameterDraws(knowledge, spec).array(
        sample(spec, 500, 8, "sobol"), "diagnosis.workup_rate"
    )
    columns = [spec.inputs.index(InputRef("diagnosis.workup_rate", i)) for i in (0, 1)]
    u = [spec.marginals[c].frozen().cdf(workup[:, k]) for k, c in enumerate(columns)]
    np.testing.assert_allclose(u[0], u[1], atol=1e-6)  # the same uniform, two marginals
    assert np.array_equal(np.argsort(workup[:, 0]), np.argsort(workup[:, 1]))


WORKUP_BY_SOURCE = """\
description: Share of patients with the complication who are worked up.
unit: proportion
dimensions: [country]
distribution: beta
correlation: by_source
values:
  - {country: AA, value: 0.8, low: 0.7, high: 0.9, source: template_synthetic}
  - {country: BB, value: 0.6, low: 0.5, high: 0.7, source: template_synthetic}
"""


def test_by_source_correlation_moves_rows_of_one_source_together(tmp_path):
    knowledge = edited_template(tmp_path, "diagnosis/workup_rate.yaml", WORKUP_BY_SOURCE)
    spec = build_spec(epi_parameters(knowledge))
    assert spec.n_inputs == 32 and spec.n_uniform == 31  # one source, one column
    workup = ParameterDraws(knowledge, spec).array(
        sample(spec, 500, 8, "mc"), "diagnosis.workup_rate"
    )
    assert np.array_equal(np.argsort(workup[:, 0]), np.argsort(workup[:, 1]))


def test_by_source_correlation_keeps_rows_of_different_sources_independent(tmp_path):
    root = tmp_path / "template"
    shutil.copytree(indication_root("template"), root)
    sources = root / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8")
        + "other_cohort: {authors: A, year: 2020, title: T, publisher: P, kind: dataset,"
        + " url: 'https://example.org/other'}\n",
        encoding="utf-8",
    )
    text = WORKUP_BY_SOURCE.replace(
        "high: 0.7, source: template_synthetic", "high: 0.7, source: other_cohort"
    )
    (root / "parameters" / "diagnosis" / "workup_rate.yaml").write_text(text, encoding="utf-8")
    knowledge = load_indication(root)
    spec = build_spec(epi_parameters(knowledge))
    assert spec.n_uniform == 32  # two sources, two columns
    workup = ParameterDraws(knowledge, spec).array(
        sample(spec, 2000, 8, "mc"), "diagnosis.workup_rate"
    )
    assert abs(np.corrcoef(workup[:, 0], workup[:, 1])[0, 1]) < 0.1


@pytest.mark.parametrize("method", METHODS)
def test_exclusive_shares_are_renormalised_to_sum_to_one_per_draw(spec, template, method):
    values = sample(spec, 2000, 12, method)
    share = ParameterDraws(template, spec).array(values, "epidemiology.subtype_share")
    assert share.shape == (2000, 2, 3)  # [draw, country, segment]
    np.testing.assert_allclose(share[:, :, 0] + share[:, :, 1], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(share[:, :, 2], 1.0)  # t2_all is alone in its group
    # The raw draws of the two t1 rows (AA) do not sum to 1: renormalising did the work.
    raw = values[:, [spec.inputs.index(InputRef("epidemiology.subtype_share", i)) for i in (0, 1)]]
    assert np.abs(raw.sum(axis=1) - 1).max() > 0.05
    # ... and keeps the ratio of the drawn shares.
    np.testing.assert_allclose(share[:, 0, 0] / share[:, 0, 1], raw[:, 0] / raw[:, 1], rtol=1e-12)


def test_group_index_follows_the_by_attribute(spec, template):
    axis, ids = group_index(template, template.parameter("epidemiology.subtype_share"))
    assert axis == 1
    assert ids.tolist() == [0, 0, 1]


def test_at_most_groups_are_scaled_down_only_where_they_exceed_one():
    # [draw, segment]; segments 0 and 1 form group 0, segment 2 group 1.
    grid = np.array([[0.3, 0.5, 0.9], [0.7, 0.6, 0.2], [0.0, 0.0, 1.4]])
    out = normalise_groups(grid, (0, np.array([0, 0, 1])), "at_most")
    np.testing.assert_allclose(out[0], [0.3, 0.5, 0.9])  # 0.8 <= 1 kept
    np.testing.assert_allclose(out[1], [0.7 / 1.3, 0.6 / 1.3, 0.2])  # 1.3 -> 1
    np.testing.assert_allclose(out[2], [0.0, 0.0, 1.0])  # 1.4 -> 1


def test_equal_groups_with_zero_total_stay_zero():
    grid = np.array([[0.0, 0.0, 0.5], [0.2, 0.6, 0.5]])
    out = normalise_groups(grid, (0, np.array([0, 0, 1])), "equal")
    np.testing.assert_allclose(out, [[0.0, 0.0, 1.0], [0.25, 0.75, 1.0]])


SHARE_AT_MOST = """\
description: Share of a tumour's incident cases in each molecular segment.
unit: proportion
dimensions: [country, segment]
distribution: beta
exclusive_groups: {over: segment, by: tumour, sum: at_most, tolerance: 0.001}
source: template_synthetic
values:
  - {segment: t1_x, value: 0.45, low: 0.3, high: 0.6}
  - {segment: t1_y, value: 0.45, low: 0.3, high: 0.6}
  - {segment: t2_all, value: 1.0}
"""


def test_at_most_group_caps_drawn_shares_at_one(tmp_path):
    knowledge = edited_template(tmp_path, "epidemiology/subtype_share.yaml", SHARE_AT_MOST)
    assert knowledge.issues == ()  # 0.9 is "at most 1"
    spec = build_spec(epi_parameters(knowledge))
    values = sample(spec, 4000, 2, "mc")
    share = ParameterDraws(knowledge, spec).array(values, "epidemiology.subtype_share")
    totals = share[:, :, 0] + share[:, :, 1]
    assert totals.max() <= 1.0 + 1e-12
    raw = values[:, [spec.inputs.index(InputRef("epidemiology.subtype_share", i)) for i in (0, 1)]]
    over = raw.sum(axis=1) > 1
    assert 0.1 < over.mean() < 0.5  # some draws needed capping, most did not
    np.testing.assert_allclose(totals[over, 0], 1.0, atol=1e-12)
    np.testing.assert_array_equal(share[~over, 0, :2], raw[~over])
