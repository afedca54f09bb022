"""The runner's circuit breaker: stop a run whose judge cannot be reached.

A dead endpoint fails every call the same way: the connection is refused, the socket never
answers within ``--timeout`` (an HTTP endpoint's timeout, which names its URL), or the URL
answers 404. Retrying each call with backoff then
only delays the verdict (minutes for a handful of calls), and the failures end up recorded
as if the judge had answered. The breaker counts these *endpoint failures* (every attempt,
across all workers) and trips:

- before any call has succeeded, after :data:`FIRST_FAILURES` of them: the first requests
  of a run fail fast when the server is down, the URL is wrong or the model is not served;
- after a success, when :func:`later_limit` of them come in a row with no success between
  (a server that went away mid-run), so a passing blip under load does not stop a run.

Rate limits, 5xx answers and malformed bodies come from a server that is there: they are
retried as before and never trip the breaker. The error it raises,
:class:`~judgebias.errors.UnreachableError`, names the URL and says what to check.
"""

from __future__ import annotations

from judgebias.errors import (
    BackendError,
    ConnectError,
    NotFoundError,
    TimeoutError_,
    UnreachableError,
)

__all__ = ["FIRST_FAILURES", "Breaker", "is_endpoint_failure", "later_limit"]

FIRST_FAILURES = 3
"""Endpoint failures before any success that stop the run."""


def later_limit(concurrency: int) -> int:
    """Endpoint failures in a row, after a success, that stop the run: every request in
    flight may fail at once when a server hiccups, so twice the concurrency (at least 10)."""
    return max(10, 2 * concurrency)


def is_endpoint_failure(err: BaseException) -> bool:
    """A failure a dead or wrong endpoint gives: refused, 404, or no answer in time from an
    HTTP endpoint (a timeout that names its endpoint; a slow Python judge is not a dead
    server, its timeouts are retried and recorded)."""
    if isinstance(err, TimeoutError_):
        return getattr(err, "endpoint", None) is not None
    return isinstance(err, ConnectError | NotFoundError)


class Breaker:
    """Counts endpoint failures and successes; :meth:`failed` returns the error that stops
    the run once the limit is reached (then it stays tripped)."""

    def __init__(self, concurrency: int = 8, first: int = FIRST_FAILURES) -> None:
        self.first = first
        self.later = later_limit(concurrency)
        self.succeeded = 0
        self.in_a_row = 0
        self.tripped: UnreachableError | None = None

    def ok(self) -> None:
        self.succeeded += 1
        self.in_a_row = 0

    def failed(self, err: BackendError) -> UnreachableError | None:
        """Record ``err``; the run-stopping error when this failure trips the breaker."""
        if self.tripped is not None:
            return self.tripped
        if not is_endpoint_failure(err):
            return None
        self.in_a_row += 1
        limit = self.later if self.succeeded else self.first
        if self.in_a_row < limit:
            return None
        when = (
            f"the first {self.in_a_row} attempts failed"
            if not self.succeeded
            else f"{self.in_a_row} attempts in a row failed after {self.succeeded} answers"
        )
        tripped = UnreachableError(
            f"the judge could not be reached ({when}): {err}. The run stopped early and "
            "keeps every answer so far: re-run the same command once the server answers"
        )
        tripped.endpoint = err.endpoint
        self.tripped = tripped
        return tripped
