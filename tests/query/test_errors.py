"""How the query client fails: server errors, client state, bad arguments, no collector."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from agenttrace.exceptions import ConfigurationError, NotFoundError, QueryError, UserError
from agenttrace.query import CollectorUnavailableError, QueryClient


@pytest.fixture
def client(collector_url: str) -> Iterator[QueryClient]:
    """An open client on the seeded collector."""
    with QueryClient(collector_url) as client:
        yield client


def test_unknown_session_and_request_are_not_found(client: QueryClient) -> None:
    """A 404 becomes NotFoundError carrying the collector's sentence."""
    with pytest.raises(NotFoundError) as caught:
        client.session("no-such-session")
    assert caught.value.status_code == 404
    assert "there is no session 'no-such-session'" in caught.value.message
    assert "404" in str(caught.value)
    with pytest.raises(NotFoundError, match="there is no request 'nope'"):
        client.request("nope")


def test_ids_with_slashes_reach_the_collector(client: QueryClient) -> None:
    """Ids are quoted into the URL path, so odd characters cannot change the endpoint."""
    with pytest.raises(NotFoundError, match=r"there is no session 'a/b\?c'"):
        client.session("a/b?c")


def test_rejected_query_carries_the_server_message(client: QueryClient) -> None:
    """A 4xx answer raises QueryError with the status and the collector's own message."""
    with pytest.raises(QueryError) as caught:
        client.sessions(status="bogus")
    assert caught.value.status_code == 400
    assert "status" in caught.value.message
    assert not isinstance(caught.value, NotFoundError)
    with pytest.raises(QueryError, match="limit") as too_big:
        client.sessions(limit=5000)
    assert too_big.value.status_code == 400
    assert "1 to 1000" in too_big.value.message
    with pytest.raises(QueryError, match="sort"):
        client.sessions(sort="no_such_column")


def test_closed_client_says_what_to_do(collector_url: str) -> None:
    """A closed client refuses queries with a UserError naming the fix; close is idempotent."""
    client = QueryClient(collector_url)
    assert client.sessions(limit=1).total == 10  # usable without `with`
    client.close()
    client.close()
    assert client.is_closed
    with pytest.raises(UserError, match="closed; create a new QueryClient"):
        client.sessions()
    with pytest.raises(UserError, match="closed"), client:
        pass


def test_with_block_closes_and_client_never_reopens(collector_url: str) -> None:
    """Leaving the with block closes the client; opening twice is refused."""
    with QueryClient(collector_url) as client:
        with pytest.raises(UserError, match="already open"), client:
            pass
        assert not client.is_closed
    assert client.is_closed
    with pytest.raises(UserError, match="closed"):
        client.session("sess-a")


def test_unreachable_collector(dead_url: str) -> None:
    """Connection refused is a QueryError that names the URL and `agenttrace serve`."""
    with QueryClient(dead_url) as client, pytest.raises(CollectorUnavailableError) as caught:
        client.sessions()
    error = caught.value
    assert isinstance(error, QueryError)
    assert error.status_code == 0
    assert error.endpoint == dead_url
    assert f"the collector at {dead_url} is not reachable" in str(error)
    assert "agenttrace serve" in str(error)
    assert "AGENTTRACE_ENDPOINT" in str(error)


def test_silent_collector_times_out() -> None:
    """A server that accepts but never answers gives a timeout error, not a hang."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes connections; nobody ever answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = QueryClient(url, timeout=0.2)
        with (
            client,
            pytest.raises(CollectorUnavailableError, match=r"did not answer within 0\.2 s"),
        ):
            client.sessions()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.sessions(since="yesterday"), "since='yesterday' is not a time"),
        (lambda c: c.requests(until="31/01/2025"), "until='31/01/2025' is not a time"),
        (lambda c: c.sessions(since=12), "since must be a datetime or a string"),
        (lambda c: c.sessions(properties={"a=b": "c"}), "property name 'a=b'"),
        (lambda c: c.sessions(properties=["env=prod"]), "properties must be a dict"),
        (lambda c: c.session(""), "session id must be a non-empty string"),
        (lambda c: c.request(""), "request id must be a non-empty string"),
    ],
)
def test_bad_arguments_are_explained(client: QueryClient, call: object, message: str) -> None:
    """Arguments the client can check fail before any request, with the fix in the message."""
    with pytest.raises(UserError, match=message):
        call(client)  # type: ignore[operator]


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "10"])
def test_bad_timeout(timeout: object) -> None:
    """timeout must be a positive number of seconds."""
    with pytest.raises(UserError, match="timeout must be a positive number"):
        QueryClient("http://127.0.0.1:1", timeout=timeout)  # type: ignore[arg-type]


def test_bad_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that is not an http(s) URL names the argument and the variable."""
    with pytest.raises(ConfigurationError, match="pass endpoint="):
        QueryClient("localhost:8787")
    monkeypatch.setenv("AGENTTRACE_ENDPOINT", "ftp://collector")
    with pytest.raises(ConfigurationError, match="AGENTTRACE_ENDPOINT"):
        QueryClient()


# The collector has no API keys yet and never answers garbage: these few cases use httpx's
# MockTransport to show the request headers and the handling of answers it cannot give.


def test_api_key_is_sent_as_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """api_key (or AGENTTRACE_API_KEY) goes out as a bearer token; 401 says how to set it."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"error": "this API key is not valid"})

    monkeypatch.setenv("AGENTTRACE_API_KEY", "from-env")
    client = QueryClient("http://collector", transport=httpx.MockTransport(handler))
    with client, pytest.raises(QueryError, match=r"not valid.*AGENTTRACE_API_KEY") as caught:
        client.sessions()
    assert caught.value.status_code == 401
    assert seen[0].headers["Authorization"] == "Bearer from-env"
    explicit = QueryClient("http://c", api_key="k1", transport=httpx.MockTransport(handler))
    with explicit, pytest.raises(QueryError):
        explicit.sessions()
    assert seen[1].headers["Authorization"] == "Bearer k1"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, text="<html>hello</html>"), "not JSON; is http://c an agenttrace"),
        (httpx.Response(200, json={"items": []}), "unexpected shape.*sessions"),
        (httpx.Response(502, text="Bad Gateway from proxy"), "Bad Gateway from proxy"),
        (httpx.Response(422, json={"detail": [{"loc": ["query", "limit"], "msg": "too big"}]}),
         "limit: too big"),
    ],
)  # fmt: skip
def test_answers_that_are_not_a_collectors(response: httpx.Response, message: str) -> None:
    """Non-JSON, wrongly shaped and proxy error answers become QueryErrors that say so."""
    transport = httpx.MockTransport(lambda request: response)
    client = QueryClient("http://c", transport=transport)
    with client, pytest.raises(QueryError, match=message) as caught:
        client.sessions()
    assert caught.value.status_code == response.status_code
