"""Tables people read, cut from a run's stored summary (means and percentiles).

These functions select and label rows of the summary produced by the engine;
the only arithmetic they do is presentation (USD millions, shares of a total
and compound annual growth between two reported means).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.knowledge.model import Knowledge
from leptomarket.knowledge.schema import Row
from leptomarket.knowledge.triangulation import triangulation_table

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


def scenario_comparison_numbers(
    summaries: dict[str, pd.DataFrame], region: str, knowledge: Knowledge
) -> pd.DataFrame:
    """The scenario comparison as numbers: one row per scenario, measure and year.

    Columns: scenario, measure, unit, year, mean, p05, p95 (money in USD
    million, CAGR as a fraction), for CSV, JSON and Parquet output.
    """
    years = knowledge.indication.report_years or [int(knowledge.years[-1])]
    first, last = years[0], years[-1]
    rows = []
    for name, summary in summaries.items():
        series = {
            ("drug market", "USD million"): (
                pick(summary, "revenue", region, "market", "drug"),
                MILLION,
            ),
            ("risk-adjusted drug market", "USD million"): (
                pick(summary, "revenue_risk_adjusted", region, "market", "drug"),
                MILLION,
            ),
            ("diagnosed LM cases", "cases"): (
                pick(summary, "diagnosed_cases", region, "total", "all"),
                1.0,
            ),
            ("treated LM patients", "patients"): (
                pick(summary, "treated_cases", region, "total", "all"),
                1.0,
            ),
        }
        for (measure, unit), (frame, scale) in series.items():
            for year in (first, last):
                row = frame.loc[year]
                rows.append(
                    {
                        "scenario": name,
                        "measure": measure,
                        "unit": unit,
                        "year": int(year),
                        "mean": float(row["mean"]) / scale,
                        "p05": float(row["p05"]) / scale,
                        "p95": float(row["p95"]) / scale,
                    }
                )
        drug = series[("drug market", "USD million")][0]
        growth = cagr(drug.loc[first, "mean"], drug.loc[last, "mean"], last - first)
        rows.append(
            {
                "scenario": name,
                "measure": f"drug market CAGR {first}-{last}",
                "unit": "fraction",
                "year": int(last),
                "mean": growth,
                "p05": float("nan"),
                "p95": float("nan"),
            }
        )
    return pd.DataFrame(rows)


# --- Numeric tables for the report (numbers kept as numbers; faces format them) ---

#: Epidemiology metrics of the funnel, in funnel order, with their display labels.
FUNNEL_METRICS = {
    "incident_cases": "Incident LM cases",
    "diagnosed_cases": "Diagnosed LM cases",
    "treated_cases": "Treated LM patients",
}


def report_years(knowledge: Knowledge) -> list[int]:
    """The indication's report years (the last model year when it declares none)."""
    return [int(y) for y in knowledge.indication.report_years] or [int(knowledge.years[-1])]


def primary_region(knowledge: Knowledge) -> str:
    """The region a report leads with: ``7MM`` if declared, else the first region or country."""
    regions = list(knowledge.indication.regions)
    if "7MM" in regions:
        return "7MM"
    return regions[0] if regions else knowledge.labels("country")[0]


def headline_values(summary: pd.DataFrame, region: str, knowledge: Knowledge) -> pd.DataFrame:
    """The numbers behind :func:`headline`, as numbers.

    Returns
    -------
    pandas.DataFrame
        ``measure, unit, year, mean, p05, p95``: the drug market (USD M, 5–95%)
        and its risk-adjusted mean per report year, the CAGR of the means
        between the first and last report years, the US share of the region's
        drug market (when the US belongs to it) and incident, diagnosed and
        treated cases in each report year.
    """
    years = report_years(knowledge)
    drug = pick(summary, "revenue", region, "market", "drug")
    adjusted = pick(summary, "revenue_risk_adjusted", region, "market", "drug")
    nan = float("nan")
    lines = []
    for year in years:
        row = drug.loc[year]
        lines.append(
            ("Drug market", "USD M", year, *(row[c] / MILLION for c in ("mean", "p05", "p95")))
        )
        risk_adjusted = adjusted.loc[year, "mean"] / MILLION
        lines.append(("Drug market, risk-adjusted", "USD M", year, risk_adjusted, nan, nan))
    first, last = years[0], years[-1]
    if last > first:
        growth = cagr(drug.loc[first, "mean"], drug.loc[last, "mean"], last - first)
        lines.append((f"Drug market CAGR {first}–{last} (means)", "%/year", last, growth, nan, nan))
    if region != "US" and "US" in (knowledge.indication.regions.get(region) or []):
        us = pick(summary, "revenue", "US", "market", "drug")
        share = us.loc[last, "mean"] / drug.loc[last, "mean"]
        lines.append((f"US share of the {region} drug market", "%", last, share, nan, nan))
    for metric, label in FUNNEL_METRICS.items():
        series = pick(summary, metric, region, "total", "all")
        for year in years:
            row = series.loc[year]
            lines.append((label, "cases/year", year, row["mean"], row["p05"], row["p95"]))
    return pd.DataFrame(lines, columns=["measure", "unit", "year", "mean", "p05", "p95"])


def funnel_table(summary: pd.DataFrame, knowledge: Knowledge, years: list[int]) -> pd.DataFrame:
    """Incident, diagnosed and treated LM cases (means, 5–95% for treated) by country and region.

    Rows are countries then regions, for each of ``years``.
    """
    places = knowledge.labels("country") + list(knowledge.indication.regions)
    rows = summary[
        summary["metric"].isin(list(FUNNEL_METRICS))
        & (summary["level"] == "total")
        & summary["year"].isin(years)
    ]
    wide = rows.pivot_table(index=["country", "year"], columns="metric", values="mean")
    treated = rows[rows["metric"] == "treated_cases"].set_index(["country", "year"])
    table = pd.DataFrame(
        {
            "place": [p for p in places for _ in years],
            "year": [y for _ in places for y in years],
        }
    )
    index = pd.MultiIndex.from_frame(table.rename(columns={"place": "country"}))
    for metric in FUNNEL_METRICS:
        table[metric] = wide[metric].reindex(index).to_numpy()
    table["treated_p05"] = treated["p05"].reindex(index).to_numpy()
    table["treated_p95"] = treated["p95"].reindex(index).to_numpy()
    names = {c: knowledge.display_name("country", c) for c in knowledge.labels("country")}
    table.insert(1, "name", table["place"].map(names).fillna("region"))
    return table


def drug_keys(knowledge: Knowledge, attribute: str) -> list[str]:
    """Labels of a therapy attribute (class, company...) held by at least one drug therapy."""
    markets = knowledge.attribute("therapy", "market")
    values = knowledge.attribute("therapy", attribute)
    keys = [str(v) for v, m in zip(values, markets, strict=True) if m == "drug"]
    return list(dict.fromkeys(keys))


def revenue_series(
    summary: pd.DataFrame, region: str, level: str, keys: list[str] | None = None
) -> pd.DataFrame:
    """Revenue (USD M) of every key of ``level`` in ``region`` over all model years.

    Returns ``key, year, mean, p05, p50, p95, risk-adjusted``; keys with no
    revenue in any year are left out.
    """
    revenue = with_risk_adjusted(summary)
    rows = revenue[
        (revenue["metric"] == "revenue")
        & (revenue["country"] == region)
        & (revenue["level"] == level)
    ]
    if keys is not None:
        rows = rows[rows["key"].isin(keys)]
    active = rows.groupby("key")["mean"].transform("max") > 0
    rows = rows[active]
    table = pd.DataFrame(
        {
            "key": rows["key"],
            "year": rows["year"].astype(int),
            "mean": rows["mean"] / MILLION,
            "p05": rows["p05"] / MILLION,
            "p50": rows["p50"] / MILLION,
            "p95": rows["p95"] / MILLION,
            "risk-adjusted": rows["risk_adjusted"] / MILLION,
        }
    )
    return table.sort_values(["key", "year"]).reset_index(drop=True)


def launch_shares(
    revenue_cube: np.ndarray, knowledge: Knowledge, region: str, year: int
) -> dict[str, float]:
    """Share of kept draws in which each pipeline therapy has revenue in ``region`` and ``year``.

    Parameters
    ----------
    revenue_cube : array [draw, country, year, therapy]
        The ``revenue`` market cube of a forecast (drawn launches, not risk-adjusted).
    """
    countries = knowledge.labels("country")
    members = knowledge.indication.regions.get(region) or [region]
    where = [countries.index(c) for c in members]
    year_index = int(year) - int(knowledge.years[0])
    therapies = knowledge.labels("therapy")
    statuses = knowledge.attribute("therapy", "status")
    shares = {}
    for index, (therapy, status) in enumerate(zip(therapies, statuses, strict=True)):
        if status != "pipeline":
            continue
        total = revenue_cube[:, where, year_index, index].sum(axis=1, dtype=np.float64)
        shares[therapy] = float((total > 0).mean())
    return shares


def _cell(knowledge: Knowledge, name: str, labels: dict[str, str]) -> tuple[float, Row | None]:
    """Point value and row of one cell of a parameter (NaN, None when absent).

    Over a dimension ``labels`` does not name, the smallest value is taken
    (e.g. a therapy's earliest launch year over segments).
    """
    parameter = knowledge.parameters.get(name)
    if parameter is None:
        return float("nan"), None
    index = tuple(
        knowledge.labels(dim).index(labels[dim]) if dim in labels else slice(None)
        for dim in parameter.dims
    )
    values = parameter.point()[index]
    rows = parameter.cell_row[index]
    k = int(np.argmin(values)) if np.ndim(values) else 0
    return float(np.ravel(values)[k]), parameter.rows[int(np.ravel(rows)[k])]


def pipeline_table(
    summary: pd.DataFrame,
    knowledge: Knowledge,
    region: str,
    year: int,
    shares: dict[str, float] | None = None,
    launch_country: str = "US",
) -> pd.DataFrame:
    """Pipeline therapies: probability of success, launch year, revenue in ``year`` and its risk.

    Returns
    -------
    pandas.DataFrame
        ``therapy, name, class, company, market, probability_of_success, pos_low,
        pos_high, pos_basis, launch_year, mean, p95, risk-adjusted,
        launched_share`` with revenue in USD M in ``region``; the launch year
        is the input for ``launch_country`` (the first country when it is
        not one of the indication's countries).
    """
    countries = knowledge.labels("country")
    country = launch_country if launch_country in countries else countries[0]
    revenue = with_risk_adjusted(summary)
    rows = revenue[
        (revenue["metric"] == "revenue")
        & (revenue["country"] == region)
        & (revenue["level"] == "therapy")
        & (revenue["year"] == year)
    ].set_index("key")
    missing = pd.Series({"mean": float("nan"), "p95": float("nan"), "risk_adjusted": float("nan")})
    lines = []
    therapies = knowledge.labels("therapy")
    for therapy, status in zip(therapies, knowledge.attribute("therapy", "status"), strict=True):
        if status != "pipeline":
            continue
        label = knowledge.indication.dimensions["therapy"][therapy]
        pos, pos_row = _cell(knowledge, "pipeline.probability_of_success", {"therapy": therapy})
        launch, _ = _cell(knowledge, "market.launch_year", {"country": country, "therapy": therapy})
        basis = ""
        if pos_row is not None:
            parameter = knowledge.parameters["pipeline.probability_of_success"]
            basis = pos_row.note or parameter.assumption_of(pos_row) or ""
            if not basis:
                basis = "; ".join(parameter.sources_of(pos_row))
        row = rows.loc[therapy] if therapy in rows.index else missing
        lines.append(
            {
                "therapy": therapy,
                "name": label.name,
                "class": label.attribute("class"),
                "company": label.attribute("company"),
                "market": label.attribute("market"),
                "probability_of_success": pos,
                "pos_low": pos_row.low if pos_row is not None else None,
                "pos_high": pos_row.high if pos_row is not None else None,
                "pos_basis": basis,
                "launch_year": launch,
                "mean": row["mean"] / MILLION,
                "p95": row["p95"] / MILLION,
                "risk-adjusted": row["risk_adjusted"] / MILLION,
                "launched_share": (shares or {}).get(therapy, float("nan")),
            }
        )
    columns = [
        "therapy", "name", "class", "company", "market", "probability_of_success", "pos_low",
        "pos_high",
        "pos_basis", "launch_year", "mean", "p95", "risk-adjusted", "launched_share",
    ]  # fmt: skip
    return pd.DataFrame(lines, columns=columns)


def scenario_values(
    summaries: dict[str, pd.DataFrame], region: str, knowledge: Knowledge
) -> pd.DataFrame:
    """The numbers behind :func:`scenario_comparison`, one row per scenario (USD M, cases)."""
    years = report_years(knowledge)
    first, last = years[0], years[-1]
    lines = []
    for name, summary in summaries.items():
        drug = pick(summary, "revenue", region, "market", "drug")
        adjusted = pick(summary, "revenue_risk_adjusted", region, "market", "drug")
        diagnosed = pick(summary, "diagnosed_cases", region, "total", "all")
        treated = pick(summary, "treated_cases", region, "total", "all")
        lines.append(
            {
                "scenario": name,
                f"drug_market_{first}": drug.loc[first, "mean"] / MILLION,
                f"drug_market_{last}": drug.loc[last, "mean"] / MILLION,
                f"p05_{last}": drug.loc[last, "p05"] / MILLION,
                f"p95_{last}": drug.loc[last, "p95"] / MILLION,
                f"risk_adjusted_{last}": adjusted.loc[last, "mean"] / MILLION,
                "cagr": cagr(drug.loc[first, "mean"], drug.loc[last, "mean"], last - first),
                f"diagnosed_{last}": diagnosed.loc[last, "mean"],
                f"treated_{last}": treated.loc[last, "mean"],
            }
        )
    return pd.DataFrame(lines)


def assumption_table(knowledge: Knowledge) -> pd.DataFrame:
    """Every parameter row that rests on an analyst assumption, with its reasoning.

    Returns ``parameter, description, unit, labels, value, low, high, sourced, sources,
    assumption``; ``sourced`` says whether the row also cites a source.
    """
    lines = []
    for name, parameter in sorted(knowledge.parameters.items()):
        for row in parameter.rows:
            assumption = parameter.assumption_of(row)
            if not assumption:
                continue
            sources = parameter.sources_of(row)
            lines.append(
                {
                    "parameter": name,
                    "description": parameter.spec.description,
                    "unit": parameter.spec.unit,
                    "labels": ", ".join(f"{k}={v}" for k, v in row.labels().items()) or "all",
                    "value": row.value,
                    "low": row.low,
                    "high": row.high,
                    "sourced": bool(sources),
                    "sources": "; ".join(sources),
                    "assumption": assumption,
                }
            )
    columns = [
        "parameter", "description", "unit", "labels", "value", "low", "high", "sourced",
        "sources", "assumption",
    ]  # fmt: skip
    return pd.DataFrame(lines, columns=columns)


def source_table(knowledge: Knowledge, extra: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """Every source cited by the parameters (and by ``extra`` users, e.g. levers).

    Parameters
    ----------
    extra
        Source key -> names of further things citing it (lever effects, scenarios).

    Returns
    -------
    pandas.DataFrame
        ``key, authors, year, title, publisher, kind, url, doi, pmid, secondary, note,
        cited_by``, sorted by authors and year (``secondary`` says why only a copy is cited).
    """
    cited: dict[str, set[str]] = {}
    for name, parameter in knowledge.parameters.items():
        for key in parameter.used_source_keys():
            cited.setdefault(key, set()).add(name)
    for key, users in (extra or {}).items():
        cited.setdefault(key, set()).update(users)
    lines = []
    for key, users in cited.items():
        source = knowledge.sources.get(key)
        if source is None:
            continue
        lines.append(
            {
                "key": key,
                "authors": source.authors,
                "year": source.year,
                "title": source.title,
                "publisher": source.publisher,
                "kind": source.kind,
                "url": source.url or (f"https://doi.org/{source.doi}" if source.doi else ""),
                "doi": source.doi or "",
                "pmid": source.pmid or "",
                "secondary": source.secondary or "",
                "note": source.note or "",
                "cited_by": "; ".join(sorted(users)),
            }
        )
    columns = [
        "key", "authors", "year", "title", "publisher", "kind", "url", "doi", "pmid",
        "secondary", "note", "cited_by",
    ]  # fmt: skip
    frame = pd.DataFrame(lines, columns=columns)
    return frame.sort_values(["authors", "year", "key"]).reset_index(drop=True)


def citation(knowledge: Knowledge, key: str) -> str:
    """A source as readers cite it: first author (or body) and year; the key if unknown."""
    source = knowledge.sources.get(key)
    if source is None:
        return key
    first = source.authors.split(",")[0].split(";")[0].strip()
    return f"{first} {source.year}"


def triangulation_frame(knowledge: Knowledge) -> pd.DataFrame:
    """LM risk per 1,000 incident cases by segment and method, the model's first.

    Numbers stay numbers (``NaN`` where a method gives no range).
    """
    rows = [
        {
            "segment": row.segment_name,
            "method": row.method,
            "per_1000": row.value * 1000,
            "low_per_1000": np.nan if row.low is None else row.low * 1000,
            "high_per_1000": np.nan if row.high is None else row.high * 1000,
            "chosen": row.chosen,
            "sources": "; ".join(citation(knowledge, key) for key in row.sources),
            "note": row.note,
        }
        for row in triangulation_table(knowledge)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "segment",
            "method",
            "per_1000",
            "low_per_1000",
            "high_per_1000",
            "chosen",
            "sources",
            "note",
        ],
    )
