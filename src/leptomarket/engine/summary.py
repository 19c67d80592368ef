"""Summaries of kept draws: means and percentiles, by country/region and key group.

Draws are kept (the hesim principle: keep draws, derive summaries). A metric
is a cube ``[draw, country, year, key]``; aggregates over countries (regions
such as the 7MM) and over keys (tumours, therapy classes, companies, total)
are summed per draw *before* percentiles are taken, so every interval is the
interval of that total, not a sum of intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

QUANTILES = (0.05, 0.5, 0.95)
SUMMARY_COLUMNS = ["metric", "country", "year", "level", "key", "mean", "p05", "p50", "p95"]


@dataclass(frozen=True)
class KeyLevel:
    """A way to group the key axis: ``groups`` maps group label -> member key indices."""

    level: str
    groups: Mapping[str, Sequence[int]]


def key_levels(
    key_level: str,
    keys: Sequence[str],
    groupings: Mapping[str, Sequence[str | None]] | None = None,
    total: bool = True,
) -> list[KeyLevel]:
    """Levels for one key axis: each key alone, each grouping (by attribute), and the total.

    ``groupings`` maps a level name (e.g. ``tumour``) to the group label of each key.
    """
    levels = [KeyLevel(key_level, {k: [i] for i, k in enumerate(keys)})]
    for level, labels in (groupings or {}).items():
        groups: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            if label is not None:
                groups.setdefault(str(label), []).append(i)
        levels.append(KeyLevel(level, groups))
    if total:
        levels.append(KeyLevel("total", {"all": list(range(len(keys)))}))
    return levels


def summarise_cube(
    metric: str,
    cube: np.ndarray,
    countries: Sequence[str],
    regions: Mapping[str, Sequence[str]],
    years: Sequence[int],
    levels: Sequence[KeyLevel],
) -> pd.DataFrame:
    """Long table of mean and 5/50/95th percentiles for every country/region, year and key.

    Parameters
    ----------
    cube : array [draw, country, year, key]
    """
    country_sets: list[tuple[str, list[int]]] = [(c, [i]) for i, c in enumerate(countries)]
    for region, members in regions.items():
        country_sets.append((region, [countries.index(m) for m in members]))

    frames = []
    for country, members in country_sets:
        block = cube[:, members].sum(axis=1, dtype=np.float64)  # [draw, year, key]
        for level in levels:
            labels = list(level.groups)
            grouped = np.stack([block[:, :, idx].sum(axis=2) for idx in level.groups.values()], -1)
            mean = grouped.mean(axis=0)
            p05, p50, p95 = np.quantile(grouped, QUANTILES, axis=0)
            n_years, n_keys = mean.shape
            frames.append(
                pd.DataFrame(
                    {
                        "metric": metric,
                        "country": country,
                        "year": np.repeat(np.asarray(years), n_keys),
                        "level": level.level,
                        "key": np.tile(labels, n_years),
                        "mean": mean.ravel(),
                        "p05": p05.ravel(),
                        "p50": p50.ravel(),
                        "p95": p95.ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[SUMMARY_COLUMNS]
