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
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(source, field, f"expected a whole number, got {value!r}") from exc


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def _intervention_label(read: _Reader, item: Mapping[str, Any], at: str) -> str:
    path = f"{at}.armsInterventionsModule.interventions[]"
    name = read.text(item.get("name"), f"{path}.name")
    other = [o for o in read.texts(item.get("otherNames"), f"{path}.otherNames") if o]
    if other:
        name = f"{name} ({', '.join(other)})"
    kind = read.text(item.get("type"), f"{path}.type")
    return f"{kind}: {name}" if kind else name


class _Reader:
    """Typed access to one raw study: a value of the wrong JSON type names its path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def object(self, value: Any, path: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise InputError(self.source, path, f"expected an object, got {_kind(value)}")
        return value

    def list(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError(self.source, path, f"expected a list, got {_kind(value)}")
        return value

    def objects(self, value: Any, path: str) -> list[Mapping[str, Any]]:
        return [self.object(item, f"{path}[{i}]") for i, item in enumerate(self.list(value, path))]

    def text(self, value: Any, path: str) -> str:
        if isinstance(value, (Mapping, list)):
            raise InputError(self.source, path, f"expected text, got {_kind(value)}")
        return _text(value)

    def texts(self, value: Any, path: str) -> list[str]:
        return [self.text(item, f"{path}[{i}]") for i, item in enumerate(self.list(value, path))]


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"[:80]


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
        If ``protocolSection.identificationModule.nctId`` is missing or
        malformed, or a field has the wrong JSON type (naming its path).
    """
    read = _Reader(source)
    protocol = read.object(
        read.object(study, "studies[]").get("protocolSection"), "protocolSection"
    )
    ident = read.object(
        protocol.get("identificationModule"), "protocolSection.identificationModule"
    )
    nct_id = read.text(ident.get("nctId"), "protocolSection.identificationModule.nctId")
    if not NCT_PATTERN.match(nct_id):
        raise InputError(
            source,
            "protocolSection.identificationModule.nctId",
            f"expected NCT followed by 8 digits, got {nct_id!r}",
        )
    at = f"studies[{nct_id}].protocolSection"
    status = read.object(protocol.get("statusModule"), f"{at}.statusModule")
    sponsors = read.object(
        protocol.get("sponsorCollaboratorsModule"), f"{at}.sponsorCollaboratorsModule"
    )
    conditions = read.object(protocol.get("conditionsModule"), f"{at}.conditionsModule")
    design = read.object(protocol.get("designModule"), f"{at}.designModule")
    arms = read.object(protocol.get("armsInterventionsModule"), f"{at}.armsInterventionsModule")
    contacts = read.object(protocol.get("contactsLocationsModule"), f"{at}.contactsLocationsModule")
    locations = read.objects(contacts.get("locations"), f"{at}.contactsLocationsModule.locations")
    interventions = read.objects(
        arms.get("interventions"), f"{at}.armsInterventionsModule.interventions"
    )
    arm_groups = read.objects(arms.get("armGroups"), f"{at}.armsInterventionsModule.armGroups")
    lead = read.object(sponsors.get("leadSponsor"), f"{at}.sponsorCollaboratorsModule.leadSponsor")
    collaborators = read.objects(
        sponsors.get("collaborators"), f"{at}.sponsorCollaboratorsModule.collaborators"
    )
    enrollment = read.object(design.get("enrollmentInfo"), f"{at}.designModule.enrollmentInfo")

    def date(key: str) -> str:
        struct = read.object(status.get(key), f"{at}.statusModule.{key}")
        return read.text(struct.get("date"), f"{at}.statusModule.{key}.date")

    start_date = date("startDateStruct")
    return TrialRecord(
        nct_id=nct_id,
        title=read.text(ident.get("briefTitle"), f"{at}.identificationModule.briefTitle"),
        official_title=read.text(
            ident.get("officialTitle"), f"{at}.identificationModule.officialTitle"
        ),
        phase="|".join(read.texts(design.get("phases"), f"{at}.designModule.phases")),
        status=read.text(status.get("overallStatus"), f"{at}.statusModule.overallStatus"),
        start_date=start_date,
        start_year=_year(start_date),
        completion_date=date("completionDateStruct"),
        enrollment=_int_or_none(
            enrollment.get("count"), source, f"{at}.designModule.enrollmentInfo.count"
        ),
        sponsor=read.text(lead.get("name"), f"{at}.sponsorCollaboratorsModule.leadSponsor.name"),
        sponsor_class=read.text(
            lead.get("class"), f"{at}.sponsorCollaboratorsModule.leadSponsor.class"
        ),
        collaborators=_unique(
            read.text(c.get("name"), f"{at}.sponsorCollaboratorsModule.collaborators[].name")
            for c in collaborators
        ),
        conditions=_unique(
            read.texts(conditions.get("conditions"), f"{at}.conditionsModule.conditions")
        ),
        keywords=_unique(read.texts(conditions.get("keywords"), f"{at}.conditionsModule.keywords")),
        interventions=_unique(_intervention_label(read, i, at) for i in interventions),
        descriptions=_unique(
            [
                read.text(i.get("description"), f"{at}.interventions[].description")
                for i in interventions
            ]
            + [read.text(a.get("description"), f"{at}.armGroups[].description") for a in arm_groups]
        ),
        countries=tuple(
            sorted(
                set(
                    _unique(
                        read.text(loc.get("country"), f"{at}.locations[].country")
                        for loc in locations
                    )
                )
            )
        ),
        last_update=date("lastUpdatePostDateStruct"),
        study_type=read.text(design.get("studyType"), f"{at}.designModule.studyType"),
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
