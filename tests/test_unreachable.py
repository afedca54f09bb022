"""A judge that cannot be reached: the run stops early with its own exit status, names the
URL with a hint, and never reports the failed calls as unreadable answers.

Real sockets: a port nobody listens on, and a listening socket that accepts every
connection and never answers. The wall-time bounds are loose (a dead endpoint used to take
minutes; the bound is far above what the breaker needs on a loaded machine).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_cli, stderr_lines

from judgebias.engine.breaker import FIRST_FAILURES, Breaker, later_limit
from judgebias.errors import (
    EXIT_UNREACHABLE,
    BadRequestError,
    ConnectError,
    NotFoundError,
    ServerError,
    TimeoutError_,
    UnreachableError,
)

LOOSE_BOUND_S = 45.0  # with --timeout 2 the old behaviour took 100-160 s for 4 calls


def free_port() -> int:
    """A port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real listening socket that accepts connections and never answers; its base URL."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)  # kept open, never read from or written to
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/v1"
    done.set()
    t.join(timeout=5)
    for c in held:
        c.close()
    srv.close()


def audit_at(url: str, out: Path, *more: str, timeout: str = "2") -> tuple[object, float]:
    started = time.monotonic()
    p = run_cli(
        "audit",
        "--judge",
        "openai:my-model",
        "--base-url",
        url,
        "--timeout",
        timeout,
        "--limit",
        "2",
        "--out",
        str(out),
        "--quiet",
        *more,
        timeout=240,
        unset=("OPENAI_",),
    )
    return p, time.monotonic() - started


@pytest.mark.parametrize("transport", ["lean", "sdk"])
def test_nothing_listening_stops_fast_with_its_own_exit_status(
    transport: str, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    p, seconds = audit_at(url, tmp_path / "run", "--transport", transport)
    assert p.returncode == EXIT_UNREACHABLE == 4, (p.returncode, p.stderr)  # type: ignore[attr-defined]
    lines = stderr_lines(p)  # type: ignore[arg-type]
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr  # type: ignore[attr-defined]
    line = lines[0]
    assert "could not be reached" in line and url + "/chat/completions" in line
    assert "is a server running at" in line  # the hint
    assert "unreadable" not in line and "re-run the same command" in line
    assert seconds < LOOSE_BOUND_S, seconds


def test_a_socket_that_never_answers_stops_after_a_few_timeouts(
    silent_server: str, tmp_path: Path
) -> None:
    p, seconds = audit_at(silent_server, tmp_path / "run")
    assert p.returncode == EXIT_UNREACHABLE, (p.returncode, p.stderr)  # type: ignore[attr-defined]
    line = stderr_lines(p)[-1]  # type: ignore[arg-type]
    assert silent_server in line and "no answer within 2 s" in line and "--timeout" in line
    assert seconds < LOOSE_BOUND_S, seconds


@pytest.fixture
def not_found_server() -> Iterator[str]:
    """A real HTTP server that answers 404 to every request (a URL without /v1 on a server
    that serves only /v1/...); its base URL, without /v1."""

    class NotFound(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"error": {"message": "Not Found"}}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_404_names_the_url_and_asks_about_v1(not_found_server: str, tmp_path: Path) -> None:
    p, _ = audit_at(not_found_server, tmp_path / "run", timeout="30")
    assert p.returncode == EXIT_UNREACHABLE, (p.returncode, p.stderr)  # type: ignore[attr-defined]
    line = stderr_lines(p)[-1]  # type: ignore[arg-type]
    assert f"{not_found_server}/chat/completions" in line and "404" in line
    assert "end in /v1 (this one does not)" in line and "my-model" in line


def timed_out(message: str, endpoint: str | None = "http://127.0.0.1:9/v1") -> TimeoutError_:
    err = TimeoutError_(message)
    err.endpoint = endpoint
    return err


def test_breaker_counts_only_what_a_dead_endpoint_gives() -> None:
    b = Breaker(concurrency=8)
    for _ in range(10):  # a slow Python judge is not a dead server: its timeouts name no URL
        assert b.failed(timed_out("did not return", endpoint=None)) is None
    for _ in range(10):  # a live server that is busy or failing is retried, never stopped
        assert b.failed(ServerError("server error 503")) is None
        assert b.failed(BadRequestError("request rejected (400)")) is None
    for i in range(FIRST_FAILURES - 1):
        assert b.failed(ConnectError(f"refused {i}")) is None
    stop = b.failed(timed_out("no answer"))
    assert isinstance(stop, UnreachableError) and stop.exit_code == EXIT_UNREACHABLE
    assert b.failed(NotFoundError("404")) is stop  # stays tripped


def test_breaker_after_a_success_tolerates_a_burst() -> None:
    b = Breaker(concurrency=8)
    b.ok()
    limit = later_limit(8)
    for _ in range(limit - 1):
        assert b.failed(timed_out("slow")) is None
    b.ok()  # an answer in between: the count starts again
    for _ in range(limit - 1):
        assert b.failed(ConnectError("refused")) is None
    assert isinstance(b.failed(ConnectError("refused")), UnreachableError)


def test_failed_calls_are_not_shown_as_unreadable_answers(sim_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A server that answers every request with 500 is alive (the breaker leaves it be): the
    calls fail after their retries, the run folder is written, and the console and report
    call them failed calls, not unreadable answers; exit 4."""
    srv = sim_server("--judge", "sim", "--fault-rate", "1.0")
    out = tmp_path / "run"
    p = run_cli(
        "audit",
        "--judge",
        "openai:sim",
        "--base-url",
        srv.base_url,
        "--limit",
        "2",
        "--max-attempts",
        "2",
        "--out",
        str(out),
        timeout=240,
        unset=("OPENAI_",),
    )
    assert p.returncode == EXIT_UNREACHABLE, (p.returncode, p.stdout, p.stderr)
    assert "failed calls: 4 of 4" in p.stdout
    assert "unreadable answers" not in p.stdout
    assert "judge calls failed" in p.stderr and "unreadable" not in p.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="failed-calls"' in html and "Unreadable answers:" not in html
