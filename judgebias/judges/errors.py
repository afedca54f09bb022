"""The one place provider and transport failures become judgebias errors.

Every backend failure is mapped here, by type and HTTP status, never by class name:

- an HTTP status (the lean aiohttp transport's response, an openai SDK ``APIStatusError``,
  a litellm exception's ``status_code``, aiohttp's ``ClientResponseError``) goes through
  :func:`error_for_status`, one table for every path;
- timeouts (asyncio/builtin, aiohttp's, httpx's, the openai SDK's ``APITimeoutError``) are
  :class:`~judgebias.errors.TimeoutError_`;
- connection failures (aiohttp ``ClientError``, httpx transport errors, the SDK's
  ``APIConnectionError``, ``OSError``) are a retryable :class:`~judgebias.errors.ConnectError`;
- an answer that is not a usable JSON body is a :class:`~judgebias.errors.BadResponseError`.

The status table follows the openai SDK's own retry rule: 408, 409, 429 and 5xx are worth
another try (429 and 5xx honour ``Retry-After``), 401/403 stop the run, any other 4xx is a
request the endpoint will never accept (404 is :class:`~judgebias.errors.NotFoundError`: a
wrong URL or model). :func:`at_endpoint` names the URL in a transport error, with a hint of
what to check. Provider packages are looked up in ``sys.modules``
only: an exception of a package that was never imported cannot occur, and mapping never
imports openai or litellm.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable
from typing import Any

from judgebias.errors import (
    AuthError,
    BackendError,
    BadRequestError,
    BadResponseError,
    ConnectError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TimeoutError_,
)

__all__ = [
    "at_endpoint",
    "endpoint_hint",
    "error_for_status",
    "map_exception",
    "message_of_body",
    "retry_after",
]


def retry_after(headers: Any) -> float | None:
    """Seconds a server asks us to wait (``retry-after-ms`` or ``retry-after``), if any."""
    try:
        lowered = {str(k).lower(): v for k, v in headers.items()} if headers else {}
    except AttributeError:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except (TypeError, ValueError):
            continue
    return None


def message_of_body(text: str, status: int) -> str:
    """The ``error.message`` of an OpenAI-style error body, else the body's first 200 characters."""
    try:
        return str(json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return " ".join(text.split())[:200] or f"HTTP {status}"


def error_for_status(status: int, message: str, headers: Any = None) -> BackendError:
    """The error for an HTTP status other than 200 (the same table for every backend)."""
    wait = retry_after(headers)
    if status in (401, 403):
        return AuthError(
            f"authentication failed ({status}): check the API key in the environment (or the "
            f"user:password in --base-url); {message}"
        )
    if status == 429:
        return RateLimitError(f"rate limited: {message}", retry_after=wait)
    if status == 408:
        return TimeoutError_(f"request timed out (408): {message}", retry_after=wait)
    if status == 409 or status >= 500:
        return ServerError(f"server error {status}: {message}", retry_after=wait)
    if status == 404:
        return NotFoundError(f"not found (404): {message}")
    if status >= 400:
        return BadRequestError(f"request rejected ({status}): {message}")
    return BadResponseError(f"malformed response (HTTP {status}): {message}")


def _short(exc: BaseException, secrets: Iterable[str], limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _status_and_headers(exc: BaseException) -> tuple[int | None, Any]:
    """The HTTP status an exception carries (SDK, litellm, aiohttp), with its headers."""
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None) or getattr(exc, "headers", None)
    for status in (
        getattr(exc, "status_code", None),
        getattr(resp, "status_code", None),
        getattr(exc, "status", None),
    ):
        if isinstance(status, int) and not isinstance(status, bool):
            return status, headers
    return None, headers


def _classes(module: str, *names: str) -> tuple[type[BaseException], ...]:
    """Exception classes of an already imported package (none when it is not imported)."""
    mod = sys.modules.get(module)
    found = (getattr(mod, n, None) for n in names) if mod is not None else ()
    return tuple(c for c in found if isinstance(c, type) and issubclass(c, BaseException))


def map_exception(exc: BaseException, secrets: Iterable[str] = ()) -> BackendError:
    """Map any provider or transport exception to the judgebias error tree.

    ``secrets`` (a key, a URL's password) are masked in the message.
    """
    if isinstance(exc, BackendError):
        return exc
    msg = _short(exc, tuple(secrets))
    # litellm's connection failure carries a made-up status 500: it is a connection failure
    if isinstance(exc, _classes("litellm", "APIConnectionError")):
        return ConnectError(f"connection problem: {msg}")
    # the status first: litellm raises its Timeout for a 504 too, with status_code 504
    status, headers = _status_and_headers(exc)
    if status is not None:
        return error_for_status(status, msg, headers)
    timeouts: tuple[type[BaseException], ...] = (
        TimeoutError,
        asyncio.TimeoutError,
        *_classes("openai", "APITimeoutError"),
        *_classes("httpx", "TimeoutException"),
        *_classes("httpx2", "TimeoutException"),
    )
    if isinstance(exc, timeouts):
        return TimeoutError_(f"timed out: {msg}")
    connection: tuple[type[BaseException], ...] = (
        OSError,
        *_classes("aiohttp", "ClientError"),
        *_classes("openai", "APIConnectionError"),
        *_classes("httpx", "TransportError"),
        *_classes("httpx2", "TransportError"),
    )
    if isinstance(exc, connection):
        return ConnectError(f"connection problem: {type(exc).__name__} {msg}")
    malformed: tuple[type[BaseException], ...] = (
        ValueError,
        *_classes("openai", "APIResponseValidationError"),
    )
    if isinstance(exc, malformed):
        return BadResponseError(f"malformed response: {msg}")
    return ServerError(f"{type(exc).__name__}: {msg}")


def endpoint_hint(err: BackendError, base_url: str, model: str | None = None) -> str:
    """What to check when ``err`` came from ``base_url`` ("" when the error says it all)."""
    if isinstance(err, ConnectError):
        return f"is a server running at {base_url}? Check the host and port of --base-url"
    if isinstance(err, NotFoundError):
        v1 = "" if base_url.rstrip("/").endswith("/v1") else " (this one does not)"
        served = f", and does the server serve the model '{model}'" if model else ""
        return f"does --base-url end in /v1{v1}{served}?"
    if isinstance(err, TimeoutError_):
        return (
            f"is the server at {base_url} up and answering? A slow model needs a larger --timeout"
        )
    return ""


def at_endpoint(
    err: BackendError,
    url: str,
    base_url: str,
    model: str | None = None,
    timeout: float | None = None,
) -> BackendError:
    """``err`` naming the ``url`` it came from (once) with :func:`endpoint_hint`'s hint;
    same class, same Retry-After. A client-side timeout says how long it waited."""
    text = str(err)
    if url in text:
        return err
    if isinstance(err, TimeoutError_) and text.startswith("timed out") and timeout:
        text = f"no answer within {timeout:g} s (--timeout)"
    hint = endpoint_hint(err, base_url, model)
    named = type(err)(f"{url}: {text}" + (f"; {hint}" if hint else ""), retry_after=err.retry_after)
    named.endpoint = base_url
    return named
