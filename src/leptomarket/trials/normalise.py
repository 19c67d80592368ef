"""Turn CT.gov API v2 study JSON and curated CSV rows into :class:`TrialRecord` objects.

Field paths follow the v2 study structure (``protocolSection.<module>.<field>``,
see ``docs/trials.md``). Missing optional modules give empty values; a study
without an NCT id is bad input and raises :class:`InputError` naming the source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from leptomarket.errors import InputError
from leptomarket.trials.record import TrialRecord

NCT_PATTERN = re.compile(r"^NCT\d{8}$")
_YEAR = re.compile(r"^(\d{4})")


def _get(mapping: Any, *keys: str) -> Any:
    """Nested ``dict`` lookup that returns ``None`` when any level is missing."""
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _year(date: str) -> int | None:
    match = _YEAR.match(date)
    return int(match.group(1)) if match else None


def _int_or_none(value: Any, source: str, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError) as exc:
        raise InputError(source, field, f"expected a whole number, got {value!r}") from exc


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def _intervention_label(item: Mapping[str, Any]) -> str:
    name = _text(item.get("name"))
    other = [_text(o) for o in item.get("otherNames") or [] if _text(o)]
    if other:
        name = f"{name} ({', '.join(other)})"
    kind = _text(item.get("type"))
    return f"{kind}: {name}" if kind else name


def record_from_study(study: Mapping[str, Any], source: str = "ctgov") -> TrialRecord:
    """Normalise one element of the v2 ``studies[]`` array.

    Parameters
    ----------
    study
        The study JSON (``protocolSection``, ``derivedSection``, ``hasResults``).
    source
        Where it came from (URL or file), used in error messages and stored as
        the record's source.

    Raises
    ------
    InputError
        If ``protocolSection.identificationModule.nctId`` is missing or malformed.
    """
    protocol = _get(study, "protocolSection") or {}
    ident = protocol.get("identificationModule") or {}
    nct_id = _text(ident.get("nctId"))
    if not NCT_PATTERN.match(nct_id):
        raise InputError(
            source,
            "protocolSection.identificationModule.nctId",
            f"expected NCT followed by 8 digits, got {nct_id!r}",
        )
    status = protocol.get("statusModule") or {}
    sponsors = protocol.get("sponsorCollaboratorsModule") or {}
    conditions = protocol.get("conditionsModule") or {}
    design = protocol.get("designModule") or {}
    arms = protocol.get("armsInterventionsModule") or {}
    locations = _get(protocol, "contactsLocationsModule", "locations") or []
    interventions = arms.get("interventions") or []
    start_date = _text(_get(status, "startDateStruct", "date"))
    field_prefix = f"studies[{nct_id}]"
    return TrialRecord(
        nct_id=nct_id,
        title=_text(ident.get("briefTitle")),
        official_title=_text(ident.get("officialTitle")),
        phase="|".join(_text(p) for p in design.get("phases") or []),
        status=_text(status.get("overallStatus")),
        start_date=start_date,
        start_year=_year(start_date),
        completion_date=_text(_get(status, "completionDateStruct", "date")),
        enrollment=_int_or_none(
            _get(design, "enrollmentInfo", "count"), source, f"{field_prefix}.enrollmentInfo.count"
        ),
        sponsor=_text(_get(sponsors, "leadSponsor", "name")),
        sponsor_class=_text(_get(sponsors, "leadSponsor", "class")),
        collaborators=_unique(_text(c.get("name")) for c in sponsors.get("collaborators") or []),
        conditions=_unique(_text(c) for c in conditions.get("conditions") or []),
        keywords=_unique(_text(k) for k in conditions.get("keywords") or []),
        interventions=_unique(_intervention_label(i) for i in interventions),
        descriptions=_unique(
            [_text(i.get("description")) for i in interventions]
            + [_text(a.get("description")) for a in arms.get("armGroups") or []]
        ),
        countries=tuple(sorted(set(_unique(_text(loc.get("country")) for loc in locations)))),
        last_update=_text(_get(status, "lastUpdatePostDateStruct", "date")),
        study_type=_text(design.get("studyType")),
        source=source,
        source_url=f"https://clinicaltrials.gov/study/{nct_id}",
    )


def _split(value: str) -> tuple[str, ...]:
    return _unique(value.split(";")) if value else ()


def record_from_csv_row(row: Mapping[str, str], source: str, line: int) -> TrialRecord:
    """Normalise one row of the curated ``lm-trials.csv``.

    The curated file keeps interventions (with route notes), the tumour text,
    sponsor and collaborators; the hand labels ``modality`` and
    ``intervention_route`` are kept in ``record.extra`` (not used by the
    classifier).

    Raises
    ------
    InputError
        If ``start_year`` or ``enrollment`` is not a whole number, or the row has
        neither an NCT id nor a title (names the file, line and column).
    """
    nct_id = _text(row.get("nct_id"))
    title = _text(row.get("title"))
    where = f"{source}:{line}"
    if nct_id and not NCT_PATTERN.match(nct_id):
        raise InputError(where, "nct_id", f"expected NCT followed by 8 digits, got {nct_id!r}")
    if not nct_id and not title:
        raise InputError(where, "title", "a row without an NCT id needs a title")
    start_year = _int_or_none(row.get("start_year"), where, "start_year")
    return TrialRecord(
        nct_id=nct_id,
        title=title,
        phase=_text(row.get("phase")),
        status=_text(row.get("overall_status")),
        start_date=str(start_year) if start_year else "",
        start_year=start_year,
        enrollment=_int_or_none(row.get("enrollment"), where, "enrollment"),
        sponsor=_text(row.get("sponsor")),
        collaborators=_split(_text(row.get("collaborators"))),
        conditions=_split(_text(row.get("primary_tumors"))),
        interventions=_split(_text(row.get("interventions"))),
        source="curated",
        source_url=_text(row.get("source_url")),
        extra={
            "modality": _text(row.get("modality")),
            "route": _text(row.get("intervention_route")),
        },
    )
