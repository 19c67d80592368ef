"""A refresh cannot shrink the snapshot silently, nor run without bounds (respx, no network)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.errors import NetworkError
from leptomarket.store.database import connect
from leptomarket.trials.client import ClientSettings, CtgovClient
from leptomarket.trials.storage import list_snapshots

from .conftest import CTGOV

MIRROR = "http://mirror.test/api/v2"
BASE_URL = "https://ctgov.test/api/v2"


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})


def page_responder(request: httpx.Request) -> httpx.Response:
    number = {None: 1, "PAGE2TOKEN": 2, "PAGE3TOKEN": 3}[request.url.params.get("pageToken")]
    return httpx.Response(200, content=(CTGOV / f"page{number}.json").read_bytes())


def snapshots(db) -> list[tuple]:
    con = connect(db)
    try:
        frame = list_snapshots(con)
    finally:
        con.close()
    return list(frame[["snapshot_id", "source", "n_studies", "is_current"]].itertuples(False))


def refresh(db, *extra: str):
    return run("trials", "refresh", "--db", str(db), "--min-interval", "0", *extra)


def test_an_empty_answer_does_not_replace_a_full_snapshot(db_path, monkeypatch):
    monkeypatch.setenv("LEPTOMARKET_CTGOV_URL", MIRROR)
    with respx.mock(base_url=MIRROR) as mock:
        mock.get("/studies").mock(side_effect=page_responder)
        assert refresh(db_path).exit_code == 0
    before = snapshots(db_path)
    with respx.mock(base_url=MIRROR) as mock:
        mock.get("/studies").mock(
            return_value=httpx.Response(200, json={"studies": [], "totalCount": 0})
        )
        result = refresh(db_path)
    assert result.exit_code == 2, result.output
    assert "answered 14 studies against 52" in result.output
    assert "--accept-shrink" in result.output and "Traceback" not in result.output
    assert snapshots(db_path) == before
    with respx.mock(base_url=MIRROR) as mock:
        mock.get("/studies").mock(
            return_value=httpx.Response(200, json={"studies": [], "totalCount": 0})
        )
        accepted = refresh(db_path, "--accept-shrink")
    assert accepted.exit_code == 0, accepted.output
    assert snapshots(db_path)[-1][2:] == (14, True)


def test_a_refresh_does_not_open_the_store_while_fetching(db_path, monkeypatch):
    monkeypatch.setenv("LEPTOMARKET_CTGOV_URL", MIRROR)
    opened_during_fetch = []

    def responder(request: httpx.Request) -> httpx.Response:
        # Another process could write now: the store must not be locked by the refresh.
        con = connect(db_path)
        opened_during_fetch.append(True)
        con.close()
        return page_responder(request)

    with respx.mock(base_url=MIRROR) as mock:
        mock.get("/studies").mock(side_effect=responder)
        result = refresh(db_path)
    assert result.exit_code == 0, result.output
    assert opened_during_fetch == [True, True, True]


def client(fake_time=None, **settings) -> CtgovClient:
    options = {"min_interval": 0.0, "max_attempts": 1, **settings}
    return CtgovClient(BASE_URL, ClientSettings(**options))


def test_an_answer_short_of_its_total_count_is_refused():
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(
            return_value=httpx.Response(200, json={"studies": [{}], "totalCount": 10014})
        )
        with client() as c, pytest.raises(NetworkError, match="announced totalCount 10014"):
            c.fetch_studies()


def test_endless_page_tokens_stop_at_the_page_cap():
    count = iter(range(10**6))

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"studies": [], "nextPageToken": f"T{next(count)}"})

    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/studies").mock(side_effect=endless)
        with client(max_pages=5) as c, pytest.raises(NetworkError, match="more than 5 pages"):
            c.fetch_studies()
    assert route.call_count == 5


def test_a_redirect_loop_is_cut():
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(
            return_value=httpx.Response(302, headers={"Location": f"{BASE_URL}/studies"})
        )
        with client(max_redirects=3) as c, pytest.raises(NetworkError, match="redirects"):
            c.fetch_studies()


def test_an_oversized_body_is_refused():
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(
            return_value=httpx.Response(200, content=(CTGOV / "page1.json").read_bytes())
        )
        with client(max_page_bytes=1000) as c, pytest.raises(NetworkError, match="larger than"):
            c.fetch_studies()


class Trickle(httpx.SyncByteStream):
    """A body sent a byte at a time while a fake clock advances 5 s per byte."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def __iter__(self) -> Iterator[bytes]:
        for byte in b'{"studies": []}':
            self.clock[0] += 5.0
            yield bytes([byte])


def test_a_trickled_body_is_cut_at_the_request_deadline():
    now = [0.0]
    c = CtgovClient(
        BASE_URL,
        ClientSettings(min_interval=0.0, max_attempts=1, request_deadline=30.0),
        sleep=lambda s: None,
        clock=lambda: now[0],
    )
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(return_value=httpx.Response(200, stream=Trickle(now)))
        with c, pytest.raises(NetworkError, match="not complete after 30 s"):
            c.fetch_studies()


def test_a_corrupt_gzip_body_is_reported_not_raised():
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/studies").mock(
            return_value=httpx.Response(
                200,
                stream=httpx.ByteStream(b"\x1f\x8b\x08garbage"),
                headers={"Content-Encoding": "gzip"},
            )
        )
        with client() as c, pytest.raises(NetworkError, match="cannot be decoded"):
            c.fetch_studies()
