"""Every provider and transport failure maps to the right judgebias error and retryability:
HTTP statuses, the openai SDK's exception classes, litellm's, aiohttp's, timeouts."""

from __future__ import annotations

import asyncio
import json
import os

import aiohttp
import httpx
import openai
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from judgebias.errors import (
    AuthError,
    BackendError,
    BadRequestError,
    BadResponseError,
    ConnectError,
    NoRecordError,
    NotFoundError,
    RateLimitError,
    ServerError,
    StoreError,
    TimeoutError_,
)
from judgebias.judges.errors import error_for_status, map_exception, retry_after

try:  # the HTTP library the installed openai SDK is built on
    import httpx2 as sdk_http  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older SDKs use httpx
    sdk_http = httpx

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# status -> (error class, retryable): one table for every backend
STATUSES = {
    400: (BadRequestError, False),
    401: (AuthError, False),
    403: (AuthError, False),
    404: (NotFoundError, False),  # a wrong URL or model: the breaker counts it
    408: (TimeoutError_, True),
    409: (ServerError, True),
    422: (BadRequestError, False),
    429: (RateLimitError, True),
    500: (ServerError, True),
    502: (ServerError, True),
    503: (ServerError, True),
    504: (ServerError, True),
}


def _sdk_response(status: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    request = sdk_http.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    return sdk_http.Response(status, request=request, headers=headers or {}, json={})


def check_maps_to(err: BackendError, cls: type[BackendError], retryable: bool) -> None:
    assert type(err) is cls, (type(err), cls, str(err))
    assert err.retryable is retryable


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_status_table(status: int) -> None:
    cls, retryable = STATUSES[status]
    check_maps_to(error_for_status(status, "boom", {"retry-after": "2"}), cls, retryable)


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_openai_sdk_status_errors(status: int) -> None:
    cls, retryable = STATUSES[status]
    exc = openai.APIStatusError("boom", response=_sdk_response(status), body=None)
    check_maps_to(map_exception(exc), cls, retryable)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("BadRequestError", 400),
        ("AuthenticationError", 401),
        ("PermissionDeniedError", 403),
        ("NotFoundError", 404),
        ("ConflictError", 409),
        ("UnprocessableEntityError", 422),
        ("RateLimitError", 429),
        ("InternalServerError", 500),
    ],
)
def test_openai_sdk_named_classes(name: str, status: int) -> None:
    cls, retryable = STATUSES[status]
    exc = getattr(openai, name)("boom", response=_sdk_response(status), body=None)
    check_maps_to(map_exception(exc), cls, retryable)


def test_openai_sdk_transport_classes_and_retry_after() -> None:
    request = sdk_http.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    check_maps_to(map_exception(openai.APITimeoutError(request=request)), TimeoutError_, True)
    check_maps_to(map_exception(openai.APIConnectionError(request=request)), ConnectError, True)
    bad = openai.APIResponseValidationError(response=_sdk_response(200), body=None)
    check_maps_to(map_exception(bad), BadResponseError, True)
    limited = openai.RateLimitError(
        "slow down", response=_sdk_response(429, {"retry-after-ms": "1500"}), body=None
    )
    err = map_exception(limited)
    assert isinstance(err, RateLimitError) and err.retry_after == pytest.approx(1.5)
    down = openai.InternalServerError(
        "down", response=_sdk_response(503, {"retry-after": "3"}), body=None
    )
    assert map_exception(down).retry_after == pytest.approx(3.0)


def test_litellm_exception_classes() -> None:
    le = pytest.importorskip("litellm.exceptions")
    args = {"message": "boom", "llm_provider": "openai", "model": "m"}
    cases = [
        (le.BadRequestError(**args), BadRequestError, False),
        (le.ContextWindowExceededError(**args), BadRequestError, False),
        (le.AuthenticationError(**args), AuthError, False),
        (le.NotFoundError(**args), NotFoundError, False),
        (le.RateLimitError(**args), RateLimitError, True),
        (le.Timeout(**args), TimeoutError_, True),
        (le.Timeout(exception_status_code=504, **args), ServerError, True),  # a gateway's 504
        (le.APIConnectionError(**args), ConnectError, True),
        (le.InternalServerError(**args), ServerError, True),
        (le.ServiceUnavailableError(**args), ServerError, True),
        (le.BadGatewayError(**args), ServerError, True),
        (le.APIError(status_code=504, **args), ServerError, True),
        (le.APIError(status_code=408, **args), TimeoutError_, True),
    ]
    for exc, cls, retryable in cases:
        check_maps_to(map_exception(exc), cls, retryable)


def test_aiohttp_errors_timeouts_and_bodies() -> None:
    info = aiohttp.RequestInfo(
        url=URL("http://127.0.0.1:9/"),
        method="POST",
        headers=CIMultiDictProxy(CIMultiDict()),
        real_url=URL("http://127.0.0.1:9/"),
    )
    resp_err = aiohttp.ClientResponseError(
        info, (), status=503, message="busy", headers={"Retry-After": "2"}
    )
    err = map_exception(resp_err)
    check_maps_to(err, ServerError, True)
    assert err.retry_after == pytest.approx(2.0)
    for status, (cls, retryable) in STATUSES.items():
        check_maps_to(
            map_exception(aiohttp.ClientResponseError(info, (), status=status)), cls, retryable
        )
    check_maps_to(map_exception(aiohttp.ClientConnectionError("refused")), ConnectError, True)
    check_maps_to(map_exception(aiohttp.ServerDisconnectedError()), ConnectError, True)
    check_maps_to(map_exception(aiohttp.ClientPayloadError("cut")), ConnectError, True)
    check_maps_to(map_exception(aiohttp.ServerTimeoutError("slow")), TimeoutError_, True)
    check_maps_to(map_exception(asyncio.TimeoutError()), TimeoutError_, True)
    check_maps_to(map_exception(TimeoutError("t")), TimeoutError_, True)
    check_maps_to(map_exception(httpx.ReadTimeout("t")), TimeoutError_, True)
    check_maps_to(map_exception(httpx.ConnectError("no route")), ConnectError, True)
    check_maps_to(map_exception(ConnectionRefusedError("refused")), ConnectError, True)
    try:
        json.loads("{not json")
    except ValueError as exc:
        check_maps_to(map_exception(exc), BadResponseError, True)


def test_our_own_errors_pass_through_and_secrets_are_masked() -> None:
    mine = NoRecordError("no record")
    assert map_exception(mine) is mine and not mine.retryable
    err = map_exception(aiohttp.ClientConnectionError("http://u:sk-SECRET@h failed"), ["sk-SECRET"])
    assert "sk-SECRET" not in str(err) and "***" in str(err)
    assert issubclass(StoreError, Exception) and not issubclass(StoreError, BackendError)


def test_retry_after_headers() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250"}) == pytest.approx(0.25)
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after({"retry-after": "-5"}) == 0.0
    assert retry_after(None) is None
