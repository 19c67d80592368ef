"""Fuzzing in the suite (CI profile): the project's own error or success, never a crash,
never an impossible number accepted. ``scripts/fuzz_deep.py`` runs the deep profile."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from .fuzz_targets import TARGETS

CI_EXAMPLES = {
    "scenario files": 120,
    "parameter rows": 60,
    "registry records": 300,
    "CLI arguments": 60,
}


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_target_never_crashes_or_wrongly_accepts(name):
    strategy, target = TARGETS[name]

    @settings(
        max_examples=CI_EXAMPLES[name],
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def run(case):
        assert target(case) in ("accepted", "refused")

    run()


def test_a_package_whose_groups_all_have_zero_share_runs_with_no_revenue():
    """Found by the deep profile: no active (segment, therapy) pair crashed the market core."""
    from .fuzz_targets import parameter_target

    assert parameter_target(("market.group_share", [{"low": 0.0, "value": 0.0, "high": 0.0}])) == (
        "accepted"
    )
