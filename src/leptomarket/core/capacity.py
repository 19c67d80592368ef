"""Provider capacity and the diagnostics and delivery volumes of LM care, pure functions.

Counts per year for a population: LM work-ups (neuraxis MRI, lumbar puncture),
diagnoses, CSF liquid-biopsy tests (at diagnosis and for monitoring), intra-CSF
treatment procedures and ventricular reservoir implants. Work-up follows the
EANO-ESMO guideline (Le Rhun et al., Ann Oncol 28 Suppl 4:iv84, 2017): MRI of
brain and whole spine, then CSF examination.
"""

from __future__ import annotations

import numpy as np


def per_catchment(national: np.ndarray, population: np.ndarray, catchment: float) -> np.ndarray:
    """Scale national counts to a catchment of ``catchment`` people."""
    return national * (catchment / population)


def csf_tests(
    diagnosed: np.ndarray, adoption: np.ndarray, monitoring_tests: np.ndarray
) -> np.ndarray:
    """CSF liquid-biopsy tests: diagnosed x adoption x (1 at diagnosis + monitoring tests).

    Tests in patients worked up for LM whose diagnosis is not confirmed are not
    counted, so this is a lower bound of test volume.
    """
    return diagnosed * adoption * (1.0 + monitoring_tests)


def workup_counts(
    worked_up: np.ndarray, mri_per_workup: np.ndarray, lumbar_puncture_rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(MRI examinations, lumbar punctures) for ``worked_up`` patients."""
    return worked_up * mri_per_workup, worked_up * lumbar_puncture_rate


def delivery_counts(
    intra_csf_patients: np.ndarray, procedures_per_course: np.ndarray, reservoir_share: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(intra-CSF procedures, reservoir implants) for patients on intra-CSF therapy."""
    return intra_csf_patients * procedures_per_course, intra_csf_patients * reservoir_share
