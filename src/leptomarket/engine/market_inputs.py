"""Assemble the market core's arrays from an indication's sampled parameters."""

from __future__ import annotations

import numpy as np

from leptomarket.core.epidemiology import EpiOutputs
from leptomarket.core.market import (
    MarketInputs,
    PairIndex,
    analog_uptake,
    loe_factor,
    price_trend,
)
from leptomarket.engine.epi_inputs import reference_years, required_parameters
from leptomarket.errors import InputError
from leptomarket.knowledge.model import Knowledge, Parameter
from leptomarket.sampling.sampler import ParameterDraws

#: Parameter name -> dimensions the market core expects (after the draw axis).
MARKET_PARAMETERS: dict[str, tuple[str, ...]] = {
    "market.group_share": ("country", "segment", "group"),
    "market.within_group_share": ("country", "segment", "therapy"),
    "market.launch_year": ("country", "segment", "therapy"),
    "market.time_to_peak": ("country",),
    "market.uptake_analog": ("launch_age",),
    "market.months_of_therapy": ("segment", "therapy"),
    "market.compliance": ("therapy",),
    "market.monthly_price": ("country", "therapy"),
    "market.price_index": ("country",),
    "market.price_growth": ("country",),
    "market.net_discount": ("country",),
    "market.loe_year": ("country", "therapy"),
    "market.loe_generic_share": ("molecule", "loe_age"),
    "market.loe_generic_discount": ("molecule", "loe_age"),
    "market.loe_country_scale": ("country",),
    "pipeline.probability_of_success": ("therapy",),
}

THERAPY_ATTRIBUTES = (
    "group",
    "class",
    "company",
    "market",
    "launch",
    "status",
    "population",
    "molecule",
)


def market_parameters(knowledge: Knowledge) -> list[Parameter]:
    """The market parameters of an indication."""
    return required_parameters(knowledge, MARKET_PARAMETERS, "market")


def therapy_attribute(knowledge: Knowledge, attribute: str) -> list[str]:
    """An attribute of every therapy label, checked to be present."""
    values = knowledge.attribute("therapy", attribute)
    for label, value in zip(knowledge.labels("therapy"), values, strict=True):
        if value is None:
            raise InputError(
                knowledge.root / "indication.yaml",
                f"dimensions.therapy.{label}.{attribute}",
                "every therapy needs this attribute",
            )
    return [str(v) for v in values]


def pipeline_therapies(knowledge: Knowledge) -> list[str]:
    """Therapies whose market entry is a chance event (status ``pipeline``)."""
    status = therapy_attribute(knowledge, "status")
    return [t for t, s in zip(knowledge.labels("therapy"), status, strict=True) if s == "pipeline"]


def upper_grid(parameter: Parameter) -> np.ndarray:
    """Largest value each cell can take (max of value and high of its row)."""
    rows = parameter.rows
    upper = np.array([max(r.value, r.high if r.high is not None else r.value) for r in rows])
    return upper[parameter.cell_row]


def build_pairs(knowledge: Knowledge) -> PairIndex:
    """Active (segment, therapy) pairs: some country can give the group and the therapy a share."""
    segments = knowledge.labels("segment")
    therapies = knowledge.labels("therapy")
    groups = knowledge.labels("group")
    group_of = [groups.index(g) for g in therapy_attribute(knowledge, "group")]
    launching = np.array([v == "launching" for v in therapy_attribute(knowledge, "launch")])
    untreated = np.array([v == "untreated" for v in therapy_attribute(knowledge, "population")])
    group_upper = upper_grid(knowledge.parameter("market.group_share")).max(axis=0)  # [s, g]
    share_upper = upper_grid(knowledge.parameter("market.within_group_share")).max(axis=0)
    pair_segment, pair_therapy = [], []
    for i in range(len(therapies)):
        for s in range(len(segments)):
            if group_upper[s, group_of[i]] > 0 and share_upper[s, i] > 0:
                pair_segment.append(s)
                pair_therapy.append(i)
    pair_segment_arr = np.array(pair_segment, dtype=np.int64)
    pair_therapy_arr = np.array(pair_therapy, dtype=np.int64)
    block_keys = [(s, group_of[i]) for s, i in zip(pair_segment_arr, pair_therapy_arr, strict=True)]
    unique_blocks = {key: n for n, key in enumerate(dict.fromkeys(block_keys))}
    return PairIndex(
        segment=pair_segment_arr,
        therapy=pair_therapy_arr,
        launching=launching[pair_therapy_arr],
        untreated=untreated[pair_therapy_arr],
        block=np.array([unique_blocks[key] for key in block_keys], dtype=np.int64),
        n_blocks=len(unique_blocks),
        n_therapies=len(therapies),
    )


def check_share_pools(knowledge: Knowledge) -> None:
    """Within-group shares must be declared as pools per (group, launch) summing to at most 1.

    The sampler then caps each pool at 1 in every draw, so launching therapies
    never take more patients than their group has (patients are conserved).
    """
    parameter = knowledge.parameter("market.within_group_share")
    groups = parameter.spec.exclusive_groups
    wanted = ["group", "launch"]
    if groups is None or groups.over != "therapy" or groups.by != wanted or groups.sum != "at_most":
        raise InputError(
            parameter.file,
            "exclusive_groups",
            "must be {over: therapy, by: [group, launch], sum: at_most} so that established "
            "shares and launching peak shares of each group each sum to at most 1",
        )


class MarketAssembler:
    """Builds :class:`MarketInputs` for blocks of sampled values and funnel outputs."""

    def __init__(self, knowledge: Knowledge, draws: ParameterDraws) -> None:
        check_share_pools(knowledge)
        self.knowledge = knowledge
        self.draws = draws
        self.years = knowledge.years.astype(float)
        self.pairs = build_pairs(knowledge)
        therapies = knowledge.labels("therapy")
        self.pipeline_index = np.array(
            [therapies.index(t) for t in pipeline_therapies(knowledge)], dtype=np.int64
        )
        groups = knowledge.labels("group")
        group_of = np.array(
            [groups.index(g) for g in therapy_attribute(knowledge, "group")], dtype=np.int64
        )
        self.pair_group = group_of[self.pairs.therapy]
        molecules = knowledge.labels("molecule")
        molecule_of = []
        for therapy, molecule in zip(
            therapies, therapy_attribute(knowledge, "molecule"), strict=True
        ):
            if molecule not in molecules:
                raise InputError(
                    knowledge.root / "indication.yaml",
                    f"dimensions.therapy.{therapy}.molecule",
                    f"'{molecule}' is not a molecule label ({', '.join(molecules)})",
                )
            molecule_of.append(molecules.index(molecule))
        self.molecule = np.array(molecule_of, dtype=np.int64)
        self.drug = np.array([m == "drug" for m in therapy_attribute(knowledge, "market")])
        price = knowledge.parameter("market.monthly_price")
        #: [country, therapy] year each price was observed, and whether it is a
        #: national price (else a US price carried over by the price index).
        self.price_year = reference_years(price).astype(float)
        national = np.array(["country" in row.labels() for row in price.rows])
        self.national_price = national[price.cell_row]

    def success(self, values: np.ndarray, risk_adjusted: bool, point: bool) -> np.ndarray:
        """Per draw and therapy: 1/0 market entry, or its probability when risk-adjusted."""
        probability = self.draws.array(values, "pipeline.probability_of_success")
        if risk_adjusted or point:
            return probability
        success = np.ones_like(probability)
        events = self.draws.events(values)
        success[:, self.pipeline_index] = (events < probability[:, self.pipeline_index]).astype(
            float
        )
        return success

    def inputs(
        self, values: np.ndarray, epi: EpiOutputs, risk_adjusted: bool = False, point: bool = False
    ) -> MarketInputs:
        get = self.draws.array
        pairs = self.pairs
        group_share = get(values, "market.group_share")[:, :, pairs.segment, self.pair_group]
        share = get(values, "market.within_group_share")[:, :, pairs.segment, pairs.therapy]
        # Only launching therapies follow a launch curve; the others never use it.
        launch_year = get(values, "market.launch_year")[:, :, pairs.segment, pairs.therapy]
        uptake = np.zeros((*launch_year.shape[:2], len(self.years), launch_year.shape[2]))
        uptake[..., pairs.launching] = analog_uptake(
            self.years,
            launch_year[..., pairs.launching],
            get(values, "market.time_to_peak"),
            get(values, "market.uptake_analog"),
        )
        months = get(values, "market.months_of_therapy")[:, pairs.segment, pairs.therapy]
        index = np.where(
            self.national_price[None, :, :], 1.0, get(values, "market.price_index")[:, :, None]
        )
        unit_value = (
            get(values, "market.compliance")[:, None, :]
            * get(values, "market.monthly_price")
            * index
            * (1.0 - get(values, "market.net_discount"))[:, :, None]
        )
        trend = price_trend(self.years, self.price_year, get(values, "market.price_growth"))
        loe = loe_factor(
            self.years,
            get(values, "market.loe_year"),
            get(values, "market.loe_generic_share"),
            get(values, "market.loe_generic_discount"),
            self.molecule,
            get(values, "market.loe_country_scale"),
        )
        loe *= trend
        # The market core is memory-bound: single precision halves its traffic
        # (results are kept as float32 anyway).
        single = np.float32
        return MarketInputs(
            treated=epi.treated_cases.astype(single),
            untreated=(epi.diagnosed_cases - epi.treated_cases).astype(single),
            group_share=group_share.astype(single),
            share=share.astype(single),
            uptake=uptake.astype(single),
            success=self.success(values, risk_adjusted, point).astype(single),
            months=months.astype(single),
            unit_value=unit_value,
            price_factor=loe,
            pairs=pairs,
            segment_split=self.drug,
        )
