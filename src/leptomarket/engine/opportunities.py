"""White space: segment x country cells ranked by patients without a CNS-active targeted option.

Columns, each shown so the ranking can be checked:

* ``treated_patients``: the forecast's treated LM patients in the year;
* ``share_with_targeted_option``: the summed share of treated patients
  receiving a group marked ``cns_targeted`` (point values of
  ``market.group_share``, capped at 1; groups are not exclusive, so this is
  an upper bound of the covered share);
* ``patients_without_targeted_option`` = treated x (1 - that share): the
  rank key;
* ``drug_usd_per_treated_patient``: drug spend per treated patient of the
  segment's current mix (each therapy's forecast revenue per patient in the
  country, weighted by the segment's point shares);
* ``trials`` and ``active_trials``: bundled LM trials whose primary tumour
  is the segment's tumour (active = recruiting, not yet recruiting, active
  or enrolling by invitation);
* ``pipeline_assets``: pipeline therapies the segment's shares give patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.engine.decision_inputs import country_indices, point_of, year_index
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.market_inputs import therapy_attribute
from leptomarket.trials.bundled import curated_records

ACTIVE_STATUSES = {
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION",
}
#: Trial tumour labels (trials/rules/tumours.yaml) -> the indication's tumours; other solid
#: primaries count as ``other_solid``; trials of unspecified or primary CNS tumours count nowhere.
TRIAL_TUMOUR = {"nsclc": "lung", "sclc": "lung", "lung": "lung"}
NOT_COUNTED = {"unspecified", "cns_primary"}


def trial_counts(tumours: list[str]) -> pd.DataFrame:
    """Bundled trials and active trials per indication tumour label."""
    counts = {t: [0, 0] for t in tumours}
    for record in curated_records():
        hit = set()
        for label in set(record.primary_tumours) - NOT_COUNTED:
            tumour = TRIAL_TUMOUR.get(label, label)
            hit.add(tumour if tumour in counts else "other_solid")
        for tumour in hit & set(counts):
            counts[tumour][0] += 1
            counts[tumour][1] += record.status.upper() in ACTIVE_STATUSES
    return pd.DataFrame(
        [(t, n, a) for t, (n, a) in counts.items()], columns=["tumour", "trials", "active_trials"]
    )


def opportunity_table(
    result: ForecastResult, year: int | None = None, region: str = "7MM", top: int | None = None
) -> pd.DataFrame:
    """White-space cells (segment x country) ranked by patients without a targeted option."""
    k = result.knowledge
    y = year_index(k, year or int(k.indication.forecast_start or k.years[0]))
    countries = country_indices(k, region)
    segments, groups = k.labels("segment"), k.labels("group")
    targeted = np.array([bool(g) for g in k.attribute("group", "cns_targeted")])
    group_share = point_of(k, "market.group_share")  # [country, segment, group]
    within = point_of(k, "market.within_group_share")  # [country, segment, therapy]
    therapy_group = np.array([groups.index(g) for g in therapy_attribute(k, "group")])
    is_drug = np.array([m == "drug" for m in therapy_attribute(k, "market")])
    is_pipeline = np.array([s == "pipeline" for s in therapy_attribute(k, "status")])
    treated = result.kept.cubes["treated_cases"][:, :, y].astype(float).mean(axis=0)
    patients = result.kept.cubes["patients"][:, :, y].astype(float).mean(axis=0)
    revenue = result.kept.cubes["revenue"][:, :, y].astype(float).mean(axis=0)
    per_patient = np.divide(revenue, patients, out=np.zeros_like(revenue), where=patients > 0)
    trials = trial_counts(k.labels("tumour")).set_index("tumour")
    tumour_of = dict(zip(segments, k.attribute("segment", "tumour"), strict=True))
    rows = []
    for c in countries:
        for s, segment in enumerate(segments):
            covered = min(float(group_share[c, s, targeted].sum()), 1.0)
            receiving = group_share[c, s, therapy_group] * within[c, s]
            tumour = tumour_of[segment]
            rows.append(
                {
                    "segment": k.display_name("segment", segment),
                    "country": k.display_name("country", k.labels("country")[c]),
                    "treated_patients": float(treated[c, s]),
                    "share_with_targeted_option": covered,
                    "patients_without_targeted_option": float(treated[c, s]) * (1 - covered),
                    "drug_usd_per_treated_patient": float(
                        (receiving * per_patient[c] * is_drug).sum()
                    ),
                    "trials": int(trials.loc[tumour, "trials"]),
                    "active_trials": int(trials.loc[tumour, "active_trials"]),
                    "pipeline_assets": int(((receiving > 0) & is_pipeline).sum()),
                }
            )
    table = pd.DataFrame(rows).sort_values(
        ["patients_without_targeted_option", "active_trials"], ascending=[False, True]
    )
    table.insert(0, "rank", range(1, len(table) + 1))
    table.insert(1, "year", int(k.years[y]))
    table = table.reset_index(drop=True)
    return table.head(top) if top else table
