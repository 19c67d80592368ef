"""Tables people read, cut from a run's stored summary (means and percentiles).

These functions select and label rows of the summary produced by the engine;
the only arithmetic they do is presentation (USD millions, shares of a total
and compound annual growth between two reported means).
"""

from __future__ import annotations

import pandas as pd

from leptomarket.knowledge.model import Knowledge

MILLION = 1e6


def with_risk_adjusted(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with a ``risk_adjusted`` column on revenue rows (probability-weighted mean)."""
    keys = ["country", "year", "level", "key"]
    adjusted = summary[summary["metric"] == "revenue_risk_adjusted"][[*keys, "mean"]].rename(
        columns={"mean": "risk_adjusted"}
    )
    rest = summary[summary["metric"] != "revenue_risk_adjusted"]
    merged = rest.merge(adjusted, on=keys, how="left")
    merged.loc[merged["metric"] != "revenue", "risk_adjusted"] = float("nan")
    return merged.reset_index(drop=True)


def pick(summary: pd.DataFrame, metric: str, country: str, level: str, key: str) -> pd.DataFrame:
    """Rows of one series over years (indexed by year)."""
    rows = summary[
        (summary["metric"] == metric)
        & (summary["country"] == country)
        & (summary["level"] == level)
        & (summary["key"] == key)
    ]
    return rows.set_index("year").sort_index()


def cagr(start_value: float, end_value: float, years: int) -> float:
    """Compound annual growth rate between two values ``years`` apart."""
    if start_value <= 0 or years <= 0:
        return float("nan")
    return (end_value / start_value) ** (1.0 / years) - 1.0


def interval(row: pd.Series, scale: float = 1.0, digits: int = 0) -> str:
    """``mean (p05–p95)`` as text."""
    f = f"{{:,.{digits}f}}"
    return (
        f"{f.format(row['mean'] / scale)} "
        f"({f.format(row['p05'] / scale)}–{f.format(row['p95'] / scale)})"
    )


def headline(summary: pd.DataFrame, region: str, knowledge: Knowledge) -> pd.DataFrame:
    """Market size, growth and patient funnel for the report years of a region."""
    years = knowledge.indication.report_years or [int(knowledge.years[-1])]
    drug = pick(summary, "revenue", region, "market", "drug")
    adjusted = pick(summary, "revenue_risk_adjusted", region, "market", "drug")
    lines = []
    for year in years:
        lines.append(
            {
                "measure": f"Drug market {year}, USD M (5–95%)",
                "value": interval(drug.loc[year], MILLION, 1),
            }
        )
        lines.append(
            {
                "measure": f"Drug market {year}, risk-adjusted, USD M",
                "value": f"{adjusted.loc[year, 'mean'] / MILLION:,.1f}",
            }
        )
    first, last = years[0], years[-1]
    growth = cagr(drug.loc[first, "mean"], drug.loc[last, "mean"], last - first)
    lines.append({"measure": f"CAGR {first}–{last} (means)", "value": f"{growth:.1%}"})
    if region != "US" and "US" in (knowledge.indication.regions.get(region) or []):
        us = pick(summary, "revenue", "US", "market", "drug")
        lines.append(
            {
                "measure": f"US share of {region} drug market {last}",
                "value": f"{us.loc[last, 'mean'] / drug.loc[last, 'mean']:.1%}",
            }
        )
    for metric, label in (
        ("incident_cases", "LM incident cases"),
        ("diagnosed_cases", "LM diagnosed cases"),
        ("treated_cases", "LM treated patients"),
    ):
        series = pick(summary, metric, region, "total", "all")
        lines.append({"measure": f"{label} {last} (5–95%)", "value": interval(series.loc[last])})
    return pd.DataFrame(lines)


def market_table(
    summary: pd.DataFrame, region: str | None, year: int, level: str, key: str | None = None
) -> pd.DataFrame:
    """Revenue in USD millions for one year: by key of ``level`` in a region, or by country.

    With ``region=None`` the rows are countries and ``key`` picks the series.
    """
    revenue = with_risk_adjusted(summary)
    rows = revenue[(revenue["metric"] == "revenue") & (revenue["year"] == year)]
    rows = rows[rows["level"] == level]
    if region is None:
        rows = rows[rows["key"] == key]
        label = "country"
        rows = rows.assign(country=rows["country"])
    else:
        rows = rows[rows["country"] == region]
        label = level
        rows = rows.assign(**{level: rows["key"]})
    table = pd.DataFrame(
        {
            label: rows[label],
            "mean": rows["mean"] / MILLION,
            "p05": rows["p05"] / MILLION,
            "p95": rows["p95"] / MILLION,
            "risk-adjusted": rows["risk_adjusted"] / MILLION,
        }
    )
    if region is not None:
        table = table[table["mean"] > 0].sort_values("mean", ascending=False)
    return table.reset_index(drop=True)


def scenario_comparison(
    summaries: dict[str, pd.DataFrame], region: str, knowledge: Knowledge
) -> pd.DataFrame:
    """Key outputs of several scenarios side by side (means, with 5–95% for market size)."""
    years = knowledge.indication.report_years or [int(knowledge.years[-1])]
    first, last = years[0], years[-1]
    lines: dict[str, dict[str, str]] = {}
    for name, summary in summaries.items():
        drug = pick(summary, "revenue", region, "market", "drug")
        adjusted = pick(summary, "revenue_risk_adjusted", region, "market", "drug")
        treated = pick(summary, "treated_cases", region, "total", "all")
        diagnosed = pick(summary, "diagnosed_cases", region, "total", "all")
        growth = cagr(drug.loc[first, "mean"], drug.loc[last, "mean"], last - first)
        lines[name] = {
            f"Drug market {first}, USD M": interval(drug.loc[first], MILLION, 1),
            f"Drug market {last}, USD M": interval(drug.loc[last], MILLION, 1),
            f"Risk-adjusted {last}, USD M": f"{adjusted.loc[last, 'mean'] / MILLION:,.1f}",
            f"CAGR {first}–{last}": f"{growth:.1%}",
            f"Diagnosed LM {last}": f"{diagnosed.loc[last, 'mean']:,.0f}",
            f"Treated LM {last}": f"{treated.loc[last, 'mean']:,.0f}",
        }
    frame = pd.DataFrame(lines)
    frame.index.name = "measure"
    return frame.reset_index()
