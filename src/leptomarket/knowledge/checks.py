"""Named cross checks of an indication's parameters (warnings; errors under ``--strict``).

=================  ============================================================
check              what it asserts
=================  ============================================================
sources            every source key a row cites exists in ``sources.yaml``
domain             value, low and high lie in their unit's domain (a proportion
                   in [0, 1]; counts, prices, months >= 0; a relative change
                   above -1): an error, the number is impossible
range              low <= value <= high (a row without low/high is fixed)
distribution       the distribution can be fitted to value/low/high (support,
                   beta variance below mean*(1-mean), positive for gamma...)
shares             point shares within each exclusive group sum to 1 (or at
                   most 1) within the group's stated tolerance
triangulation      the LM-risk triangulation file names real segments and
                   sources, and every segment has an estimate beside the model's
external           published estimates name known regions and sources
locators           every source can be found where a pharma QC would look: a
                   bare IP address as its link is an error; a link to an
                   aggregator or mirror without a DOI or PubMed ID is a
                   warning unless the entry says why (``secondary``)
priced             no treated patient silently carries a zero price: in every
                   (country, segment, drug group) given to patients, the named
                   established shares sum to 1, or a ``remainder`` therapy of
                   the group takes the rest, or its row says why it is 0; every
                   drug with a share has a positive price
=================  ============================================================
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

import numpy as np

from leptomarket.knowledge.domains import outside_domain
from leptomarket.knowledge.external import check_external_estimates
from leptomarket.knowledge.model import Issue, Knowledge, Parameter
from leptomarket.knowledge.schema import group_keys
from leptomarket.knowledge.triangulation import check_triangulation
from leptomarket.sampling.distributions import build_marginal


def _row_key(parameter: Parameter, index: int) -> str:
    labels = parameter.rows[index].labels()
    suffix = f" ({', '.join(f'{k}={v}' for k, v in labels.items())})" if labels else ""
    return f"values[{index}]{suffix}"


def check_sources(knowledge: Knowledge, parameter: Parameter) -> list[Issue]:
    issues = []
    for i, row in enumerate(parameter.rows):
        for key in parameter.sources_of(row):
            if key not in knowledge.sources:
                issues.append(
                    Issue(
                        "warning",
                        str(parameter.file),
                        f"{_row_key(parameter, i)}.source",
                        f"source key '{key}' is not in sources.yaml",
                        "sources",
                    )
                )
    return issues


def check_rows(parameter: Parameter) -> list[Issue]:
    issues = []
    spec = parameter.spec
    for i, row in enumerate(parameter.rows):
        key = _row_key(parameter, i)
        for name in ("value", "low", "high"):
            number = getattr(row, name)
            problem = None if number is None else outside_domain(spec.unit, number)
            if problem is not None:
                reason = (
                    f"a proportion must lie in [0, 1], got {number}"
                    if spec.unit == "proportion"
                    else problem
                )
                issues.append(
                    Issue("error", str(parameter.file), f"{key}.{name}", reason, "domain")
                )
        if row.low is not None and row.high is not None and not row.low <= row.value <= row.high:
            issues.append(
                Issue(
                    "warning",
                    str(parameter.file),
                    key,
                    f"needs low <= value <= high, got low {row.low}, value {row.value}, "
                    f"high {row.high}",
                    "range",
                )
            )
            continue
        try:
            build_marginal(spec.distribution, row.value, row.low, row.high, spec.interval)
        except ValueError as exc:
            issues.append(
                Issue(
                    "warning",
                    str(parameter.file),
                    key,
                    f"{spec.distribution} distribution cannot be fitted: {exc}",
                    "distribution",
                )
            )
    return issues


def check_shares(knowledge: Knowledge, parameter: Parameter) -> list[Issue]:
    groups = parameter.spec.exclusive_groups
    if groups is None:
        return []
    path = str(parameter.file)
    if groups.over not in parameter.dims:
        return [
            Issue(
                "error",
                path,
                "exclusive_groups.over",
                f"'{groups.over}' is not a dimension of this parameter {list(parameter.dims)}",
            )
        ]
    labels = knowledge.labels(groups.over)
    if groups.by is not None:
        attributes = [groups.by] if isinstance(groups.by, str) else groups.by
        columns = [knowledge.attribute(groups.over, a) for a in attributes]
        for attribute, values in zip(attributes, columns, strict=True):
            missing = [lab for lab, v in zip(labels, values, strict=True) if v is None]
            if missing:
                return [
                    Issue(
                        "error",
                        path,
                        "exclusive_groups.by",
                        f"{groups.over} labels {missing} have no attribute '{attribute}'",
                    )
                ]
        keys = group_keys(columns)
    else:
        keys = ["all"] * len(labels)

    axis = parameter.dims.index(groups.over)
    point = np.moveaxis(parameter.point(), axis, -1)
    other_dims = [d for d in parameter.dims if d != groups.over]
    issues = []
    for group in dict.fromkeys(keys):
        members = [i for i, k in enumerate(keys) if k == group]
        totals = point[..., members].sum(axis=-1)
        if groups.sum == "equal":
            bad = np.abs(totals - 1.0) > groups.tolerance
            wanted = "1"
        else:
            bad = totals > 1.0 + groups.tolerance
            wanted = "at most 1"
        for cell in np.argwhere(np.atleast_1d(bad)):
            where = ", ".join(
                f"{d}={knowledge.labels(d)[k]}" for d, k in zip(other_dims, cell, strict=False)
            )
            total = float(np.atleast_1d(totals)[tuple(cell)])
            issues.append(
                Issue(
                    "warning",
                    path,
                    f"values ({where}{', ' if where else ''}{groups.over} group {group})",
                    f"shares of {[labels[m] for m in members]} sum to {total:.4f}, "
                    f"must be {wanted} (tolerance {groups.tolerance})",
                    "shares",
                )
            )
    return issues


#: Hosts that copy, summarise or shorten other publishers' pages: a source
#: linked only there needs a DOI, a PubMed ID or a stated reason.
AGGREGATOR_HOSTS = frozenset(
    {
        "1library.net",
        "1stoncology.com",
        "acemap.info",
        "archives.lincolndailynews.com",
        "arxivlens.com",
        "businesswirechina.com",
        "buff.ly",
        "c.coek.info",
        "cancertoday.info",
        "carecostestimate.com",
        "chigaco.vukou.com",
        "clinicaltrialcompass.org",
        "cupdf.com",
        "discovery.researcher.life",
        "doaj.org",
        "donatorih24.it",
        "druglandscape.com",
        "fdocuments.us",
        "informazione.it",
        "maestrodatabase.com",
        "marketstatics.com",
        "medluna.com",
        "medworm.com",
        "news-medical.net",
        "ouci.dntb.gov.ua",
        "proxy.weglot.com",
        "ptop.only.wip.la",
        "rdrr.io",
        "readkong.com",
        "sciety.org",
        "scite.ai",
        "scribd.com",
        "searchworks.jioinstitute.edu.in",
        "searchworks.staging.jioinstitute.edu.in",
        "staging.scite.ai",
        "study.space",
        "suppr.wilddata.cn",
        "synapsesocial.com",
        "tomesphere.com",
        "trialify.org",
        "trials.co",
        "volnation.com",
        "bxb.zlyfw.com",
        "it.marketscreener.com",
        "www.citedrive.com",
        "www.clinicaltrialsgps.com",
        "www.eliteageresearch.co.in",
        "www.scribd.com",
        "www.borderline24.com",
        "diarioelcentinela.com",
        "www.laopiniondezamora.es",
        "lymphome.pagesjaunes.fr",
    }
)


def check_source_locators(knowledge: Knowledge) -> list[Issue]:
    """Sources linked by bare IP addresses (error) or only through aggregators (warning)."""
    issues = []
    file = str(knowledge.root / "sources.yaml")
    for key, source in knowledge.sources.items():
        host = urlparse(source.url).hostname if source.url else None
        if host is not None and _is_ip_address(host):
            issues.append(
                Issue(
                    "error",
                    file,
                    f"{key}.url",
                    f"'{source.url}' is a bare IP address: give the DOI, PubMed ID, label or "
                    "publisher page instead",
                    "locators",
                )
            )
        elif (
            host in AGGREGATOR_HOSTS and not source.doi and not source.pmid and not source.secondary
        ):
            issues.append(
                Issue(
                    "warning",
                    file,
                    f"{key}.url",
                    f"{host} is an aggregator or mirror and the source has no DOI or PubMed ID: "
                    "link the publisher's page, add doi/pmid, or say why in 'secondary'",
                    "locators",
                )
            )
    return issues


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_priced_patients(knowledge: Knowledge, tolerance: float = 0.005) -> list[Issue]:
    """Treated patients of a drug group either sit on a priced drug or are declared not to."""
    names = ("market.group_share", "market.within_group_share", "market.monthly_price")
    if any(name not in knowledge.parameters for name in names):
        return []
    group_share, within, price = (knowledge.parameter(name) for name in names)
    if group_share.dims != ("country", "segment", "group") or within.dims != (
        "country",
        "segment",
        "therapy",
    ):
        return []
    therapies = knowledge.labels("therapy")
    groups = knowledge.labels("group")
    attribute = {a: knowledge.attribute("therapy", a) for a in ("group", "launch", "market")}
    remainder = knowledge.attribute("therapy", "remainder")
    g_share, w_share = group_share.point(), within.point()
    issues: list[Issue] = []
    for g, group in enumerate(groups):
        members = [i for i, v in enumerate(attribute["group"]) if v == group]
        if not any(attribute["market"][i] == "drug" for i in members):
            continue
        established = [i for i in members if attribute["launch"][i] == "established"]
        rest = [i for i in established if remainder[i]]
        for c, s in zip(*np.nonzero(g_share[:, :, g] > 0), strict=True):
            named = float(w_share[c, s, established].sum())
            if named >= 1 - tolerance:
                continue
            declared = [
                i for i in rest if within.assumption_of(within.rows[within.cell_row[c, s, i]])
            ]
            if declared:
                continue
            country = knowledge.labels("country")[c]
            segment = knowledge.labels("segment")[s]
            issues.append(
                Issue(
                    "warning",
                    str(within.file),
                    f"country={country}, segment={segment}, group={group}",
                    f"established shares sum to {named:.3f}: {1 - named:.1%} of the group's "
                    "patients carry no price (add a remainder therapy priced at the group's "
                    "named price, or a 0 row saying why)",
                    "priced",
                )
            )
    prices = price.point()
    for i, therapy in enumerate(therapies):
        if attribute["market"][i] != "drug" or w_share[:, :, i].max() <= 0:
            continue
        for c in np.flatnonzero(prices[:, i] <= 0):
            issues.append(
                Issue(
                    "warning",
                    str(price.file),
                    f"country={knowledge.labels('country')[c]}, therapy={therapy}",
                    "a drug with a share has a zero price",
                    "priced",
                )
            )
    return issues


def cross_check(knowledge: Knowledge) -> list[Issue]:
    """Run every named check over every parameter of an indication."""
    issues: list[Issue] = []
    for parameter in knowledge.parameters.values():
        issues.extend(check_sources(knowledge, parameter))
        issues.extend(check_rows(parameter))
        issues.extend(check_shares(knowledge, parameter))
    issues.extend(check_triangulation(knowledge))
    issues.extend(check_priced_patients(knowledge))
    issues.extend(check_source_locators(knowledge))
    issues.extend(check_external_estimates(knowledge))
    return issues
