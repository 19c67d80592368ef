"""Loading the synthetic template indication: dimensions, parameters and resolved grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leptomarket.errors import InputError
from leptomarket.knowledge.loader import collect, load_indication, parameter_name
from leptomarket.knowledge.model import Issue

#: The parameters the epidemiology model reads (the template also has market ones).
EPI_PARAMETERS = {
    "diagnosis.cytology_sensitivity",
    "diagnosis.liquid_biopsy_midpoint_year",
    "diagnosis.liquid_biopsy_peak_share",
    "diagnosis.liquid_biopsy_sensitivity",
    "diagnosis.liquid_biopsy_steepness",
    "diagnosis.lumbar_puncture_rate",
    "diagnosis.mri_sensitivity",
    "diagnosis.workup_rate",
    "epidemiology.incidence",
    "epidemiology.incidence_trend",
    "epidemiology.lm_risk",
    "epidemiology.lm_risk_trend",
    "epidemiology.subtype_share",
    "treatment.treated_share",
}


@pytest.fixture(scope="module")
def template():
    return load_indication("template", strict=True)


def test_template_loads_strictly_without_issues(template):
    assert template.name == "template"
    assert template.issues == ()
    _, issues = collect("template")
    assert issues == []


def test_template_dimensions_and_years(template):
    assert template.labels("country") == ["AA", "BB"]
    assert template.labels("tumour") == ["t1", "t2"]
    assert template.labels("segment") == ["t1_x", "t1_y", "t2_all"]
    assert template.attribute("segment", "tumour") == ["t1", "t1", "t2"]
    assert template.years.tolist() == [2020, 2021, 2022]
    assert template.labels("year") == ["2020", "2021", "2022"]
    assert template.indication.regions == {"ALL": ["AA", "BB"]}
    assert template.display_name("country", "BB") == "Country B"


def test_template_has_every_epidemiology_parameter_and_cites_known_sources(template):
    assert set(template.parameters) >= EPI_PARAMETERS
    assert "template_synthetic" in template.sources
    for name in EPI_PARAMETERS:
        assert template.parameter(name).used_source_keys() == {"template_synthetic"}
    for parameter in template.parameters.values():
        assert parameter.used_source_keys() <= set(template.sources), parameter.name


def test_parameter_name_is_its_path_under_parameters(template):
    path = template.root / "parameters" / "epidemiology" / "lm_risk.yaml"
    assert parameter_name(template.root, path) == "epidemiology.lm_risk"
    assert template.parameter("epidemiology.lm_risk").file == path


def test_unknown_parameter_name_raises_key_error_naming_it(template):
    with pytest.raises(KeyError, match=r"no parameter 'epidemiology\.nope'"):
        template.parameter("epidemiology.nope")


def test_fully_specified_rows_fill_the_incidence_grid(template):
    incidence = template.parameter("epidemiology.incidence")
    assert incidence.dims == ("country", "tumour")
    assert incidence.shape == (2, 2)
    np.testing.assert_array_equal(incidence.point(), [[1000, 500], [2000, 400]])
    reference = incidence.row_reference_years()[incidence.cell_row]
    np.testing.assert_array_equal(reference, [[2020, 2020], [2021, 2021]])


def test_broadcast_row_covers_cells_the_specific_row_does_not(template):
    trend = template.parameter("epidemiology.incidence_trend")
    # Row 0 leaves country and tumour out (every cell); row 1 overrides AA/t1.
    np.testing.assert_array_equal(trend.cell_row, [[1, 0], [0, 0]])
    np.testing.assert_array_equal(trend.point(), [[0.1, 0.0], [0.0, 0.0]])


def test_country_override_rows_win_over_segment_rows(template):
    share = template.parameter("epidemiology.subtype_share")
    assert share.dims == ("country", "segment")
    np.testing.assert_array_equal(share.cell_row, [[0, 1, 4], [2, 3, 4]])
    np.testing.assert_allclose(share.point(), [[0.25, 0.75, 1.0], [0.5, 0.5, 1.0]])
    # The point shares of each tumour sum to 1 in every country.
    np.testing.assert_allclose(share.point()[:, :2].sum(axis=1), [1.0, 1.0])


def test_country_override_of_liquid_biopsy_ceiling(template):
    peak = template.parameter("diagnosis.liquid_biopsy_peak_share")
    np.testing.assert_array_equal(peak.point(), [0.0, 0.5])
    assert peak.spec.distribution == "fixed"


def test_scalar_parameters_have_an_empty_shape(template):
    mri = template.parameter("diagnosis.mri_sensitivity")
    assert mri.dims == ()
    assert mri.shape == ()
    assert float(mri.point()) == 0.5
    trend = template.parameter("epidemiology.lm_risk_trend")
    assert trend.row_reference_years().tolist() == [2020]
    assert trend.spec.distribution == "pert"


def test_file_level_source_is_the_default_for_rows(template):
    lm_risk = template.parameter("epidemiology.lm_risk")
    assert all(row.source is None for row in lm_risk.rows)
    assert lm_risk.sources_of(lm_risk.rows[0]) == ["template_synthetic"]
    assert lm_risk.assumption_of(lm_risk.rows[0]) is None


def test_exclusive_groups_are_parsed(template):
    groups = template.parameter("epidemiology.subtype_share").spec.exclusive_groups
    assert groups is not None
    assert (groups.over, groups.by, groups.sum, groups.tolerance) == (
        "segment",
        "tumour",
        "equal",
        0.001,
    )


def test_content_hash_is_stable_and_follows_the_files(template, template_copy: Path):
    copy = load_indication(template_copy)
    assert copy.content_hash == template.content_hash  # relative paths + bytes only
    path = template_copy / "parameters" / "treatment" / "treated_share.yaml"
    path.write_text(path.read_text().replace("value: 0.5", "value: 0.55"))
    changed = load_indication(template_copy)
    assert changed.content_hash != template.content_hash
    assert float(changed.parameter("treatment.treated_share").point()[0]) == 0.55


def test_unknown_indication_is_an_input_error():
    with pytest.raises(InputError, match="no such indication"):
        load_indication("no_such_indication_xyz")


def test_issue_renders_level_file_key_reason_and_check():
    issue = Issue("warning", "a/b.yaml", "values[0]", "is odd", "range")
    assert str(issue) == "warning: a/b.yaml: values[0]: is odd [range]"
