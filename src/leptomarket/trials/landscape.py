"""The LM pipeline landscape: tables (pandas) and figures (Plotly) from a snapshot.

Every table is computed from the stored studies and assets; nothing is typed
in. Company questions go through the alias table of ``rules/companies.yaml``
(lead sponsor, collaborators and the pipeline ``company`` field), counting a
subsidiary for its parent too (Seagen trials count for Pfizer).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from leptomarket.trials.classify import find_companies, load_company_table, resolve_company

PHASE_LABELS = {
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE1|PHASE2": "Phase 1/2",
    "PHASE2": "Phase 2",
    "PHASE2|PHASE3": "Phase 2/3",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    "NA": "N/A",
    "": "Not given",
}
PHASE_ORDER = list(PHASE_LABELS.values())
INDUSTRY_TYPES = frozenset({"big_pharma", "biotech"})
_TOKEN = re.compile(r"[a-z0-9]+")
_PARENTHETICAL = re.compile(r"\([^()]*\)")


def phase_label(phase: str | None) -> str:
    """Readable phase (``PHASE1|PHASE2`` → ``Phase 1/2``; unknown codes kept as given)."""
    phase = phase or ""
    return PHASE_LABELS.get(phase, phase.replace("|", "/"))


def _split(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [part.strip() for part in value.split(";") if part.strip()]


ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def phase_code(text: str) -> str:
    """A phase as typed by a reader (``3``, ``phase 3``, ``III``, ``Phase III``, ``early 1``)
    in the registry's code (``PHASE3``, ``EARLY_PHASE1``); other text is kept as given."""
    wanted = text.strip().upper().replace(" ", "").replace("-", "").replace("_", "")
    early = wanted.startswith("EARLY")
    core = wanted.removeprefix("EARLY").removeprefix("PHASE")
    core = ROMAN.get(core, core)
    if core in ("1", "2", "3", "4"):
        return f"EARLY_PHASE{core}" if early else f"PHASE{core}"
    return text.upper().replace(" ", "")


def filter_studies(
    studies: pd.DataFrame,
    status: str | None = None,
    phase: str | None = None,
    modality: str | None = None,
    sponsor: str | None = None,
) -> pd.DataFrame:
    """Studies matching all given filters (case-insensitive).

    ``status`` and ``modality`` match exactly; ``phase`` matches a phase code
    contained in the study's phases (``PHASE2`` finds ``PHASE1|PHASE2``) or its
    label; ``sponsor`` is a substring of the lead sponsor, company or collaborators.
    """
    mask = pd.Series(True, index=studies.index)
    if status:
        mask &= studies["status"].fillna("").str.upper() == status.upper()
    if modality:
        mask &= studies["modality"].fillna("").str.lower() == modality.lower()
    if phase:
        wanted = phase_code(phase)
        codes = studies["phase"].fillna("")
        labels = codes.map(phase_label).str.upper().str.replace(" ", "")
        mask &= codes.str.split("|").map(lambda parts: wanted in parts) | (labels == wanted)
    if sponsor:
        text = (
            studies["sponsor"].fillna("")
            + " | "
            + studies["company"].fillna("")
            + " | "
            + studies["collaborators"].fillna("")
        )
        mask &= text.str.contains(sponsor, case=False, regex=False)
    return studies.loc[mask].reset_index(drop=True)


def phase_modality_counts(studies: pd.DataFrame) -> pd.DataFrame:
    """Trials by phase (rows, in phase order) × modality (columns), with a total column."""
    frame = studies.assign(phase_label=studies["phase"].fillna("").map(phase_label))
    table = pd.crosstab(frame["phase_label"], frame["modality"])
    order = [p for p in PHASE_ORDER if p in table.index] + [
        p for p in table.index if p not in PHASE_ORDER
    ]
    table = table.loc[order]
    table["total"] = table.sum(axis=1)
    table = table.reset_index().rename(columns={"phase_label": "phase"})
    table.columns.name = None
    return table


def start_timeline(studies: pd.DataFrame) -> pd.DataFrame:
    """Trial starts per calendar year (``start_year``, ``trials``, ``cumulative``)."""
    years = studies["start_year"].dropna().astype(int)
    counts = years.value_counts().sort_index()
    frame = pd.DataFrame({"start_year": counts.index.astype(int), "trials": counts.to_numpy()})
    frame["cumulative"] = frame["trials"].cumsum()
    return frame.reset_index(drop=True)


def _asset_terms(asset: pd.Series) -> list[frozenset[str]]:
    names = [asset["asset"], *_split(_PARENTHETICAL.sub("", asset.get("aliases") or ""))]
    terms = []
    for name in names:
        tokens = frozenset(_TOKEN.findall(_PARENTHETICAL.sub("", name).lower()))
        if tokens and max(len(t) for t in tokens) >= 3:
            terms.append(tokens)
    return terms


def asset_trial_links(studies: pd.DataFrame, assets: pd.DataFrame) -> pd.DataFrame:
    """One row per (asset, trial) link: ``asset``, ``trial_key``, ``matched_by``.

    A trial belongs to an asset if it is the asset's ``key_trial_nct``, or if
    every word of the asset name or of one alias appears in the trial's
    interventions and title and the trial has the asset's modality.
    """
    study_tokens = {
        row.trial_key: frozenset(
            _TOKEN.findall(f"{row.interventions or ''} {row.title or ''}".lower())
        )
        for row in studies.itertuples(index=False)
    }
    study_modality = dict(zip(studies["trial_key"], studies["modality"], strict=True))
    links = []
    for _, asset in assets.iterrows():
        key = (asset.get("key_trial_nct") or "").strip()
        if key and key in study_tokens:
            links.append((asset["asset"], key, "key_trial_nct"))
        terms = _asset_terms(asset)
        for trial_key, tokens in study_tokens.items():
            if trial_key == key or study_modality[trial_key] != asset["modality"]:
                continue
            if any(term <= tokens for term in terms):
                links.append((asset["asset"], trial_key, "name_or_alias"))
    return pd.DataFrame(links, columns=["asset", "trial_key", "matched_by"])


def asset_trials(
    studies: pd.DataFrame, assets: pd.DataFrame, links: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each pipeline asset with its matched trials (count and keys)."""
    links = asset_trial_links(studies, assets) if links is None else links
    grouped = links.groupby("asset")["trial_key"].agg(lambda keys: "; ".join(sorted(set(keys))))
    frame = assets.loc[
        :, ["asset", "company", "company_type", "modality", "highest_phase_in_lm", "key_trial_nct"]
    ].copy()
    frame["trials"] = frame["asset"].map(grouped).fillna("")
    frame["n_trials"] = frame["trials"].map(lambda s: len(_split(s))).astype(int)
    return frame.sort_values(["n_trials", "asset"], ascending=[False, True]).reset_index(drop=True)


def _asset_companies(asset: pd.Series) -> list[tuple[str, str, str]]:
    """``(company, type, role)`` for an asset: owners, or drug suppliers of academic assets."""
    text = asset.get("company") or ""
    asset_type = asset.get("company_type") or ""
    found = find_companies(text)
    if asset_type in INDUSTRY_TYPES:
        owners = [(c.name, c.type, "owner") for c in found if c.type in INDUSTRY_TYPES]
        return owners or [(text.strip(), asset_type, "owner")]
    suppliers = [(c.name, c.type, "supplier") for c in found if c.type in INDUSTRY_TYPES]
    academics = [(c.name, c.type, "owner") for c in found if c.type not in INDUSTRY_TYPES]
    if not academics:
        plain = text.strip()
        name = plain if plain and not re.search(r"[();]", plain) else "Academic (several)"
        academics = [(name, asset_type or "academic", "owner")]
    return academics + suppliers


def involvement(
    studies: pd.DataFrame, assets: pd.DataFrame, links: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who is involved in what.

    Returns
    -------
    trial_roles
        ``company, company_type, trial_key, role`` with role ``lead``,
        ``collaborator`` or ``via_asset`` (trial of an asset the company owns).
    asset_roles
        ``company, company_type, asset, role`` with role ``owner`` or
        ``supplier`` (an industry drug used in an academic asset).
    """
    links = asset_trial_links(studies, assets) if links is None else links
    trial_rows = []
    for row in studies.itertuples(index=False):
        if row.company:
            trial_rows.append((row.company, row.company_type, row.trial_key, "lead"))
        for collaborator in _split(row.collaborators):
            name, kind = resolve_company(collaborator)
            trial_rows.append((name, kind, row.trial_key, "collaborator"))
    asset_rows = []
    for _, asset in assets.iterrows():
        for name, kind, role in _asset_companies(asset):
            asset_rows.append((name, kind, asset["asset"], role))
    asset_roles = pd.DataFrame(asset_rows, columns=["company", "company_type", "asset", "role"])
    owners = asset_roles[asset_roles["role"] == "owner"]
    via = links.merge(owners, on="asset")
    trial_rows += [
        (r.company, r.company_type, r.trial_key, "via_asset") for r in via.itertuples(index=False)
    ]
    trial_roles = pd.DataFrame(
        trial_rows, columns=["company", "company_type", "trial_key", "role"]
    ).drop_duplicates()
    return trial_roles, asset_roles


def _company_summary(trial_roles: pd.DataFrame, asset_roles: pd.DataFrame) -> pd.DataFrame:
    names = pd.concat(
        [trial_roles[["company", "company_type"]], asset_roles[["company", "company_type"]]]
    )
    names = names.drop_duplicates("company").set_index("company")["company_type"]
    rows = []
    for company, company_type in names.items():
        t = trial_roles[trial_roles["company"] == company]
        a = asset_roles[asset_roles["company"] == company]
        rows.append(
            (
                company,
                company_type,
                int((t["role"] == "lead").sum()),
                int((t["role"] == "collaborator").sum()),
                int(t["trial_key"].nunique()),
                int((a["role"] == "owner").sum()),
                int((a["role"] == "supplier").sum()),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "company",
            "company_type",
            "trials_lead",
            "trials_collaborator",
            "trials_total",
            "assets_owned",
            "assets_supplied",
        ],
    )


def company_counts(
    studies: pd.DataFrame, assets: pd.DataFrame, links: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Trials (as lead, collaborator or via an owned asset) and assets per company."""
    summary = _company_summary(*involvement(studies, assets, links))
    return summary.sort_values(
        ["trials_total", "assets_owned", "company"], ascending=[False, False, True]
    ).reset_index(drop=True)


def company_type_counts(studies: pd.DataFrame, assets: pd.DataFrame) -> pd.DataFrame:
    """Trials by lead-sponsor type and pipeline assets by company type."""
    trials = studies["company_type"].fillna("unknown").replace("", "unknown").value_counts()
    owned = assets["company_type"].fillna("unknown").replace("", "unknown").value_counts()
    frame = pd.concat([trials.rename("trials_lead"), owned.rename("assets")], axis=1).fillna(0)
    frame = frame.astype(int).rename_axis("company_type").reset_index()
    return frame.sort_values(["trials_lead", "assets"], ascending=False).reset_index(drop=True)


def big_company_presence(
    studies: pd.DataFrame,
    assets: pd.DataFrame,
    companies: Iterable[str] | None = None,
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each large company, whether it has LM trials or assets, and the evidence.

    Parameters
    ----------
    companies
        Canonical names from the alias table; the table's ``watchlist`` by default.

    Returns
    -------
    pandas.DataFrame
        ``company, has_lm_activity, trials_lead, trials_collaborator,
        trials_via_assets, assets_owned, assets_supplied, trials, assets``; a
        company's subsidiaries (``parent`` in the alias table) count for it.
        ``has_lm_activity`` is true if it leads or collaborates on an LM trial or
        owns an LM asset; supplying a drug to an academic asset is listed apart.
    """
    table = load_company_table()
    names = list(companies) if companies is not None else list(table.watchlist)
    trial_roles, asset_roles = involvement(studies, assets, links)
    rows = []
    for name in names:
        group = {name} | {c.name for c in table.companies if c.parent == name}
        t = trial_roles[trial_roles["company"].isin(group)]
        a = asset_roles[asset_roles["company"].isin(group)]
        counts = {
            role: t.loc[t["role"] == role, "trial_key"].nunique()
            for role in ("lead", "collaborator", "via_asset")
        }
        owned = a.loc[a["role"] == "owner", "asset"].nunique()
        supplied = a.loc[a["role"] == "supplier", "asset"].nunique()
        rows.append(
            (
                name,
                bool(counts["lead"] or counts["collaborator"] or owned),
                counts["lead"],
                counts["collaborator"],
                counts["via_asset"],
                owned,
                supplied,
                "; ".join(sorted(set(t["trial_key"]))),
                "; ".join(sorted(set(a["asset"]))),
            )
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "company",
            "has_lm_activity",
            "trials_lead",
            "trials_collaborator",
            "trials_via_assets",
            "assets_owned",
            "assets_supplied",
            "trials",
            "assets",
        ],
    )
    return frame.sort_values(
        ["has_lm_activity", "assets_owned", "trials_lead", "company"],
        ascending=[False, False, False, True],
    ).reset_index(drop=True)


def lm_focused_leaders(companies: pd.DataFrame) -> pd.DataFrame:
    """Biotech companies (no big-pharma group) ranked by LM trials, then owned assets."""
    frame = companies[companies["company_type"] == "biotech"]
    frame = frame[(frame["trials_total"] > 0) | (frame["assets_owned"] > 0)]
    columns = ["company", "trials_total", "trials_lead", "assets_owned"]
    return (
        frame.loc[:, columns]
        .sort_values(["trials_total", "assets_owned", "company"], ascending=[False, False, True])
        .reset_index(drop=True)
    )


def landscape_tables(studies: pd.DataFrame, assets: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """All landscape tables, keyed by name (in display order)."""
    links = asset_trial_links(studies, assets)
    companies = company_counts(studies, assets, links)
    return {
        "phase_by_modality": phase_modality_counts(studies),
        "companies": companies,
        "company_types": company_type_counts(studies, assets),
        "start_timeline": start_timeline(studies),
        "asset_trials": asset_trials(studies, assets, links),
        "big_companies": big_company_presence(studies, assets, links=links),
        "lm_focused_leaders": lm_focused_leaders(companies),
    }


TABLE_TITLES = {
    "phase_by_modality": "LM trials by phase and modality",
    "companies": "Companies and institutions in LM trials and assets",
    "company_types": "Trials (lead sponsor) and assets by company type",
    "start_timeline": "LM trial starts by year",
    "asset_trials": "Pipeline assets and their trials",
    "big_companies": "Large companies with LM trials or assets",
    "lm_focused_leaders": "LM-focused biotech companies, ranked",
}


def landscape_figures(tables: dict[str, pd.DataFrame]) -> list[tuple[str, go.Figure]]:
    """Titled Plotly figures: phase × modality stacked bars, company bars, starts timeline."""
    figures: list[tuple[str, go.Figure]] = []
    pm = tables["phase_by_modality"]
    modality_columns = [c for c in pm.columns if c not in {"phase", "total"}]
    title = TABLE_TITLES["phase_by_modality"]
    fig = go.Figure(
        [go.Bar(name=m, x=pm["phase"], y=pm[m]) for m in modality_columns],
        layout={"barmode": "stack", "title": title, "yaxis_title": "trials"},
    )
    figures.append((title, fig))

    companies = tables["companies"].head(20).iloc[::-1]
    title = "Top companies and institutions by LM trials"
    fig = go.Figure(
        [
            go.Bar(
                name="trials", y=companies["company"], x=companies["trials_total"], orientation="h"
            ),
            go.Bar(
                name="assets owned",
                y=companies["company"],
                x=companies["assets_owned"],
                orientation="h",
            ),
        ],
        layout={"barmode": "group", "title": title, "xaxis_title": "count", "height": 650},
    )
    figures.append((title, fig))

    timeline = tables["start_timeline"]
    title = TABLE_TITLES["start_timeline"]
    fig = go.Figure(
        [
            go.Bar(name="starts", x=timeline["start_year"], y=timeline["trials"]),
            go.Scatter(
                name="cumulative", x=timeline["start_year"], y=timeline["cumulative"], yaxis="y2"
            ),
        ],
        layout={
            "title": title,
            "xaxis_title": "start year",
            "yaxis": {"title": "trials started"},
            "yaxis2": {"title": "cumulative", "overlaying": "y", "side": "right"},
        },
    )
    figures.append((title, fig))
    return figures


def write_landscape_html(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write a self-contained offline HTML page (Plotly JS embedded) with figures and tables."""
    path = Path(path)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>LM pipeline landscape</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}</style>",
        "</head><body><h1>Leptomeningeal metastases: pipeline landscape</h1>",
    ]
    for index, (_title, fig) in enumerate(landscape_figures(tables)):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=index == 0))
    for name, frame in tables.items():
        parts.append(f"<h2>{html.escape(TABLE_TITLES.get(name, name))}</h2>")
        parts.append(frame.to_html(index=False, escape=True, na_rep=""))
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
