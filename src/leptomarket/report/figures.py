"""Plotly figures of the report, drawn from report tables (never from raw model inputs).

Every function takes a table cut by :mod:`leptomarket.report.tables` and
returns a :class:`plotly.graph_objects.Figure` with the report's common look.
Money is in USD millions per year; intervals are 5th–95th percentiles of the
kept draws.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

#: Qualitative palette (colour-blind friendly, Okabe–Ito order, then extras).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#7F7F7F",
    "#8C564B",
    "#17BECF",
    "#BCBD22",
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
USD_M = "USD million per year"


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def style(fig: go.Figure, title: str, height: int = 440) -> go.Figure:
    """Apply the report's common layout (white template, readable font).

    Short legends sit in one row above the plot; longer ones (more than four
    entries) stand on the right, so they never cover the title.
    """
    entries = {
        trace.legendgroup or trace.name for trace in fig.data if trace.showlegend is not False
    }
    if len(entries) > 4:
        legend = {"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.02, "xanchor": "left"}
    else:
        legend = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "xanchor": "left"}
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 12, "color": "#222"},
        colorway=list(PALETTE),
        height=height,
        margin={"l": 60, "r": 30, "t": 70, "b": 50},
        legend=legend,
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def funnel_figure(funnel: pd.DataFrame, countries: list[str], year: int) -> go.Figure:
    """Grouped bars: incident, diagnosed and treated LM cases per country in ``year``.

    Treated patients carry their 5–95% interval as error bars.
    """
    rows = funnel[(funnel["year"] == year) & funnel["place"].isin(countries)]
    rows = rows.set_index("place").reindex(countries)
    bars = []
    for index, (column, label) in enumerate(
        (
            ("incident_cases", "Incident LM cases"),
            ("diagnosed_cases", "Diagnosed"),
            ("treated_cases", "Treated"),
        )
    ):
        error = None
        if column == "treated_cases":
            error = {
                "type": "data",
                "symmetric": False,
                "array": (rows["treated_p95"] - rows["treated_cases"]).tolist(),
                "arrayminus": (rows["treated_cases"] - rows["treated_p05"]).tolist(),
                "color": "#444",
            }
        bars.append(
            go.Bar(
                name=label,
                x=countries,
                y=rows[column].tolist(),
                marker_color=PALETTE[index],
                error_y=error,
                hovertemplate="%{x}: %{y:,.0f} cases<extra>" + label + "</extra>",
            )
        )
    fig = go.Figure(bars, layout={"barmode": "group"})
    fig.update_yaxes(title_text="cases per year", tickformat=",")
    return style(fig, f"LM patient funnel by country, {year} (mean; treated with 5–95%)")


def fan_chart(
    series: pd.DataFrame,
    total: pd.DataFrame | None,
    names: dict[str, str],
    title: str,
    bands: int = 4,
) -> go.Figure:
    """Mean lines with shaded 5–95% bands over years: the total, and each key.

    Parameters
    ----------
    series
        ``key, year, mean, p05, p95`` in USD M (see ``tables.revenue_series``).
    total
        The same columns for the total; drawn in black with a grey band.
    names
        Display name per key.
    bands
        Only the ``bands`` largest keys (by mean in the last year) get a band;
        the others are drawn as lines, so the chart stays readable.
    """
    fig = go.Figure()
    groups = [(key, frame) for key, frame in series.groupby("key", sort=False)]
    groups.sort(key=lambda item: -float(item[1]["mean"].iloc[-1]))
    if total is not None and not total.empty:
        groups.insert(0, ("__total__", total))
    offset = int(total is not None and not total.empty)
    for index, (key, frame) in enumerate(groups):
        is_total = key == "__total__"
        colour = "#222222" if is_total else PALETTE[(index - offset) % len(PALETTE)]
        label = "Total drug market" if is_total else names.get(str(key), str(key))
        years = frame["year"].tolist()
        if is_total or index - offset < bands:
            fig.add_trace(
                go.Scatter(
                    x=years + years[::-1],
                    y=frame["p95"].tolist() + frame["p05"].tolist()[::-1],
                    fill="toself",
                    fillcolor=_rgba(colour, 0.10 if is_total else 0.16),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=label,
                    name=f"{label} 5–95%",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=years,
                y=frame["mean"].tolist(),
                mode="lines+markers",
                name=label,
                legendgroup=label,
                line={"color": colour, "width": 3 if is_total else 2},
                marker={"size": 4},
                customdata=frame[["p05", "p95"]].to_numpy(),
                hovertemplate=(
                    "%{x}: %{y:,.1f} (5–95%: %{customdata[0]:,.1f}–%{customdata[1]:,.1f})"
                    f"<extra>{label}</extra>"
                ),
            )
        )
    fig.update_yaxes(title_text=USD_M, tickformat=",", rangemode="tozero")
    fig.update_xaxes(title_text="year", dtick=1 if len(series["year"].unique()) <= 16 else 2)
    return style(fig, title, height=520)


def company_figure(table: pd.DataFrame, year: int) -> go.Figure:
    """Horizontal bars per company: mean revenue with 5–95% error bars and risk-adjusted value."""
    rows = table.sort_values("mean")
    error = {
        "type": "data",
        "symmetric": False,
        "array": (rows["p95"] - rows["mean"]).tolist(),
        "arrayminus": (rows["mean"] - rows["p05"]).tolist(),
        "color": "#444",
    }
    fig = go.Figure(
        [
            go.Bar(
                name="Mean (5–95%)",
                y=rows["company"].tolist(),
                x=rows["mean"].tolist(),
                orientation="h",
                marker_color=PALETTE[0],
                error_x=error,
                hovertemplate="%{y}: %{x:,.1f} USD M<extra>mean</extra>",
            ),
            go.Bar(
                name="Risk-adjusted",
                y=rows["company"].tolist(),
                x=rows["risk-adjusted"].tolist(),
                orientation="h",
                marker_color=PALETTE[1],
                hovertemplate="%{y}: %{x:,.1f} USD M<extra>risk-adjusted</extra>",
            ),
        ],
        layout={"barmode": "group"},
    )
    fig.update_xaxes(title_text=USD_M, tickformat=",")
    height = max(360, 60 + 44 * len(rows))
    fig.update_layout(margin={"l": 200})
    return style(fig, f"Drug revenue by company, {year}", height=height)


def pipeline_figure(table: pd.DataFrame, year: int) -> go.Figure:
    """Pipeline therapies: mean, 95th percentile and risk-adjusted revenue in ``year``."""
    rows = table.sort_values("mean")
    names = rows["name"].tolist()
    traces = []
    for index, (column, label) in enumerate(
        (("mean", "Mean"), ("risk-adjusted", "Risk-adjusted"), ("p95", "95th percentile"))
    ):
        traces.append(
            go.Bar(
                name=label,
                y=names,
                x=rows[column].tolist(),
                orientation="h",
                marker_color=PALETTE[index],
                customdata=rows["launched_share"].to_numpy(),
                hovertemplate=(
                    "%{y}: %{x:,.1f} USD M; launched in %{customdata:.0%} of draws"
                    f"<extra>{label}</extra>"
                ),
            )
        )
    fig = go.Figure(traces, layout={"barmode": "group"})
    fig.update_xaxes(title_text=USD_M, tickformat=",")
    fig.update_layout(margin={"l": 280})
    height = max(360, 80 + 60 * len(rows))
    return style(fig, f"Pipeline therapies: revenue in {year} and its risk", height=height)


def scenario_figure(table: pd.DataFrame, year: int) -> go.Figure:
    """Drug market in ``year`` per scenario: mean with 5–95% error bars, and risk-adjusted."""
    mean, low, high = f"drug_market_{year}", f"p05_{year}", f"p95_{year}"
    names = table["scenario"].tolist()
    fig = go.Figure(
        [
            go.Bar(
                name="Mean (5–95%)",
                x=names,
                y=table[mean].tolist(),
                marker_color=PALETTE[0],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (table[high] - table[mean]).tolist(),
                    "arrayminus": (table[mean] - table[low]).tolist(),
                    "color": "#444",
                },
                hovertemplate="%{x}: %{y:,.1f} USD M<extra>mean</extra>",
            ),
            go.Bar(
                name="Risk-adjusted",
                x=names,
                y=table[f"risk_adjusted_{year}"].tolist(),
                marker_color=PALETTE[1],
                hovertemplate="%{x}: %{y:,.1f} USD M<extra>risk-adjusted</extra>",
            ),
        ],
        layout={"barmode": "group"},
    )
    fig.update_yaxes(title_text=USD_M, tickformat=",")
    return style(fig, f"Drug market by scenario, {year}")


def restyle(figures: list[tuple[str, go.Figure]]) -> list[tuple[str, go.Figure]]:
    """Give figures made elsewhere (e.g. the trials landscape) the report's look."""
    return [(title, style(fig, title, height=fig.layout.height or 440)) for title, fig in figures]


def tornado_figure(table: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars from the output at each parameter's 5th to its 95th percentile.

    ``table`` has ``parameter, base, at_p05, at_p95`` in USD M, largest swing first.
    """
    rows = table.iloc[::-1]  # largest swing at the top
    base = float(table["base"].iloc[0]) if len(table) else 0.0
    fig = go.Figure(
        [
            go.Bar(
                name="at 5th percentile",
                y=rows["parameter"].tolist(),
                x=(rows["at_p05"] - base).tolist(),
                base=base,
                orientation="h",
                marker_color=PALETTE[0],
                hovertemplate="%{y}: %{x:+,.1f} USD M at p05<extra></extra>",
            ),
            go.Bar(
                name="at 95th percentile",
                y=rows["parameter"].tolist(),
                x=(rows["at_p95"] - base).tolist(),
                base=base,
                orientation="h",
                marker_color=PALETTE[1],
                hovertemplate="%{y}: %{x:+,.1f} USD M at p95<extra></extra>",
            ),
        ],
        layout={"barmode": "overlay"},
    )
    fig.update_xaxes(title_text=USD_M, tickformat=",")
    return style(fig, title, height=max(360, 28 * len(table) + 140))
