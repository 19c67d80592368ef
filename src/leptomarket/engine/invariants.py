"""Invariants every computed block of draws must hold before anything is stored.

A block that breaks one is refused with :class:`InvalidRunError` naming the
metric, the first offending draw and the reason, so an impossible run (NaN
from a bad input, treated patients above the diagnosed) never reaches the
store.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from leptomarket.errors import InvalidRunError

#: Funnel order: each stage counts at most the patients of the stage before.
FUNNEL = ("incident_cases", "diagnosed_cases", "treated_cases")
RELATIVE_TOLERANCE = 1e-5


def check_block(outputs: dict[str, np.ndarray], first_draw: int) -> None:
    """Finite, non-negative outputs and treated <= diagnosed <= incident.

    Parameters
    ----------
    outputs : metric -> array ``[draw, ...]`` for one block of draws
    first_draw : index of the block's first draw in the run (for messages)

    Raises
    ------
    InvalidRunError
    """
    for metric, block in outputs.items():
        if block is None:
            continue
        bad = ~np.isfinite(block)
        if bad.any():
            draw = first_draw + int(np.argwhere(bad)[0][0])
            raise InvalidRunError(
                f"{metric}: draw {draw} is not a finite number (NaN or infinite); an input "
                "is impossible - run 'leptomarket validate'; nothing was stored"
            )
        if metric != "diagnosis_rate" and (block < 0).any():
            draw = first_draw + int(np.argwhere(block < 0)[0][0])
            raise InvalidRunError(
                f"{metric}: draw {draw} is negative ({float(block.min()):g}); nothing was stored"
            )
    for upper, lower in pairwise(FUNNEL):
        if upper not in outputs or lower not in outputs:
            continue
        above = outputs[lower] > outputs[upper] * (1 + RELATIVE_TOLERANCE) + 1e-9
        if above.any():
            draw = first_draw + int(np.argwhere(above)[0][0])
            raise InvalidRunError(
                f"{lower} exceed {upper} in draw {draw}: patients are not conserved "
                "through the funnel; nothing was stored"
            )
