"""Budget impact of a new therapy for a health plan, pure functions.

Structure of the ISPOR Budget Impact Analysis good-practice report
(Sullivan et al., Value Health 17:5-14, 2014): the plan's eligible
population per year, the current treatment mix versus a mix in which a
share (``uptake``) of eligible patients receive the new therapy instead,
costs per patient of each mix (drug, administration, monitoring, adverse
events), and the difference per year and per member per month.

Units: patients per year, USD per patient, USD per year; PMPM in USD per
member per month.
"""

from __future__ import annotations

import numpy as np


def plan_patients(
    national_patients: np.ndarray, members: float, population: np.ndarray
) -> np.ndarray:
    """A plan's share of national patients: patients x members / population.

    Assumes the plan's members have the national case mix (Sullivan 2014, section
    "Eligible population").
    """
    return national_patients * (members / population)


def budget_impact(
    eligible: np.ndarray, uptake: np.ndarray, cost_new: np.ndarray, cost_current: np.ndarray
) -> np.ndarray:
    """Budget impact (USD/year) of moving ``uptake`` of eligible patients to the new therapy.

    ``eligible`` [draw, year] patients, ``uptake`` [scenario] proportions,
    ``cost_new`` and ``cost_current`` [draw] USD per patient. Returns
    [draw, scenario, year] = eligible x uptake x (cost_new - cost_current);
    zero at zero uptake.
    """
    increment = (np.asarray(cost_new) - np.asarray(cost_current))[:, None, None]
    return eligible[:, None, :] * np.asarray(uptake)[None, :, None] * increment


def per_member_per_month(annual_impact: np.ndarray, members: float) -> np.ndarray:
    """USD per member per month from USD per year."""
    return annual_impact / (members * 12.0)


def cost_per_patient(
    drug: np.ndarray,
    procedures: np.ndarray,
    procedure_cost: np.ndarray,
    reservoir_share: np.ndarray,
    reservoir_cost: np.ndarray,
    complication_rate: np.ndarray,
    complication_cost: np.ndarray,
    monitoring: np.ndarray,
) -> np.ndarray:
    """Cost (USD) of one treated patient's course: drug + administration + monitoring + AEs.

    Administration = intra-CSF procedures x cost per procedure + the share needing
    a ventricular reservoir x its implantation cost; adverse events = reservoir
    complications (share with a reservoir x complication rate x cost).
    """
    reservoir = reservoir_share * reservoir_cost
    adverse = reservoir_share * complication_rate * complication_cost
    return drug + procedures * procedure_cost + reservoir + adverse + monitoring
