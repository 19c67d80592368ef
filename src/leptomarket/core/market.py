"""Market core: treated LM patients to patients on each therapy and revenue.

Pure, vectorised functions on numpy arrays; no I/O. Axes, in this order:
``[draw, country, year, segment, therapy]``. Because most therapies are used
in few segments, patients are computed on the active (segment, therapy)
*pairs* only, an axis written ``pair`` below, and summed over segments into
``[draw, country, year, therapy]``.

The rule (see ``docs/methodology.md``, "Market")::

    patients[s,i]  = population[s] * group_share[s, g(i)] * within[s,i]
    within[s,i]    = peak[s,i] * uptake[s,i] * success[i]   launching therapy
                   = base[s,i] * (1 - E[s, g(i)])           established therapy
    E[s,g]         = sum of within[s,j] over launching j in group g
    revenue[i]     = sum_s patients[s,i] * months[s,i] * unit_value[c,i] * price_factor[c,y,i]
    unit_value     = compliance[i] * monthly_price[c,i] * (price_index[c] unless the
                     price is national) * (1 - net_discount[c])
    price_factor   = (1 + growth[c]) ** (year - price_year[c,i])
                     * (1 - generic_share[class(i), age] * generic_discount[class(i), age])

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
    if np.all(curve == curve[0]):
        # One curve for every draw (the usual fixed analog): plain interpolation.
        uptake = np.interp(position, np.arange(n_ages + 1.0), curve[0])
        return np.where(age >= 1.0, uptake, 0.0)
    lower = np.minimum(position.astype(np.int64), n_ages - 1)
    fraction = position - lower
    draw_index = np.arange(n_draws)[:, None, None, None]
    low_value = curve[draw_index, lower]
    high_value = curve[draw_index, lower + 1]
    uptake = low_value + fraction * (high_value - low_value)
    return np.where(age >= 1.0, uptake, 0.0)


def loe_factor(
    years: np.ndarray,
    loe_year: np.ndarray,
    generic_share: np.ndarray,
    generic_discount: np.ndarray,
    molecule: np.ndarray,
    country_scale: np.ndarray,
) -> np.ndarray:
    """Revenue per patient after loss of exclusivity, relative to the brand before it.

    A share ``v`` of the molecule's patients moves to generics or biosimilars,
    priced ``d`` below the brand's pre-LOE price; the brand keeps its price, so
    the molecule's revenue per patient is ``1 - v * d``. Both follow curves by
    molecule class and year since LOE (year 1 = the LOE year; the last year of
    the curve holds thereafter); ``v`` is scaled by the country's speed of
    generic uptake (US = 1) and capped at 1.

    Parameters
    ----------
    years : array [year]
    loe_year : array [draw, country, therapy] calendar year of generic/biosimilar entry
    generic_share : array [draw, molecule, loe_age] volume share on generics [proportion]
    generic_discount : array [draw, molecule, loe_age] generic price below the
        pre-LOE brand price [proportion]
    molecule : int array [therapy] index of each therapy's molecule class
    country_scale : array [draw, country] generic uptake relative to the US

    Returns
    -------
    array [draw, country, year, therapy] in [0, 1]
    """
    n_ages = generic_share.shape[2]
    age = years[None, None, :, None] - loe_year[:, :, None, :] + 1.0  # [d, c, y, i]
    after = age >= 1.0
    index = np.clip(age, 1.0, float(n_ages)).astype(np.int64) - 1
    draw = np.arange(loe_year.shape[0])[:, None, None, None]
    mol = molecule[None, None, None, :]
    share = np.minimum(generic_share[draw, mol, index] * country_scale[:, :, None, None], 1.0)
    factor = 1.0 - share * generic_discount[draw, mol, index]
    return np.where(after, factor, 1.0)


def price_trend(years: np.ndarray, price_year: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """List price in each model year relative to its observation: ``(1 + g) ** (y - y0)``.

    Parameters
    ----------
    years : array [year]
    price_year : array [country, therapy] year each price was observed
    growth : array [draw, country] annual list-price change [1/year]

    Returns
    -------
    array [draw, 1 or country, year, therapy]; history years before the
    observation are deflated by the same rule.
    """
    offset = years[None, :, None] - price_year[:, None, :]  # [country, year, therapy]
    return np.exp(np.log1p(growth)[:, :, None, None] * offset[None, ...])


@dataclass(frozen=True)
class PairIndex:
    """Static layout of the active (segment, therapy) pairs.

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


def within_group_share(
    share: np.ndarray, uptake: np.ndarray, success: np.ndarray, pairs: PairIndex
) -> np.ndarray:
    """Share of a group's patients on each pair's therapy, by year.

    The share-taking rule stated plainly on every pair at once; the fast
    :func:`market_models` is tested against it.

    Parameters
    ----------
    share : array [draw, country, pair] base share (established) or peak share (launching)
    uptake : array [draw, country, year, pair] share of peak reached (a therapy
        may launch in different years in different segments, e.g. by label)
    success : array [draw, therapy] 1 if the therapy reaches the market in the draw
        (0/1 for a Bernoulli draw; a probability for the risk-adjusted value)

    Returns
    -------
    array [draw, country, year, pair] in [0, 1]
    """
    reach = uptake * success[:, None, None, pairs.therapy]
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
    uptake: np.ndarray  # [draw, country, year, pair]
    success: np.ndarray  # [draw, therapy]
    months: np.ndarray  # [draw, pair]
    unit_value: np.ndarray  # [draw, country, therapy] compliance x net price [USD/month]
    price_factor: np.ndarray  # [draw, country, year, therapy] price growth x LOE erosion
    pairs: PairIndex
    #: [therapy] bool: therapies whose revenue is also split by segment
    #: (the drug market); ``None`` = no split.
    segment_split: np.ndarray | None = None


@dataclass(frozen=True)
class MarketOutputs:
    """Patients on therapy [persons/year] and revenue [USD/year], [draw, country, year, therapy].

    ``segment_revenue`` [draw, country, year, segment] is the revenue of the
    ``segment_split`` therapies by the segment their patients come from.
    """

    patients: np.ndarray
    revenue: np.ndarray
    segment_revenue: np.ndarray | None = None


def market_model(inputs: MarketInputs) -> MarketOutputs:
    """Patients on therapy and revenue for a block of draws."""
    return market_models(inputs, [inputs.success])[0]


def market_models(inputs: MarketInputs, successes: list[np.ndarray]) -> list[MarketOutputs]:
    """Patients and revenue under several launch outcomes (e.g. drawn and risk-adjusted).

    Computes the rule of the module docstring pair by pair, on arrays laid
    out ``[year, draw, country]`` that stay in cache; contributions that do
    not depend on launches (established therapies in blocks without a
    launching therapy) are computed once and shared by every outcome.
    Tests check it against :func:`within_group_share` applied plainly.

    Parameters
    ----------
    successes : list of arrays [draw, therapy]
        Launch outcome per draw and therapy (0/1, or probabilities).
    """
    pairs = inputs.pairs
    n_therapies = pairs.n_therapies
    # Contiguous pair-major copies: every operation below then streams
    # through memory (strided views are ~20x slower for numpy here).
    treated = np.ascontiguousarray(inputs.treated.transpose(3, 2, 0, 1))  # [s, year, draw, c]
    untreated = np.ascontiguousarray(inputs.untreated.transpose(3, 2, 0, 1))
    uptake = np.ascontiguousarray(inputs.uptake.transpose(3, 2, 0, 1))  # [pair, year, d, c]
    group_share = np.ascontiguousarray(inputs.group_share.transpose(2, 0, 1))  # [pair, d, c]
    base_share = np.ascontiguousarray(inputs.share.transpose(2, 0, 1))
    pair_months = np.ascontiguousarray(inputs.months.T)[:, :, None]  # [pair, draw, 1]
    shape = treated.shape[1:]

    # Blocks whose patients depend on which launch outcome is used.
    varies = np.zeros(n_therapies, dtype=bool)
    for success in successes[1:]:
        varies |= np.any(success != successes[0], axis=0)
    variable_blocks = set(pairs.block[pairs.launching & varies[pairs.therapy]].tolist())
    shared = np.array([b not in variable_blocks for b in pairs.block.tolist()], dtype=bool)

    split = inputs.segment_split
    if split is not None:
        # Revenue per month of each split therapy, laid out [therapy, year, draw, country].
        value = np.ascontiguousarray(
            (inputs.unit_value[:, :, None, :] * inputs.price_factor).transpose(3, 2, 0, 1),
            dtype=treated.dtype,
        )

    def accumulate(
        selection: np.ndarray, success: np.ndarray, patients, months, by_segment
    ) -> None:
        """Add the contributions of the selected pairs under one launch outcome."""
        launched: dict[int, np.ndarray] = {}
        taken: dict[int, np.ndarray] = {}
        for p in np.flatnonzero(selection & pairs.launching):
            i = pairs.therapy[p]
            launched[p] = uptake[p] * (base_share[p] * success[:, i][:, None])
            block = int(pairs.block[p])
            taken[block] = taken[block] + launched[p] if block in taken else launched[p]
        for p in np.flatnonzero(selection):
            i = pairs.therapy[p]
            population = (untreated if pairs.untreated[p] else treated)[pairs.segment[p]]
            if pairs.launching[p]:
                contribution = population * (group_share[p] * launched[p])
            else:
                contribution = population * (group_share[p] * base_share[p])
                block = int(pairs.block[p])
                if block in taken:
                    contribution *= 1.0 - taken[block]
            patients[i] += contribution
            therapy_months = contribution * pair_months[p]
            months[i] += therapy_months
            if by_segment is not None and split[i]:
                by_segment[pairs.segment[p]] += therapy_months * value[i]

    n_segments = treated.shape[0]
    shared_patients = np.zeros((n_therapies, *shape), dtype=treated.dtype)
    shared_months = np.zeros((n_therapies, *shape), dtype=treated.dtype)
    shared_segments = None if split is None else np.zeros((n_segments, *shape), treated.dtype)
    accumulate(shared, successes[0], shared_patients, shared_months, shared_segments)
    outputs = []
    for success in successes:
        patients, months = shared_patients.copy(), shared_months.copy()
        by_segment = None if shared_segments is None else shared_segments.copy()
        accumulate(~shared, success, patients, months, by_segment)
        to_draw_major = (
            2,
            3,
            1,
            0,
        )  # [therapy, year, draw, country] -> [draw, country, year, therapy]
        revenue = months.transpose(to_draw_major) * inputs.unit_value[:, :, None, :]
        revenue *= inputs.price_factor
        patients_out = np.ascontiguousarray(patients.transpose(to_draw_major))
        segment_revenue = (
            None
            if by_segment is None
            else np.ascontiguousarray(by_segment.transpose(to_draw_major))
        )
        outputs.append(MarketOutputs(patients_out, revenue, segment_revenue))
    return outputs
