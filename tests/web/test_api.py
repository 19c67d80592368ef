"""The JSON API with FastAPI's test client: summaries, cache, trace, token rules, 422s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.knowledge.loader import load_indication
from leptomarket.web.app import MAX_API_DRAWS, create_app


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.delenv("LEPTOMARKET_API_TOKEN", raising=False)
    return TestClient(create_app("template", str(tmp_path / "store.duckdb")))


def test_health_parameters_sources_levers_scenarios(client):
    assert client.get("/api/health").json()["status"] == "ok"
    names = {p["name"] for p in client.get("/api/parameters").json()}
    assert "epidemiology.lm_risk" in names
    rows = client.get("/api/parameters/epidemiology.lm_risk").json()["rows"]
    assert rows[0]["sources"] == ["template_synthetic"]
    assert "template_synthetic" in client.get("/api/sources").json()
    assert "cheaper" in client.get("/api/levers").json()
    assert client.get("/api/parameters/nope").status_code == 404
    assert isinstance(client.get("/api/scenarios").json(), list)


def test_forecast_matches_the_engine_and_is_cached_by_run_id(client):
    body = {"draws": 0, "region": "ALL", "year": 2022}
    first = client.post("/api/forecast", json=body)
    assert first.status_code == 200, first.text
    data = first.json()
    assert not data["cached"] and data["rows"]
    again = client.post("/api/forecast", json=body).json()
    assert again["cached"] and again["run_id"] == data["run_id"]
    summary = run_forecast(load_indication("template"), RunSettings(0)).summary()
    expected = summary[
        (summary.metric == "revenue")
        & (summary.country == "ALL")
        & (summary.year == 2022)
        & (summary.level == "market")
        & (summary.key == "drug")
    ]["mean"].iloc[0]
    got = next(
        r
        for r in data["rows"]
        if r["metric"] == "revenue" and r["level"] == "market" and r["key"] == "drug"
    )
    assert got["mean"] == pytest.approx(expected)


def test_an_inline_lever_changes_the_answer(client):
    base = client.post("/api/forecast", json={"draws": 0, "region": "ALL", "year": 2022}).json()
    cheaper = client.post(
        "/api/forecast",
        json={"draws": 0, "region": "ALL", "year": 2022, "levers": {"cheaper": 1.0}},
    ).json()

    def drug(data):
        return next(
            r["mean"]
            for r in data["rows"]
            if r["metric"] == "revenue" and r["level"] == "market" and r["key"] == "drug"
        )

    assert drug(cheaper) < drug(base)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draws": MAX_API_DRAWS + 1}, "draws"),
        ({"draws": -1}, "draws"),
        ({"scenario": "../../etc/passwd"}, "scenario"),
        ({"levers": {"nope": 1}}, "levers.nope"),
        (
            {
                "overrides": [
                    {"parameter": "treatment.treated_share", "value": -0.4, "assumption": "x"}
                ]
            },
            "overrides[0].value",
        ),
        ({"region": "ZZ"}, "region"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_requests_are_422_naming_the_field(client, body, field):
    response = client.post("/api/forecast", json={"draws": 0, **body})
    assert response.status_code == 422, response.text
    assert field in response.text


def test_storing_needs_the_token_and_is_off_without_one(client, tmp_path, monkeypatch):
    off = client.post("/api/forecast", json={"draws": 0, "store": True})
    assert off.status_code == 403 and "LEPTOMARKET_API_TOKEN" in off.text
    monkeypatch.setenv("LEPTOMARKET_API_TOKEN", "s3cret")
    wrong = client.post(
        "/api/forecast",
        json={"draws": 0, "store": True},
        headers={"Authorization": "Bearer nope"},
    )
    assert wrong.status_code == 401
    ok = client.post(
        "/api/forecast",
        json={"draws": 0, "store": True},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert ok.status_code == 200 and ok.json()["stored"]
    runs = client.get("/api/runs").json()
    assert [r["run_id"] for r in runs] == [ok.json()["run_id"]]
    assert client.get(f"/api/runs/{runs[0]['run_id']}").status_code == 200
    assert client.get("/api/runs/nope").status_code == 404


def test_trace_factors_multiply_to_the_cell(client):
    response = client.get(
        "/api/trace",
        params={"metric": "treated_cases", "country": "AA", "year": 2021, "segment": "t1_x"},
    )
    assert response.status_code == 200, response.text
    data = response.json()
    # 1100 x 0.25 x 0.5 x 0.2 / 0.625 x 0.5 (diagnosed) x 0.5 (treated) = 11
    assert data["value"] == pytest.approx(11.0)
    assert data["product_of_factors"] == pytest.approx(data["value"])
    assert all(f["sources"] == ["template_synthetic"] for f in data["factors"])
    bad = client.get(
        "/api/trace",
        params={"metric": "revenue", "country": "AA", "year": 2021, "segment": "t1_x"},
    )
    assert bad.status_code == 422 and "metric" in bad.text


def test_the_dashboard_is_served_offline(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script src="/static/plotly.min.js">' in page.text
    assert "https://" not in page.text and "http://" not in page.text  # no CDN
    script = client.get("/static/plotly.min.js")
    assert script.status_code == 200 and len(script.content) > 1_000_000
    assert "ALL" in client.get("/api/regions").json()


def test_the_app_refuses_an_indication_with_warnings_unless_allowed(template_with_a_warning):
    from leptomarket.errors import InputError

    root = template_with_a_warning
    with pytest.raises(InputError, match="--allow-warnings"):
        create_app(str(root))
    assert create_app(str(root), allow_warnings=True) is not None
