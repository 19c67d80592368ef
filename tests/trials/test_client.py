"""CT.gov client: paging, fields, pacing, retries and fault reporting (respx, no network)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from leptomarket import __version__
from leptomarket.errors import NetworkError
from leptomarket.trials.client import (
    LM_CONDITION_TERMS,
    STUDY_FIELDS,
    ClientSettings,
    CtgovClient,
    default_base_url,
)

CTGOV = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"
BASE_URL = "https://ctgov.test/api/v2"


def paged_responder(pages: list[dict], seen: list[httpx.Request]):
    """respx side effect serving fixture pages by ``pageToken``."""
    by_token = {None: pages[0], "PAGE2TOKEN": pages[1], "PAGE3TOKEN": pages[2]}

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=by_token[request.url.params.get("pageToken")])

    return respond


def make_client(fake_time, **settings) -> CtgovClient:
    options = {"min_interval": 1.0, "backoff": 0.5, "max_attempts": 3, **settings}
    return CtgovClient(
        BASE_URL, ClientSettings(**options), sleep=fake_time.sleep, clock=fake_time.clock
    )


def test_pages_through_all_three_pages_with_explicit_query(pages, fake_time):
    seen: list[httpx.Request] = []
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(side_effect=paged_responder(pages, seen))
        with make_client(fake_time, page_size=13) as client:
            studies = client.fetch_studies()
    assert len(seen) == 3
    assert len(studies) == 38 == pages[0]["totalCount"]
    assert len({s["protocolSection"]["identificationModule"]["nctId"] for s in studies}) == 38
    first, second, third = (r.url.params for r in seen)
    assert "pageToken" not in first
    assert second["pageToken"] == "PAGE2TOKEN" and third["pageToken"] == "PAGE3TOKEN"
    assert first["pageSize"] == "13"
    assert first["fields"].split(",") == list(STUDY_FIELDS)
    for term in LM_CONDITION_TERMS:
        assert f'"{term}"' in first["query.cond"]
    assert second["query.cond"] == first["query.cond"]
    user_agent = seen[0].headers["User-Agent"]
    assert user_agent.startswith(f"leptomarket/{__version__}")


def test_pacing_keeps_one_request_per_interval(pages, fake_time):
    seen: list[httpx.Request] = []
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(side_effect=paged_responder(pages, seen))
        with make_client(fake_time, min_interval=1.0) as client:
            client.fetch_studies()
    # no wait before the first request, then a full interval before each other one
    assert fake_time.sleeps == [1.0, 1.0]


def test_429_with_retry_after_then_success(pages, fake_time):
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies")
        route.side_effect = [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=pages[2]),
        ]
        with make_client(fake_time, min_interval=0.0) as client:
            studies = client.fetch_studies()
    assert route.call_count == 2
    assert len(studies) == len(pages[2]["studies"])
    assert fake_time.sleeps == [7.0]


def test_500_is_retried_with_exponential_backoff_then_recovers(pages, fake_time):
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies")
        route.side_effect = [
            httpx.Response(500),
            httpx.Response(503),
            httpx.Response(200, json=pages[2]),
        ]
        with make_client(fake_time, min_interval=0.0) as client:
            studies = client.fetch_studies()
    assert route.call_count == 3
    assert len(studies) == 12
    assert fake_time.sleeps == [0.5, 1.0]


def test_persistent_500_is_reported_after_bounded_attempts(fake_time):
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies").mock(return_value=httpx.Response(500))
        with make_client(fake_time, min_interval=0.0) as client, pytest.raises(NetworkError) as err:
            client.fetch_studies()
    assert route.call_count == 3
    assert f"{BASE_URL}/studies" in str(err.value)
    assert "HTTP 500" in str(err.value) and "3 attempt" in str(err.value)


def test_truncated_json_is_a_clear_network_error_naming_the_url(fake_time):
    body = (CTGOV / "truncated.json").read_bytes()
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies").mock(return_value=httpx.Response(200, content=body))
        with make_client(fake_time) as client, pytest.raises(NetworkError) as err:
            client.fetch_studies()
    assert route.call_count == 1
    message = str(err.value)
    assert message.startswith(f"{BASE_URL}/studies")
    assert "not valid JSON" in message and "\n" not in message


def test_timeout_is_retried_then_reported(fake_time):
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies").mock(side_effect=httpx.ReadTimeout("read timed out"))
        with make_client(fake_time, min_interval=0.0) as client, pytest.raises(NetworkError) as err:
            client.fetch_studies()
    assert route.call_count == 3
    assert fake_time.sleeps == [0.5, 1.0]
    assert "timed out" in str(err.value)


def test_timeout_then_success_recovers(pages, fake_time):
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies")
        route.side_effect = [httpx.ConnectTimeout("slow"), httpx.Response(200, json=pages[2])]
        with make_client(fake_time, min_interval=0.0) as client:
            assert len(client.fetch_studies()) == 12
    assert route.call_count == 2


def test_missing_studies_field_is_reported(fake_time):
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(return_value=httpx.Response(200, json={"totalCount": 0}))
        with make_client(fake_time) as client, pytest.raises(NetworkError, match="'studies'"):
            client.fetch_studies()


def test_repeated_page_token_stops_instead_of_looping(pages, fake_time):
    looping = dict(pages[1], nextPageToken="PAGE2TOKEN")
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(
            side_effect=[httpx.Response(200, json=pages[0]), httpx.Response(200, json=looping)]
        )
        with (
            make_client(fake_time, min_interval=0.0) as client,
            pytest.raises(NetworkError, match="same nextPageToken"),
        ):
            client.fetch_studies()


def test_base_url_from_environment(monkeypatch):
    monkeypatch.setenv("LEPTOMARKET_CTGOV_URL", "http://mirror.test/api/v2")
    assert default_base_url() == "http://mirror.test/api/v2"
    monkeypatch.delenv("LEPTOMARKET_CTGOV_URL")
    assert default_base_url() == "https://clinicaltrials.gov/api/v2"
