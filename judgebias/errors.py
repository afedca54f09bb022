"""One exception tree for judgebias.

Every error a user can cause or meet is a :class:`JudgebiasError`. The CLI turns
any of them into one line on stderr and an exit status (2 for usage and input
errors, :data:`EXIT_UNREACHABLE` when the judge could not be reached), never a
traceback. Backend (provider) errors are mapped to the
:class:`BackendError` branch in one place, ``judgebias.judges.errors``.
"""

from __future__ import annotations

__all__ = [
    "EXIT_UNREACHABLE",
    "AuthError",
    "BackendError",
    "BadRequestError",
    "BadResponseError",
    "BudgetExceeded",
    "ConnectError",
    "InputError",
    "JudgebiasError",
    "NoRecordError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "SpecError",
    "StoreError",
    "TimeoutError_",
    "UnreachableError",
    "UsageError",
]

EXIT_UNREACHABLE = 4
"""Exit status when judge calls failed (the endpoint could not be reached, or every call
failed after its retries): no answer was read, so nothing is reported as unreadable."""


class JudgebiasError(Exception):
    """Base of every error judgebias raises on purpose."""

    exit_code = 2


class UsageError(JudgebiasError):
    """A flag or argument is wrong (names the flag)."""


class SpecError(UsageError):
    """A judge spec (``sim:...``, ``openai:...``) is malformed."""


class InputError(JudgebiasError):
    """An input file is unreadable or invalid (names the file and line/row)."""

    def __init__(self, path: str, problem: str, line: int | None = None, row: int | None = None):
        where = str(path)
        if line is not None:
            where += f", line {line}"
        elif row is not None:
            where += f", row {row}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.row = row
        self.problem = problem


class StoreError(JudgebiasError):
    """The store cannot be written (disk full, read-only folder): the run stops; every
    answer committed so far stays in the store."""


class BudgetExceeded(JudgebiasError):
    """Sending more would cross ``--max-cost``; the run stops and stays resumable."""

    def __init__(self, message: str, counts: object = None):
        super().__init__(message)
        self.counts = counts


class BackendError(JudgebiasError):
    """A judge call failed. ``retryable`` tells the runner whether to try again."""

    retryable = False
    endpoint: str | None = None
    """The base URL the failed call went to, when the backend knows it."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(BackendError):
    """Bad or missing credentials: the run stops at once."""


class BadRequestError(BackendError):
    """The endpoint rejected the request as malformed (not retried)."""


class NotFoundError(BadRequestError):
    """HTTP 404: the URL has no chat endpoint there, or the server does not serve the model."""


class RateLimitError(BackendError):
    retryable = True


class ServerError(BackendError):
    retryable = True


class ConnectError(ServerError):
    """The endpoint could not be connected to (refused, unknown host, reset)."""


class TimeoutError_(BackendError):
    retryable = True


class BadResponseError(BackendError):
    """The endpoint answered, but not with a usable completion (malformed body, no choices)."""

    retryable = True


class UnreachableError(BackendError):
    """The judge's endpoint failed every way a dead endpoint does (refused connections, no
    answer within the timeout, 404) too many times in a row: the run stops early, keeps
    every answer it has, and exits with :data:`EXIT_UNREACHABLE`."""

    exit_code = EXIT_UNREACHABLE


class NoRecordError(BackendError):
    """The replayed judge has no recorded verdict for a request (never retried)."""

    retryable = False
