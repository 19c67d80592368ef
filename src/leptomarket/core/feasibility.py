"""Trial feasibility: patients a trial can reach and the months it needs to enrol.

Accrual model: a site sees ``site_share`` of the country's eligible LM patients;
of those, ``eligibility`` meet the trial's other criteria and ``consent`` agree
when offered (Unger et al., J Natl Cancer Inst 111:245, 2019 and 113:244,
2021, give the shares for US cancer trials). Enrolment rate (patients/month)
= eligible per year / 12 x sites x site_share x eligibility x consent;
months to enrol N = N / rate (constant accrual).
"""

from __future__ import annotations

import numpy as np


def enrolment_rate(
    eligible_per_year: np.ndarray,
    sites: int,
    site_share: np.ndarray,
    eligibility: np.ndarray,
    consent: np.ndarray,
) -> np.ndarray:
    """Patients enrolled per month across ``sites`` (site shares capped so they sum to <= 1)."""
    reach = np.minimum(sites * np.asarray(site_share, dtype=float), 1.0)
    return eligible_per_year / 12.0 * reach * eligibility * consent


def months_to_enrol(n_patients: int, rate_per_month: np.ndarray) -> np.ndarray:
    """Months to enrol ``n_patients`` at a constant rate (inf where the rate is 0)."""
    rate = np.asarray(rate_per_month, dtype=float)
    return np.divide(float(n_patients), rate, out=np.full_like(rate, np.inf), where=rate > 0)
