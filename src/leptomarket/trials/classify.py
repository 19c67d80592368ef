"""Rule-table classifier: modality, route, primary tumours and sponsor company.

The rules are data (``leptomarket/trials/rules/*.yaml``); this module only
loads them and applies them. Each table lists *passes* (groups of text fields
read together) and ordered *rules* (a label, case-insensitive regular
expressions and optional conditions). For single-label tables the first rule
that matches in the first pass that has any match wins; multi-label tables
collect every matching label.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from leptomarket.errors import InputError
from leptomarket.trials.record import TrialRecord

RULES_PACKAGE = "leptomarket.trials"
RULES_DIR = "rules"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: ``label`` if ``pattern`` matches and the conditions hold."""

    name: str
    label: str
    pattern: re.Pattern[str]
    route_in: frozenset[str] | None = None
    unless: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleTable:
    """An ordered rule table read from ``rules/<name>.yaml``."""

    name: str
    passes: tuple[tuple[str, ...], ...]
    rules: tuple[Rule, ...]
    default: str
    multi_label: bool = False
    extra: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Company:
    """A company (or institution) of the alias table."""

    name: str
    type: str
    aliases: re.Pattern[str]
    parent: str | None = None


def _rules_path(name: str) -> str:
    return f"{RULES_PACKAGE.replace('.', '/')}/{RULES_DIR}/{name}.yaml"


def _read_yaml(name: str) -> dict[str, Any]:
    resource = resources.files(RULES_PACKAGE) / RULES_DIR / f"{name}.yaml"
    try:
        data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(_rules_path(name), None, f"cannot read rule table: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(_rules_path(name), None, "rule table must be a mapping")
    return data


def _compile(patterns: list[str], where: str, field_name: str) -> re.Pattern[str]:
    if not patterns or not all(isinstance(p, str) for p in patterns):
        raise InputError(where, field_name, "needs a non-empty list of pattern strings")
    joined = "|".join(f"(?:{p})" for p in patterns)
    try:
        return re.compile(joined, re.IGNORECASE)
    except re.error as exc:
        raise InputError(where, field_name, f"bad regular expression: {exc}") from exc


@functools.cache
def load_rule_table(name: str) -> RuleTable:
    """Load and compile the rule table ``rules/<name>.yaml`` (cached).

    Raises
    ------
    InputError
        If the file is missing or malformed (names the file, the rule and the reason).
    """
    data = _read_yaml(name)
    where = _rules_path(name)
    rules = []
    for index, item in enumerate(data.get("rules") or []):
        key = f"rules[{index}]"
        if "label" not in item:
            raise InputError(where, f"{key}.label", "missing")
        route_in = item.get("route_in")
        rules.append(
            Rule(
                name=str(item.get("name", item["label"])),
                label=str(item["label"]),
                pattern=_compile(item.get("patterns"), where, f"{key}.patterns"),
                route_in=frozenset(route_in) if route_in else None,
                unless=frozenset(item.get("unless") or ()),
            )
        )
    passes = tuple(tuple(p) for p in data.get("passes") or ())
    if not passes:
        raise InputError(where, "passes", "needs at least one list of text fields")
    known = {"title", "interventions", "descriptions", "conditions"}
    for p in passes:
        unknown = set(p) - known
        if unknown:
            raise InputError(where, "passes", f"unknown text field(s) {sorted(unknown)}")
    extra = {k: v for k, v in data.items() if k not in {"rules", "passes", "default", "table"}}
    return RuleTable(
        name=name,
        passes=passes,
        rules=tuple(rules),
        default=str(data.get("default", "other")),
        multi_label=bool(data.get("multi_label", False)),
        extra=extra,
    )


def apply_single(table: RuleTable, texts: dict[str, str], route: str | None = None) -> str | None:
    """First matching label of a single-label table, or ``None`` if no rule matches.

    Parameters
    ----------
    table
        The rule table.
    texts
        Text fields of the record (see :meth:`TrialRecord.text_fields`).
    route
        The route found so far; rules with ``route_in`` only fire when it is listed.
    """
    for fields in table.passes:
        text = " | ".join(texts[f] for f in fields if texts.get(f))
        if not text:
            continue
        for rule in table.rules:
            if rule.route_in is not None and route not in rule.route_in:
                continue
            if rule.pattern.search(text):
                return rule.label
    return None


def apply_multi(table: RuleTable, texts: dict[str, str]) -> tuple[str, ...]:
    """All labels of a multi-label table that match, in table order (``default`` if none)."""
    text = " | ".join(texts[f] for fields in table.passes for f in fields if texts.get(f))
    labels: list[str] = []
    for rule in table.rules:
        if rule.label in labels or rule.unless.intersection(labels):
            continue
        if rule.pattern.search(text):
            labels.append(rule.label)
    return tuple(labels) if labels else (table.default,)


@dataclass(frozen=True, slots=True)
class Classification:
    """Derived columns of one record."""

    modality: str
    route: str
    primary_tumours: tuple[str, ...]


def classify_texts(texts: dict[str, str]) -> Classification:
    """Classify free text into modality, route and primary tumours.

    The route is read first (pattern rules only); modality rules may depend on
    it (intrathecal methotrexate is IT chemotherapy, IV methotrexate is not);
    a route still unknown then follows from the modality's default.
    """
    route_table = load_rule_table("route")
    modality_table = load_rule_table("modality")
    route = apply_single(route_table, texts)
    modality = apply_single(modality_table, texts, route=route) or modality_table.default
    if route is None:
        defaults = (route_table.extra or {}).get("modality_defaults", {})
        route = defaults.get(modality, route_table.default)
    tumours = apply_multi(load_rule_table("tumours"), texts)
    return Classification(modality=modality, route=route, primary_tumours=tumours)


# --- companies ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompanyTable:
    """The alias table of ``rules/companies.yaml``."""

    companies: tuple[Company, ...]
    class_types: dict[str, str]
    type_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    default_type: str
    watchlist: tuple[str, ...]

    def by_name(self, name: str) -> Company | None:
        """The company entry called ``name`` (exact canonical name), if any."""
        for company in self.companies:
            if company.name == name:
                return company
        return None


@functools.cache
def load_company_table() -> CompanyTable:
    """Load and compile ``rules/companies.yaml`` (cached)."""
    data = _read_yaml("companies")
    where = _rules_path("companies")
    types = set(data.get("types") or ())
    companies = []
    for index, item in enumerate(data.get("companies") or []):
        key = f"companies[{index}]"
        if item.get("type") not in types:
            raise InputError(where, f"{key}.type", f"must be one of {sorted(types)}")
        companies.append(
            Company(
                name=str(item["name"]),
                type=str(item["type"]),
                aliases=_compile(item.get("aliases"), where, f"{key}.aliases"),
                parent=item.get("parent"),
            )
        )
    type_patterns = tuple(
        (str(item["type"]), _compile(item["patterns"], where, f"type_patterns[{i}]"))
        for i, item in enumerate(data.get("type_patterns") or [])
    )
    return CompanyTable(
        companies=tuple(companies),
        class_types=dict(data.get("sponsor_class_types") or {}),
        type_patterns=type_patterns,
        default_type=str(data.get("default_type", "academic")),
        watchlist=tuple(data.get("watchlist") or ()),
    )


@functools.lru_cache(maxsize=4096)
def resolve_company(name: str, sponsor_class: str = "") -> tuple[str, str]:
    """Map a sponsor name to ``(company, company_type)``.

    An alias-table hit gives the canonical name and type; otherwise the sponsor
    keeps its name and the type follows from the registry class (``INDUSTRY``,
    ``NIH``...) or, without a class, from the name's wording. An empty name
    gives ``("", "unknown")``.
    """
    name = name.strip()
    if not name:
        return "", "unknown"
    table = load_company_table()
    for company in table.companies:
        if company.aliases.search(name):
            return company.name, company.type
    if sponsor_class and sponsor_class in table.class_types:
        return name, table.class_types[sponsor_class]
    for company_type, pattern in table.type_patterns:
        if pattern.search(name):
            return name, company_type
    return name, table.default_type


def find_companies(text: str) -> list[Company]:
    """Every alias-table company mentioned anywhere in ``text`` (table order)."""
    return [c for c in load_company_table().companies if c.aliases.search(text)]


def classify_record(record: TrialRecord) -> TrialRecord:
    """Fill the derived columns of ``record`` in place with the rule tables; return it."""
    result = classify_texts(record.text_fields())
    record.modality = result.modality
    record.route = result.route
    record.primary_tumours = result.primary_tumours
    record.company, record.company_type = resolve_company(record.sponsor, record.sponsor_class)
    record.classified_by = "rules"
    return record
