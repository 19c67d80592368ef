"""The domain of every unit: the values a parameter of that unit can take.

A number outside its unit's domain (a negative count, a proportion above 1,
NaN or infinity) is impossible, not uncertain: loaders, scenario overrides,
lever edits and the run's outputs refuse it.
"""

from __future__ import annotations

import math

import numpy as np

#: Unit -> (lowest, highest) allowed value, both inclusive.
UNIT_DOMAIN: dict[str, tuple[float, float]] = {
    "proportion": (0.0, 1.0),
    "cases per year": (0.0, math.inf),
    "relative change per year": (-1.0, math.inf),
    "ratio": (0.0, math.inf),
    "months": (0.0, math.inf),
    "years": (0.0, math.inf),
    "calendar year": (1900.0, 2200.0),
    "USD per month": (0.0, math.inf),
    "USD": (0.0, math.inf),
    "count": (0.0, math.inf),
}


def domain_text(unit: str) -> str:
    low, high = UNIT_DOMAIN.get(unit, (-math.inf, math.inf))
    return f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"


def outside_domain(unit: str, value: float) -> str | None:
    """Why ``value`` is impossible for ``unit`` (``None`` when it is fine)."""
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    low, high = UNIT_DOMAIN.get(unit, (-math.inf, math.inf))
    if not low <= value <= high:
        return f"{value:g} is outside the domain of '{unit}' ({domain_text(unit)})"
    return None


def first_outside(unit: str, values: np.ndarray) -> float | None:
    """The first value of an array outside its unit's domain, or ``None``."""
    low, high = UNIT_DOMAIN.get(unit, (-math.inf, math.inf))
    bad = ~np.isfinite(values) | (values < low) | (values > high)
    if not bad.any():
        return None
    return float(values[bad].flat[0])
