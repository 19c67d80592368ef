"""Reconciliation with published estimates and the scope of the headline, as tables.

Pure functions from a run summary to frames; numbers stay numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.knowledge.external import load_external_estimates
from leptomarket.knowledge.model import Knowledge
from leptomarket.report.tables import citation, pick


def _model_value(
    summary: pd.DataFrame, metric: str, region: str, level: str, key: str, year: int
) -> float:
    series = pick(summary, metric, region, level, key)
    return float(series.loc[year, "mean"]) if year in series.index else float("nan")


def reconciliation_table(summary: pd.DataFrame, knowledge: Knowledge) -> pd.DataFrame:
    """Each external estimate beside the model's figure of the same scope.

    For estimates that state their patients, the gap is decomposed as
    ``external / model = (patients ratio) x (value per patient ratio)``;
    for product sales, ``model / external`` is the LM share of the product.

    Returns
    -------
    pandas.DataFrame
        ``estimate, kind, region, year, model_year, unit, external, model,
        external_to_model, patients_ratio, per_patient_ratio, lm_share, scope,
        source``.
    """
    first, last = int(knowledge.years[0]), int(knowledge.years[-1])
    rows = []
    for estimate in load_external_estimates(knowledge.root):
        year = min(max(estimate.year, first), last)
        c = estimate.compare
        model = _model_value(summary, c.metric, estimate.region, c.level, c.key, year)
        patients_ratio = per_patient_ratio = lm_share = np.nan
        if estimate.patients is not None and estimate.patient_basis is not None:
            model_patients = _model_value(
                summary, estimate.patient_basis, estimate.region, "total", "all", year
            )
            patients_ratio = estimate.patients / model_patients
            per_patient_ratio = (estimate.value / estimate.patients) / (model / model_patients)
        if estimate.kind == "product_sales":
            lm_share = model / estimate.value
        rows.append(
            {
                "estimate": estimate.title,
                "kind": estimate.kind.replace("_", " "),
                "region": estimate.region,
                "year": estimate.year,
                "model_year": year,
                "unit": estimate.unit,
                "external": estimate.value,
                "model": model,
                "external_to_model": estimate.value / model if model else np.nan,
                "patients_ratio": patients_ratio,
                "per_patient_ratio": per_patient_ratio,
                "lm_share": lm_share,
                "scope": estimate.scope,
                "source": citation(knowledge, estimate.source),
            }
        )
    return pd.DataFrame(rows)


#: Readers' names of the segments' ``scope`` attribute.
SCOPE_NAMES = {"solid": "Solid-tumour LM", "haematological": "Haematological CNS disease"}
ALL_LM = "All LM"


def scope_name(scope: object) -> str:
    return SCOPE_NAMES.get(str(scope), str(scope)) if scope else ""


def scope_table(
    summary: pd.DataFrame, knowledge: Knowledge, region: str, years: list[int]
) -> pd.DataFrame:
    """Diagnosed LM and drug market by scope and segment, with the 5-95% interval.

    Returns
    -------
    pandas.DataFrame
        ``scope, segment, year, diagnosed, drug_market, drug_market_p05,
        drug_market_p95`` (drug market in USD), segments then scope totals
        then the whole.
    """
    scopes = dict(
        zip(knowledge.labels("segment"), knowledge.attribute("segment", "scope"), strict=True)
    )
    lines = []
    keys = [
        ("segment", s, scope_name(scopes[s]), knowledge.display_name("segment", s))
        for s in knowledge.labels("segment")
    ]
    keys += [
        ("scope", s, scope_name(s), f"All {s}")
        for s in dict.fromkeys(v for v in scopes.values() if v)
    ]
    keys.append(("total", "all", ALL_LM, "All LM"))
    for level, key, scope, name in keys:
        diagnosed = pick(summary, "diagnosed_cases", region, level, key)
        market = pick(summary, "drug_revenue_by_segment", region, level, key)
        if market.empty:
            continue
        for year in years:
            lines.append(
                {
                    "scope": scope,
                    "segment": name,
                    "year": year,
                    "diagnosed": float(diagnosed.loc[year, "mean"]),
                    "drug_market": float(market.loc[year, "mean"]),
                    "drug_market_p05": float(market.loc[year, "p05"]),
                    "drug_market_p95": float(market.loc[year, "p95"]),
                }
            )
    return pd.DataFrame(lines)
