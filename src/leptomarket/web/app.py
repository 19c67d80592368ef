"""The JSON API: the same engine and store as the CLI, served by FastAPI.

Endpoints (OpenAPI spec at ``/openapi.json``; examples in ``docs/api.md``):
parameters with their rows and sources, sources, levers, scenarios,
``POST /api/forecast`` (a bundled scenario or an inline one, bounded draws,
summaries filtered by region and year, cached by run id), stored runs,
``/api/trace`` for one funnel cell. Storing a run needs a bearer token from
``$LEPTOMARKET_API_TOKEN``; without one set, writing is off. Every bad
request is a 422 naming the field.
"""

from __future__ import annotations

import hmac
import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd
import plotly
from fastapi import FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leptomarket import __version__
from leptomarket.api import run_record, store_run
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.engine.trace import FUNNEL_METRICS, trace_funnel_cell
from leptomarket.errors import LeptomarketError, RunSpooledError
from leptomarket.knowledge.loader import load_for_run
from leptomarket.scenarios.scenario import (
    Effect,
    Override,
    Scenario,
    ScenarioFile,
    base_scenario,
    load_levers,
    load_scenario,
    scenario_from_spec,
    scenario_names,
)
from leptomarket.store.database import connect
from leptomarket.store.runs import list_runs, read_results

TOKEN_ENV_VAR = "LEPTOMARKET_API_TOKEN"
STATIC = Path(__file__).with_name("static")
PLOTLY_JS = Path(plotly.__file__).with_name("package_data") / "plotly.min.js"
MAX_API_DRAWS = 20_000
CACHE_SIZE = 32


class ForecastRequest(BaseModel):
    """A forecast: a bundled scenario, or levers/overrides/edits inline (or both)."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(default=None, description="Bundled scenario name.")
    levers: dict[str, float] = Field(default_factory=dict)
    overrides: list[Override] = Field(default_factory=list, max_length=50)
    edits: list[Effect] = Field(default_factory=list, max_length=50)
    phase_in_years: int = Field(default=3, ge=1, le=20)
    draws: int = Field(default=1000, ge=0, le=MAX_API_DRAWS)
    seed: int = Field(default=20260101, ge=0, lt=2**63)
    region: str | None = Field(default=None, description="Country or region (default 7MM).")
    year: int | None = Field(default=None, description="One year (default: every year).")
    store: bool = Field(default=False, description="Store the run (needs the bearer token).")


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def create_app(
    indication: str = "lm", db: str | None = None, allow_warnings: bool = False
) -> FastAPI:
    """The API app for one indication and store.

    Like the CLI's computing commands, the app refuses an indication with
    validation warnings unless ``allow_warnings``.
    """
    knowledge = load_for_run(indication, allow_warnings)
    app = FastAPI(
        title="leptomarket API",
        version=__version__,
        description="Sourced LM market forecasts with Monte Carlo intervals and their trace.",
    )
    cache: OrderedDict[str, pd.DataFrame] = OrderedDict()

    @app.exception_handler(LeptomarketError)
    async def _project_error(request: Request, exc: LeptomarketError) -> JSONResponse:
        field = getattr(exc, "field", None) or "body"
        reason = getattr(exc, "reason", None) or str(exc)
        code = 503 if isinstance(exc, RunSpooledError) else 422
        return JSONResponse(status_code=code, content={"detail": [{"loc": [field], "msg": reason}]})

    @app.exception_handler(ValidationError)
    async def _validation_error(request: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.get("/", include_in_schema=False)
    def dashboard() -> HTMLResponse:
        return HTMLResponse((STATIC / "dashboard.html").read_text(encoding="utf-8"))

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Served from the installed plotly package: the dashboard works offline.
        return FileResponse(PLOTLY_JS, media_type="application/javascript")

    @app.get("/api/regions")
    def regions() -> list[str]:
        return [*knowledge.indication.regions, *knowledge.labels("country")]

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        report_years = knowledge.indication.report_years or [int(knowledge.years[-1])]
        return {
            "status": "ok",
            "version": __version__,
            "indication": knowledge.name,
            "report_year": report_years[-1],
        }

    @app.get("/api/parameters")
    def parameters() -> list[dict[str, Any]]:
        return [
            {
                "name": p.name,
                "description": p.spec.description,
                "unit": p.spec.unit,
                "dimensions": list(p.dims),
                "distribution": p.spec.distribution,
                "rows": len(p.rows),
            }
            for p in knowledge.parameters.values()
        ]

    @app.get("/api/parameters/{name}")
    def parameter(name: str) -> dict[str, Any]:
        if name not in knowledge.parameters:
            raise HTTPException(status_code=404, detail=f"no parameter '{name}'")
        p = knowledge.parameters[name]
        return {
            "name": p.name,
            "description": p.spec.description,
            "unit": p.spec.unit,
            "dimensions": list(p.dims),
            "rows": [
                {
                    "labels": row.labels(),
                    "value": row.value,
                    "low": row.low,
                    "high": row.high,
                    "year": row.year,
                    "sources": p.sources_of(row),
                    "assumption": p.assumption_of(row),
                    "note": row.note,
                }
                for row in p.rows
            ],
        }

    @app.get("/api/sources")
    def sources() -> dict[str, dict[str, Any]]:
        return {key: source.model_dump() for key, source in knowledge.sources.items()}

    @app.get("/api/levers")
    def levers() -> dict[str, dict[str, Any]]:
        return {key: lever.model_dump() for key, lever in load_levers(knowledge).items()}

    @app.get("/api/scenarios")
    def scenarios() -> list[str]:
        return scenario_names(knowledge)

    def _scenario(request: ForecastRequest) -> Scenario:
        inline = bool(request.levers or request.overrides or request.edits)
        if request.scenario is not None:
            if request.scenario not in scenario_names(knowledge):
                raise HTTPException(
                    status_code=422,
                    detail=[
                        {
                            "loc": ["body", "scenario"],
                            "msg": f"no bundled scenario '{request.scenario}'",
                        }
                    ],
                )
            chosen = load_scenario(knowledge, request.scenario)
            if not inline:
                return chosen
            spec = chosen.spec.model_copy(
                update={
                    "levers": {**chosen.spec.levers, **request.levers},
                    "overrides": [*chosen.spec.overrides, *request.overrides],
                    "edits": [*chosen.spec.edits, *request.edits],
                }
            )
        elif inline:
            spec = ScenarioFile(
                name="api",
                description="inline scenario",
                phase_in_years=request.phase_in_years,
                levers=request.levers,
                overrides=request.overrides,
                edits=request.edits,
            )
        else:
            return base_scenario()
        return scenario_from_spec(knowledge, spec, "request body")

    def _authorised(authorization: str | None) -> None:
        token = os.environ.get(TOKEN_ENV_VAR)
        if not token:
            raise HTTPException(
                status_code=403,
                detail=f"storing runs is off: start the server with {TOKEN_ENV_VAR} set",
            )
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given, token):
            raise HTTPException(status_code=401, detail="a valid bearer token is needed")

    @app.post("/api/forecast")
    def forecast(
        request: ForecastRequest, authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        if request.store:
            _authorised(authorization)
        chosen = _scenario(request)
        settings = RunSettings(n_draws=request.draws, seed=request.seed, scenario=chosen.name)
        record = run_record("forecast", knowledge, settings, chosen.content_hash)
        region = request.region or ("7MM" if "7MM" in knowledge.indication.regions else None)
        places = set(knowledge.labels("country")) | set(knowledge.indication.regions)
        if region is not None and region not in places:
            raise HTTPException(
                status_code=422, detail=[{"loc": ["body", "region"], "msg": f"unknown '{region}'"}]
            )
        cached = record.run_id in cache
        if cached:
            summary = cache.pop(record.run_id)
        else:
            result = run_forecast(knowledge, settings, scenario=chosen)
            summary = result.summary()
        cache[record.run_id] = summary
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
        if request.store:
            store_run(record, summary, knowledge, db)
        rows = summary if region is None else summary[summary["country"] == region]
        if request.year is not None:
            rows = rows[rows["year"] == request.year]
        return {
            "run_id": record.run_id,
            "cached": cached,
            "stored": request.store,
            "scenario": chosen.name,
            "draws": request.draws,
            "region": region,
            "rows": _frame_records(rows),
        }

    @app.get("/api/runs")
    def runs() -> list[dict[str, Any]]:
        con = connect(db, read_only=True)
        try:
            return _frame_records(list_runs(con).drop(columns=["settings"]))
        finally:
            con.close()

    @app.get("/api/runs/{run_id}")
    def run(run_id: str) -> list[dict[str, Any]]:
        con = connect(db, read_only=True)
        try:
            results = read_results(con, run_id)
        finally:
            con.close()
        if results.empty:
            raise HTTPException(status_code=404, detail=f"no stored run '{run_id}'")
        return _frame_records(results)

    @app.get("/api/trace")
    def trace(
        metric: str = Query(description=f"one of {', '.join(FUNNEL_METRICS)}"),
        country: str = Query(),
        year: int = Query(),
        segment: str = Query(),
    ) -> dict[str, Any]:
        return trace_funnel_cell(knowledge, metric, country, year, segment)

    return app
