"""The normalised trial record that both CT.gov studies and curated CSV rows become.

A :class:`TrialRecord` holds the registry facts (ids, dates, sponsor, free text)
and, once classified, the derived columns (modality, route, primary tumours,
company). Classification reads only the text fields, so a record built from an
API study and one built from a hand-labelled CSV row are treated alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

#: Columns of the ``trial_studies`` table, in order (snapshot_id is added by storage).
STUDY_COLUMNS: tuple[str, ...] = (
    "trial_key",
    "nct_id",
    "title",
    "phase",
    "status",
    "start_date",
    "start_year",
    "completion_date",
    "enrollment",
    "sponsor",
    "sponsor_class",
    "company",
    "company_type",
    "collaborators",
    "conditions",
    "interventions",
    "route",
    "modality",
    "primary_tumours",
    "countries",
    "last_update",
    "study_type",
    "classified_by",
    "source",
    "source_url",
)

LIST_SEPARATOR = "; "


@dataclass(slots=True)
class TrialRecord:
    """One trial, normalised.

    Text lists (collaborators, conditions, interventions, descriptions,
    countries) are tuples of strings; ``interventions`` entries read
    ``"TYPE: name (other names)"`` when the registry gives a type. Dates are
    ISO strings at the precision the registry gives (``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD``); ``start_year`` is the calendar year of ``start_date``;
    ``enrollment`` is a number of participants.
    """

    nct_id: str
    title: str
    official_title: str = ""
    phase: str = ""
    status: str = ""
    start_date: str = ""
    start_year: int | None = None
    completion_date: str = ""
    enrollment: int | None = None
    sponsor: str = ""
    sponsor_class: str = ""
    collaborators: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    last_update: str = ""
    study_type: str = ""
    source: str = ""
    source_url: str = ""
    route: str = ""
    modality: str = ""
    primary_tumours: tuple[str, ...] = ()
    company: str = ""
    company_type: str = ""
    classified_by: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def trial_key(self) -> str:
        """Stable key: the NCT id, or ``NOID-`` + a hash of the title for non-CT.gov rows."""
        if self.nct_id:
            return self.nct_id
        digest = hashlib.sha1(self.title.strip().lower().encode("utf-8")).hexdigest()[:10]
        return f"NOID-{digest}"

    def text_fields(self) -> dict[str, str]:
        """The free-text fields the classifier reads, each joined into one string."""
        return {
            "title": " | ".join(t for t in (self.title, self.official_title) if t),
            "interventions": LIST_SEPARATOR.join(self.interventions),
            "descriptions": LIST_SEPARATOR.join(self.descriptions),
            "conditions": LIST_SEPARATOR.join(self.conditions + self.keywords),
        }

    def as_row(self) -> tuple:
        """The record as a tuple in :data:`STUDY_COLUMNS` order (lists joined by ``"; "``)."""
        return (
            self.trial_key,
            self.nct_id or None,
            self.title,
            self.phase,
            self.status,
            self.start_date,
            self.start_year,
            self.completion_date,
            self.enrollment,
            self.sponsor,
            self.sponsor_class,
            self.company,
            self.company_type,
            LIST_SEPARATOR.join(self.collaborators),
            LIST_SEPARATOR.join(self.conditions),
            LIST_SEPARATOR.join(self.interventions),
            self.route,
            self.modality,
            LIST_SEPARATOR.join(self.primary_tumours),
            LIST_SEPARATOR.join(self.countries),
            self.last_update,
            self.study_type,
            self.classified_by,
            self.source,
            self.source_url,
        )
