"""ClinicalTrials.gov API v2 client for the LM trial search.

``GET {base}/studies`` with ``query.cond`` covering the names of leptomeningeal
disease, only the fields the tracker needs, an explicit ``pageSize`` and the
``nextPageToken`` cursor followed until the last page (no cap on the number
of studies). Requests are paced (at most one per ``min_interval`` seconds),
time out, and are retried with exponential backoff on timeouts, HTTP 429 and
5xx (honouring ``Retry-After``); a refused connection is retried only
briefly, so an unreachable server fails fast.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from leptomarket import __version__
from leptomarket.errors import NetworkError

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
BASE_URL_ENV_VAR = "LEPTOMARKET_CTGOV_URL"

#: Condition names searched (one ``query.cond`` of quoted phrases joined by OR).
LM_CONDITION_TERMS: tuple[str, ...] = (
    "leptomeningeal metastases",
    "leptomeningeal metastasis",
    "leptomeningeal carcinomatosis",
    "leptomeningeal disease",
    "leptomeningeal neoplasm",
    "neoplastic meningitis",
    "carcinomatous meningitis",
    "meningeal carcinomatosis",
    "lymphomatous meningitis",
    "leukemic meningitis",
    "leukaemic meningitis",
)

#: JSON paths requested with ``fields=`` (everything :mod:`normalise` reads).
STUDY_FIELDS: tuple[str, ...] = (
    "protocolSection.identificationModule.nctId",
    "protocolSection.identificationModule.briefTitle",
    "protocolSection.identificationModule.officialTitle",
    "protocolSection.statusModule.overallStatus",
    "protocolSection.statusModule.startDateStruct",
    "protocolSection.statusModule.completionDateStruct",
    "protocolSection.statusModule.lastUpdatePostDateStruct",
    "protocolSection.sponsorCollaboratorsModule.leadSponsor",
    "protocolSection.sponsorCollaboratorsModule.collaborators",
    "protocolSection.conditionsModule.conditions",
    "protocolSection.conditionsModule.keywords",
    "protocolSection.designModule.studyType",
    "protocolSection.designModule.phases",
    "protocolSection.designModule.enrollmentInfo",
    "protocolSection.armsInterventionsModule.interventions",
    "protocolSection.armsInterventionsModule.armGroups",
    "protocolSection.contactsLocationsModule.locations",
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def default_base_url() -> str:
    """``$LEPTOMARKET_CTGOV_URL`` if set, else the public API v2 root."""
    return os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL


def lm_condition_query(terms: tuple[str, ...] = LM_CONDITION_TERMS) -> str:
    """The ``query.cond`` expression: quoted phrases joined by ``OR``."""
    return " OR ".join(f'"{term}"' for term in terms)


@dataclass(frozen=True)
class ClientSettings:
    """Politeness and robustness settings.

    Attributes
    ----------
    page_size
        Studies per page (API maximum 1000).
    min_interval
        Minimum seconds between the starts of two requests (1.0 = ≤1 request/s).
    max_attempts
        Attempts per page for timeouts, 429 and 5xx (first try included).
    connect_attempts
        Attempts per page when the connection is refused or the host unknown.
    backoff
        First retry delay in seconds; doubles at each further retry.
    max_backoff
        Cap on any single wait, including a server's ``Retry-After``, in seconds.
    connect_timeout, read_timeout
        httpx timeouts in seconds (per connect and per read).
    request_deadline
        Wall-clock limit on one request, body included, in seconds: a body
        trickled byte by byte is cut, though every single read is quick.
    refresh_deadline
        Wall-clock limit on a whole fetch of every page, in seconds.
    max_pages
        Most pages followed (a server handing out new page tokens forever is
        stopped).
    max_page_bytes
        Largest page body accepted, in bytes.
    max_redirects
        Most redirects followed per request.
    """

    page_size: int = 1000
    min_interval: float = 1.0
    max_attempts: int = 4
    connect_attempts: int = 2
    backoff: float = 2.0
    max_backoff: float = 60.0
    connect_timeout: float = 3.0
    read_timeout: float = 60.0
    request_deadline: float = 120.0
    refresh_deadline: float = 1800.0
    max_pages: int = 200
    max_page_bytes: int = 64 * 1024 * 1024
    max_redirects: int = 5


class CtgovClient:
    """Paged, paced, retrying reader of ``/studies``.

    Parameters
    ----------
    base_url
        API root (``.../api/v2``); defaults to :func:`default_base_url`.
    settings
        Pacing, retry and timeout settings.
    sleep, clock
        Injected ``time.sleep`` and ``time.monotonic`` (tests pass fakes so
        nothing really waits).
    transport
        Optional httpx transport (tests; respx also works without it).
    """

    def __init__(
        self,
        base_url: str | None = None,
        settings: ClientSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.settings = settings or ClientSettings()
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self.requests_made = 0
        timeout = httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={
                "User-Agent": f"leptomarket/{__version__} (LM pipeline tracker; httpx)",
                "Accept": "application/json",
            },
            follow_redirects=True,
            max_redirects=self.settings.max_redirects,
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> CtgovClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------

    def study_pages(
        self,
        cond: str | None = None,
        fields: tuple[str, ...] = STUDY_FIELDS,
        extra_params: dict[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield each page body (``{"studies": [...], "nextPageToken": ...}``) in order."""
        params: dict[str, str] = {
            "query.cond": cond if cond is not None else lm_condition_query(),
            "fields": ",".join(fields),
            "pageSize": str(self.settings.page_size),
            "format": "json",
            "countTotal": "true",
        }
        params.update(extra_params or {})
        token: str | None = None
        seen_tokens: set[str] = set()
        started = self._clock()
        pages = 0
        while True:
            page_params = dict(params)
            if token:
                page_params["pageToken"] = token
            if pages >= self.settings.max_pages:
                raise NetworkError(
                    f"{self.base_url}/studies: more than {self.settings.max_pages} pages; "
                    "stopped (raise ClientSettings.max_pages if the registry really is larger)"
                )
            if self._clock() - started > self.settings.refresh_deadline:
                raise NetworkError(
                    f"{self.base_url}/studies: the fetch took longer than "
                    f"{self.settings.refresh_deadline:g} s; stopped after {pages} page(s)"
                )
            body = self._get_json("/studies", page_params)
            pages += 1
            yield body
            token = body.get("nextPageToken")
            if not token:
                return
            if token in seen_tokens:
                raise NetworkError(
                    f"{self.base_url}/studies returned the same nextPageToken twice ({token!r})"
                )
            seen_tokens.add(token)

    def fetch_studies(self, cond: str | None = None) -> list[dict[str, Any]]:
        """All LM studies (every page), as the raw v2 study dicts.

        Raises
        ------
        NetworkError
            If the pages together hold fewer or more studies than the
            ``totalCount`` the first page announced (an incomplete answer must
            not pass for the registry).
        """
        studies: list[dict[str, Any]] = []
        total: int | None = None
        for number, page in enumerate(self.study_pages(cond=cond)):
            if number == 0 and isinstance(page.get("totalCount"), int):
                total = page["totalCount"]
            studies.extend(page["studies"])
        if total is not None and len(studies) != total:
            raise NetworkError(
                f"{self.base_url}/studies: the pages hold {len(studies)} studies but the "
                f"registry announced totalCount {total}; the answer is incomplete"
            )
        return studies

    # -- internals ------------------------------------------------------------

    def _pace(self) -> None:
        if self._last_request is not None:
            wait = self.settings.min_interval - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is None:
                return None
            return max(0.0, parsed.timestamp() - time.time())

    def _backoff(self, attempt: int) -> float:
        return min(self.settings.backoff * 2 ** (attempt - 1), self.settings.max_backoff)

    def _get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            self._pace()
            self.requests_made += 1
            try:
                response = self._bounded_get(url, params)
            except httpx.DecodingError as exc:
                raise NetworkError(
                    f"{url}: the response body cannot be decoded ({_one_line(exc)})"
                ) from None
            except httpx.TooManyRedirects as exc:
                raise NetworkError(
                    f"{url}: more than {self.settings.max_redirects} redirects ({_one_line(exc)})"
                ) from None
            except httpx.TimeoutException as exc:
                problem = f"timed out ({type(exc).__name__})"
                limit = self.settings.max_attempts
                delay = self._backoff(attempt)
            except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
                problem = f"cannot connect ({_one_line(exc)})"
                limit = self.settings.connect_attempts
                delay = min(0.2 * attempt, self.settings.max_backoff)
            except httpx.TransportError as exc:
                problem = f"transport error ({_one_line(exc)})"
                limit = self.settings.max_attempts
                delay = self._backoff(attempt)
            else:
                if response.status_code in RETRY_STATUSES:
                    problem = f"HTTP {response.status_code}"
                    limit = self.settings.max_attempts
                    retry_after = self._retry_after(response)
                    delay = self._backoff(attempt) if retry_after is None else retry_after
                    delay = min(delay, self.settings.max_backoff)
                else:
                    return self._parse(url, response)
            if attempt >= limit:
                raise NetworkError(f"{url}: {problem}; gave up after {attempt} attempt(s)")
            self._sleep(delay)

    def _bounded_get(self, url: str, params: dict[str, str]) -> httpx.Response:
        """GET with a wall-clock deadline and a size cap on the body."""
        deadline = self._clock() + self.settings.request_deadline
        with self._http.stream("GET", url, params=params) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.settings.max_page_bytes:
                    raise NetworkError(
                        f"{url}: response body larger than "
                        f"{self.settings.max_page_bytes:,} bytes; refused"
                    )
                if self._clock() > deadline:
                    raise NetworkError(
                        f"{url}: response not complete after "
                        f"{self.settings.request_deadline:g} s; cut"
                    )
                chunks.append(chunk)
        # The chunks are already decoded: drop the encoding headers of the wire body.
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        }
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=response.request,
        )

    def _parse(self, url: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            snippet = _one_line(response.text[:200])
            raise NetworkError(f"{url}: HTTP {response.status_code} ({snippet})")
        try:
            body = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise NetworkError(
                f"{url}: response is not valid JSON (truncated or corrupt body, "
                f"{len(response.content)} bytes): {exc.msg} at char {exc.pos}"
                if isinstance(exc, json.JSONDecodeError)
                else f"{url}: response is not UTF-8 JSON: {exc}"
            ) from exc
        if not isinstance(body, dict) or not isinstance(body.get("studies"), list):
            raise NetworkError(f"{url}: field 'studies' missing or not a list in the response")
        token = body.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise NetworkError(f"{url}: field 'nextPageToken' is not a string")
        return body


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
