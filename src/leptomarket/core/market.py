"""Market core: treated LM patients to patients on each therapy and revenue.

Pure, vectorised functions on numpy arrays; no I/O. Axes, in this order:
``[draw, country, year, segment, therapy]``. Because most therapies are used
in few segments, patients are computed on the active (segment, therapy)
*pairs* only, an axis written ``pair`` below, and summed over segments into
``[draw, country, year, therapy]``.

The rule (see ``docs/methodology.md``, "Market")::

    patients[s,i]  = population[s] * group_share[s, g(i)] * within[s,i]
    within[s,i]    = peak[s,i] * uptake[i] * success[i]     launching therapy
                   = base[s,i] * (1 - E[s, g(i)])           established therapy
    E[s,g]         = sum of within[s,j] over launching j in group g
    revenue[i]     = sum_s patients[s,i] * months[s,i]
                     * compliance[i] * monthly_price[i] * price_index[c] * loe[i]

Launching therapies take patients from the established ones of their group
in proportion to those therapies' shares, so the group's patients are
conserved (established shares sum to at most 1 and launching peaks to at
most 1). ``population`` is the treated patients, or the diagnosed but
untreated ones for best supportive care.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def analog_uptake(
    years: np.ndarray, launch_year: np.ndarray, time_to_peak: np.ndarray, analog: np.ndarray
) -> np.ndarray:
    """Share of peak reached, by years since launch, from an analog launch curve.

    Parameters
    ----------
    years : array [year]
    launch_year : array [draw, country, therapy] first year of use (calendar year)
    time_to_peak : array [draw, country] years to reach peak
    analog : array [draw, age] share of peak in launch years 1..A of a curve
        that peaks in year A (A = 6 for the Nat Rev Drug Discov 2017 curve).

    Returns
    -------
    array [draw, country, year, therapy] in [0, 1]; 0 before launch.

    Notes
    -----
    Year ``t`` since launch (1 = launch year) is rescaled to ``t * A / T``
    on the analog's time axis, then interpolated linearly (0 at age 0).
    """
    n_draws, n_ages = analog.shape
    curve = np.concatenate([np.zeros((n_draws, 1)), analog], axis=1)  # ages 0..A
    age = years[None, None, :, None] - launch_year[:, :, None, :] + 1.0
    scaled = age * (n_ages / time_to_peak[:, :, None, None])
    position = np.clip(scaled, 0.0, float(n_ages))
    lower = np.minimum(np.floor(position).astype(np.int64), n_ages - 1)
    fraction = position - lower
    draw_index = np.arange(n_draws)[:, None, None, None]
    low_value = curve[draw_index, lower]
    high_value = curve[draw_index, lower + 1]
    uptake = low_value + fraction * (high_value - low_value)
    return np.where(age >= 1.0, uptake, 0.0)


def loe_factor(years: np.ndarray, loe_year: np.ndarray, erosion: np.ndarray) -> np.ndarray:
    """Price factor after loss of exclusivity: 1 before, ``1 - erosion`` from the LOE year.

    Parameters
    ----------
    loe_year : array [draw, country, therapy] (calendar year)
    erosion : array [draw, country] fall in price after generic/biosimilar entry

    Returns
    -------
    array [draw, country, year, therapy]
    """
    after = years[None, None, :, None] >= loe_year[:, :, None, :]
    return np.where(after, 1.0 - erosion[:, :, None, None], 1.0)


@dataclass(frozen=True)
class PairIndex:
    """Static layout of the active (segment, therapy) pairs.

    Pairs are sorted by therapy so sums over segments are contiguous slices.
    ``block`` numbers each (segment, group) so launching therapies of a block
    dilute the established therapies of the same block.
    """

    segment: np.ndarray  # [pair] segment index
    therapy: np.ndarray  # [pair] therapy index
    launching: np.ndarray  # [pair] bool
    untreated: np.ndarray  # [pair] bool: population is the untreated
    block: np.ndarray  # [pair] index of (segment, group)
    n_blocks: int
    n_therapies: int


def sum_pairs_by_therapy(values: np.ndarray, pairs: PairIndex) -> np.ndarray:
    """Sum ``[..., pair]`` over segments into ``[..., therapy]`` (therapies without pairs: 0)."""
    out = np.zeros((*values.shape[:-1], pairs.n_therapies))
    present = np.unique(pairs.therapy)
    starts = np.searchsorted(pairs.therapy, present)
    out[..., present] = np.add.reduceat(values, starts, axis=-1)
    return out


def within_group_share(
    share: np.ndarray, uptake: np.ndarray, success: np.ndarray, pairs: PairIndex
) -> np.ndarray:
    """Share of a group's patients on each pair's therapy, by year.

    Parameters
    ----------
    share : array [draw, country, pair] base share (established) or peak share (launching)
    uptake : array [draw, country, year, therapy] share of peak reached
    success : array [draw, therapy] 1 if the therapy reaches the market in the draw
        (0/1 for a Bernoulli draw; a probability for the risk-adjusted value)

    Returns
    -------
    array [draw, country, year, pair] in [0, 1]
    """
    reach = uptake[..., pairs.therapy] * success[:, None, None, pairs.therapy]
    launched = np.where(pairs.launching, share[:, :, None, :] * reach, 0.0)
    taken = _sum_by_block(launched, pairs)
    remaining = 1.0 - taken[..., pairs.block]
    return np.where(pairs.launching, launched, share[:, :, None, :] * remaining)


def _sum_by_block(values: np.ndarray, pairs: PairIndex) -> np.ndarray:
    """Sum ``[..., pair]`` into ``[..., block]`` with a one-hot matrix product."""
    one_hot = np.zeros((len(pairs.block), pairs.n_blocks))
    one_hot[np.arange(len(pairs.block)), pairs.block] = 1.0
    return values @ one_hot


@dataclass(frozen=True)
class MarketInputs:
    """Sampled arrays the market core needs (leading axis = draw)."""

    treated: np.ndarray  # [draw, country, year, segment]
    untreated: np.ndarray  # [draw, country, year, segment]
    group_share: np.ndarray  # [draw, country, pair]
    share: np.ndarray  # [draw, country, pair]
    uptake: np.ndarray  # [draw, country, year, therapy]
    success: np.ndarray  # [draw, therapy]
    months: np.ndarray  # [draw, pair]
    unit_value: np.ndarray  # [draw, country, therapy] compliance x price x index [USD/month]
    loe: np.ndarray  # [draw, country, year, therapy]
    pairs: PairIndex


@dataclass(frozen=True)
class MarketOutputs:
    """Patients on therapy [persons/year] and revenue [USD/year], [draw, country, year, therapy]."""

    patients: np.ndarray
    revenue: np.ndarray


def market_model(inputs: MarketInputs) -> MarketOutputs:
    """Patients on therapy and revenue for a block of draws."""
    pairs = inputs.pairs
    population = np.where(
        pairs.untreated,
        inputs.untreated[..., pairs.segment],
        inputs.treated[..., pairs.segment],
    )
    within = within_group_share(inputs.share, inputs.uptake, inputs.success, pairs)
    patients_pair = population * (inputs.group_share[:, :, None, :] * within)
    patient_months = patients_pair * inputs.months[:, None, None, :]
    patients = sum_pairs_by_therapy(patients_pair, pairs)
    revenue = (
        sum_pairs_by_therapy(patient_months, pairs) * inputs.unit_value[:, :, None, :] * inputs.loe
    )
    return MarketOutputs(patients=patients, revenue=revenue)
