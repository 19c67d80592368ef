"""Schemas of an indication data package (pydantic, closed key sets).

An indication package is a folder::

    indication.yaml          dimensions and their labels, years, regions
    sources.yaml             source key -> bibliographic entry
    sources/*.yaml           more source entries (keys must not repeat)
    parameters/**/*.yaml     one parameter per file; the path is its name
    scenarios/*.yaml         named edits of the base case (market layer)

A parameter file lists rows. Each row names labels for some of the
parameter's dimensions (a dimension left out means "every label"; the most
specific row wins for a cell), a point ``value``, a ``low``/``high`` range
and either source key(s) or an ``assumption`` with its reasoning. The file's
``distribution`` says how ``low``/``high`` become a probability distribution
(see :mod:`leptomarket.sampling.distributions`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DistributionName = Literal[
    "beta", "gamma", "lognormal", "normal", "pert", "triangular", "uniform", "fixed"
]

#: Controlled list of units. "proportion" values must lie in [0, 1].
Unit = Literal[
    "proportion",
    "cases per year",
    "relative change per year",
    "ratio",
    "months",
    "years",
    "calendar year",
    "USD per month",
    "USD",
    "count",
]

SourceKind = Literal[
    "publication",
    "review",
    "registry",
    "label",
    "price_list",
    "trial_record",
    "report",
    "press",
    "dataset",
    "guideline",
    "company",
]

ROW_FIELDS = frozenset({"value", "low", "high", "year", "source", "assumption", "note"})


class Source(BaseModel):
    """A bibliographic entry: who said the number, where, and how to find it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    authors: str
    year: int = Field(ge=1900, le=2100)
    title: str
    publisher: str = Field(description="Journal, registry, agency or company.")
    kind: SourceKind
    url: str | None = None
    doi: str | None = None
    pmid: str | None = Field(default=None, pattern=r"^[0-9]{1,9}$", description="PubMed ID.")
    secondary: str | None = Field(
        default=None,
        description="Why only a secondary copy (aggregator, mirror, news) is cited.",
    )
    note: str | None = None

    @model_validator(mode="after")
    def _locatable(self) -> Source:
        if not self.url and not self.doi:
            raise ValueError("a source needs a url or a doi so a reader can find it")
        return self

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {url!r}")
        return url


class Row(BaseModel):
    """One sourced value; dimension labels arrive as extra keys and are checked by the file."""

    model_config = ConfigDict(extra="allow")

    value: float = Field(allow_inf_nan=False)
    low: float | None = Field(default=None, allow_inf_nan=False)
    high: float | None = Field(default=None, allow_inf_nan=False)
    year: int | None = Field(default=None, description="Reference year of the value.")
    source: list[str] | None = None
    assumption: str | None = None
    note: str | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def labels(self) -> dict[str, str]:
        """Dimension labels this row names (its extra keys)."""
        return {key: str(val) for key, val in (self.model_extra or {}).items()}


class ExclusiveGroups(BaseModel):
    """Shares over one dimension that form mutually exclusive groups.

    Within each group (labels of ``over`` sharing the attribute(s) ``by``, or
    all labels when ``by`` is empty) the shares must sum to 1 (``sum: equal``)
    or to at most 1 (``sum: at_most``), within ``tolerance``.
    """

    model_config = ConfigDict(extra="forbid")

    over: str
    by: str | list[str] | None = None
    sum: Literal["equal", "at_most"] = "equal"
    tolerance: float = Field(default=0.005, ge=0, le=0.1)


def group_keys(attribute_values: list[list[object]]) -> list[str]:
    """Group key per label from one or more attribute columns (joined with '/')."""
    return ["/".join(str(v) for v in values) for values in zip(*attribute_values, strict=True)]


class ParameterFile(BaseModel):
    """A parameter: what it is, its unit, dimensions, distribution and sourced rows."""

    model_config = ConfigDict(extra="forbid")

    description: str
    unit: Unit
    dimensions: list[str] = Field(default_factory=list)
    distribution: DistributionName
    interval: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="Probability mass between low and high for beta/gamma/lognormal/normal.",
    )
    correlation: Literal["independent", "shared", "by_source"] = Field(
        default="independent",
        description=(
            "independent: each row its own draw; shared: all rows move together; "
            "by_source: rows citing the same set of sources move together."
        ),
    )
    exclusive_groups: ExclusiveGroups | None = None
    source: list[str] | None = Field(default=None, description="Default source keys for rows.")
    assumption: str | None = Field(default=None, description="Default assumption for rows.")
    note: str | None = None
    values: list[Row] = Field(min_length=1)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("dimensions")
    @classmethod
    def _unique_dimensions(cls, dims: list[str]) -> list[str]:
        if len(set(dims)) != len(dims):
            raise ValueError(f"dimensions repeat a name: {dims}")
        return dims


class DimensionLabel(BaseModel):
    """A label of a dimension with a display name and free attributes (e.g. tumour)."""

    model_config = ConfigDict(extra="allow")

    name: str

    def attribute(self, key: str) -> Any:
        return (self.model_extra or {}).get(key)


class IndicationFile(BaseModel):
    """``indication.yaml``: the indication's dimensions, years and regions."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    currency: str = "USD"
    years: tuple[int, int]
    forecast_start: int | None = Field(
        default=None, description="First forecast year: scenario levers act from it on."
    )
    report_years: list[int] = Field(default_factory=list)
    dimensions: dict[str, dict[str, DimensionLabel]]
    regions: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> IndicationFile:
        start, end = self.years
        if end < start:
            raise ValueError(f"years must be [start, end] with start <= end, got {self.years}")
        for year in self.report_years:
            if not start <= year <= end:
                raise ValueError(f"report year {year} is outside years {self.years}")
        countries = self.dimensions.get("country", {})
        for region, members in self.regions.items():
            unknown = [c for c in members if c not in countries]
            if unknown:
                raise ValueError(f"region {region} names unknown countries {unknown}")
        return self
