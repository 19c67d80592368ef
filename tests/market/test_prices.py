"""One price basis: observation years carried by price growth, national prices, overrides."""

from __future__ import annotations

import numpy as np
import pytest

from leptomarket.core.market import price_trend
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.errors import InputError
from leptomarket.knowledge.loader import load_indication
from leptomarket.scenarios.scenario import apply_overrides, load_scenario


@pytest.fixture(scope="module")
def lm():
    return load_indication("lm")


@pytest.fixture(scope="module")
def base(lm):
    return run_forecast(lm, RunSettings(0))


def test_price_trend_carries_a_price_from_its_observation_year():
    years = np.array([2014.0, 2015.0, 2020.0])
    price_year = np.array([[2015.0, 2020.0]])  # [country, therapy]
    trend = price_trend(years, price_year, np.array([[0.02]]))
    # 2015 price: deflated one year back, 1.02**5 forward; 2020 price: 1.02**-6 .. 1.
    np.testing.assert_allclose(trend[0, 0, :, 0], [1 / 1.02, 1.0, 1.02**5])
    np.testing.assert_allclose(trend[0, 0, :, 1], [1.02**-6, 1.02**-5, 1.0])


def per_patient(result, lm, country: str, therapy: str, year: int) -> float:
    c = lm.labels("country").index(country)
    i = lm.labels("therapy").index(therapy)
    y = [int(v) for v in lm.years].index(year)
    market = result.market
    return float(market["revenue"][0, c, y, i] / market["patients"][0, c, y, i])


def test_a_national_price_replaces_the_index_and_grows_at_its_own_rate(lm, base):
    # Osimertinib, 2024: UK list GBP-derived $10,910 (2019) x 0.99**5; US $19,400 (2015)
    # x 1.017**9; net discount 0 and no LOE yet, months and compliance the same.
    ratio = per_patient(base, lm, "UK", "osimertinib", 2024) / per_patient(
        base, lm, "US", "osimertinib", 2024
    )
    assert ratio == pytest.approx((10910 * 0.99**5) / (19400 * 1.017**9), rel=1e-5)
    # France has no national row: the US price x France's index 0.66, France's growth.
    ratio_fr = per_patient(base, lm, "FR", "osimertinib", 2024) / per_patient(
        base, lm, "US", "osimertinib", 2024
    )
    assert ratio_fr == pytest.approx(0.66 * 0.99**9 / 1.017**9, rel=1e-5)


def write_scenario(tmp_path, body: str):
    path = tmp_path / "price.yaml"
    path.write_text(
        "name: de_price\ndescription: one country's price\noverrides:\n" + body, encoding="utf-8"
    )
    return path


def test_one_country_price_override_changes_that_country_only(lm, base, tmp_path):
    path = write_scenario(
        tmp_path,
        "  - {parameter: market.monthly_price, where: {country: DE, therapy: osimertinib},"
        " value: 20000, year: 2024, assumption: test of a one-country override}\n",
    )
    scenario = load_scenario(lm, path)
    edited = run_forecast(lm, RunSettings(0), scenario)
    i = lm.labels("therapy").index("osimertinib")
    countries = lm.labels("country")
    y = [int(v) for v in lm.years].index(2024)
    old, new = base.market["revenue"][0, :, y, i], edited.market["revenue"][0, :, y, i]
    de = countries.index("DE")
    # Germany: 20,000 (2024) against 8,840 (2016) x 0.97**8.
    assert new[de] / old[de] == pytest.approx(20000 / (8840 * 0.97**8), rel=1e-5)
    others = [k for k in range(len(countries)) if k != de]
    np.testing.assert_allclose(new[others], old[others], rtol=1e-6)


def test_a_price_override_without_its_year_is_blamed_on_the_scenario(lm, tmp_path):
    path = write_scenario(
        tmp_path,
        "  - {parameter: market.monthly_price, where: {country: US, therapy: osimertinib},"
        " value: 20000, assumption: no year}\n",
    )
    scenario = load_scenario(lm, path)
    with pytest.raises(InputError) as caught:
        apply_overrides(lm, scenario)
    message = str(caught.value)
    assert str(path) in message and "overrides[0].year" in message and "add year" in message


def test_history_years_are_deflated_not_priced_at_todays_prices(lm, base):
    # US pembrolizumab is a 2026 price: 2020 revenue per patient is 1.017**-6 of 2026's.
    early = per_patient(base, lm, "US", "pembrolizumab", 2020)
    late = per_patient(base, lm, "US", "pembrolizumab", 2026)
    assert early / late == pytest.approx(1.017**-6, rel=1e-5)
