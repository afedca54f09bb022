"""The openai:MODEL backend's two transports (and litellm's openai/... route) against a
scripted endpoint over real HTTP: the same error for the same status whichever path sent
the request, round-robin over replicas, the key in the header only, malformed bodies."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from pathlib import Path

import pytest
from conftest import run_cli
from fake_openai import FakeEndpoint, request, serve

from judgebias.errors import AuthError, BackendError, BadResponseError, ServerError, SpecError
from judgebias.judges.base import JudgeOptions, make_judge
from judgebias.judges.errors import map_exception

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

STATUSES = (400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504)


async def _error_of(spec: str, url: str, transport: str | None, message: str) -> BackendError:
    extra = {"transport": transport} if transport else {}
    judge = make_judge(spec, JudgeOptions(base_urls=[url], timeout=10, extra=extra))
    try:
        await judge.complete(request(message, model=judge.model))
    except Exception as exc:  # what the runner does with anything a backend raises
        return map_exception(exc)
    finally:
        await judge.aclose()
    raise AssertionError(f"{spec} {transport}: {message} did not fail")


def test_every_path_maps_a_status_to_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    paths = [("openai:fake", "lean"), ("openai:fake", "sdk")]
    try:
        import litellm  # noqa: F401

        paths.append(("litellm:openai/fake", None))
    except ImportError:  # pragma: no cover - the [litellm] extra is not installed
        pass
    ep = FakeEndpoint(
        always={f"s{s}": (s, {"retry-after": "7"} if s in (429, 503) else {}) for s in STATUSES}
    )

    async def main() -> dict[tuple[str, str | None], dict[int, BackendError]]:
        async with serve(ep) as url:
            return {
                path: {s: await _error_of(path[0], url, path[1], f"s{s}") for s in STATUSES}
                for path in paths
            }

    got = asyncio.run(main())
    lean = got[("openai:fake", "lean")]
    for path, errors in got.items():
        for s in STATUSES:
            assert type(errors[s]) is type(lean[s]), (path, s, errors[s])
            assert errors[s].retryable == lean[s].retryable
    assert lean[429].retry_after == 7.0 and got[("openai:fake", "sdk")][503].retry_after == 7.0
    assert all(a.startswith("Bearer sk-test") for _, _, a in ep.arrivals)


def test_round_robin_over_replicas_with_the_key_in_the_header_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-7f3a")
    one, two = FakeEndpoint(), FakeEndpoint()

    async def main() -> list[str]:
        async with serve(one) as u1, serve(two) as u2:
            judge = make_judge("openai:fake", JudgeOptions(base_urls=[u1, u2]))
            try:
                return [(await judge.complete(request(f"q{i}"))).text for i in range(10)]
            finally:
                await judge.aclose()

    assert asyncio.run(main()) == ["[[A]]"] * 10
    assert one.count() == two.count() == 5
    assert {a for _, _, a in one.arrivals + two.arrivals} == {"Bearer sk-planted-7f3a"}


def test_malformed_bodies_are_bad_responses() -> None:
    ep = FakeEndpoint(body={"notjson": "{oops", "nochoices": '{"choices": []}'})

    async def main() -> list[BackendError]:
        async with serve(ep) as url:
            return [await _error_of("openai:fake", url, "lean", m) for m in ep.body]

    for err in asyncio.run(main()):
        assert isinstance(err, BadResponseError) and err.retryable


def test_connection_refused_is_retryable_and_names_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-7f3a")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = asyncio.run(_error_of("openai:fake", f"http://127.0.0.1:{port}/v1", "lean", "q"))
    assert isinstance(err, ServerError) and err.retryable
    assert "sk-planted" not in str(err) and f"127.0.0.1:{port}" in str(err)


# --------------------------------------------------------------------------- user:password@ in a base URL

PASSWORD = "pl4nted%40pw"  # percent-encoded in the URL: the password is "pl4nted@pw"


def _with_login(url: str, login: str = f"alice:{PASSWORD}") -> str:
    return url.replace("http://", f"http://{login}@", 1)


@pytest.mark.parametrize("transport", ["lean", "sdk"])
def test_a_login_in_the_url_is_sent_as_basic_auth_to_that_url_only(
    monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    guarded, open_ = FakeEndpoint(), FakeEndpoint()

    async def main() -> list[str]:
        async with serve(guarded) as u1, serve(open_) as u2:
            judge = make_judge(
                "openai:fake",
                JudgeOptions(base_urls=[_with_login(u1), u2], extra={"transport": transport}),
            )
            try:
                return [(await judge.complete(request(f"q{i}"))).text for i in range(4)]
            finally:
                await judge.aclose()

    assert asyncio.run(main()) == ["[[A]]"] * 4
    basic = "Basic " + base64.b64encode(b"alice:pl4nted@pw").decode()
    assert [a for _, _, a in guarded.arrivals] == [basic, basic]
    assert [a for _, _, a in open_.arrivals] == ["Bearer not-needed"] * 2


def test_a_login_in_the_url_with_an_api_key_is_refused_without_showing_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with pytest.raises(SpecError) as info:
        make_judge("openai:fake", JudgeOptions(base_urls=[_with_login("http://127.0.0.1:9/v1")]))
    msg = str(info.value)
    assert (
        msg.startswith("--base-url: http://alice:***@127.0.0.1:9/v1 ") and "OPENAI_API_KEY" in msg
    )
    assert "pl4nted" not in msg


def test_a_failed_call_to_a_url_with_a_login_names_the_endpoint_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = _with_login(f"http://127.0.0.1:{port}/v1")
    err = asyncio.run(_error_of("openai:fake", url, "lean", "q"))
    assert isinstance(err, ServerError) and err.retryable
    assert f"http://127.0.0.1:{port}/v1" in str(err) and "pl4nted" not in str(err)


@pytest.mark.parametrize("transport", ["lean", "sdk"])
def test_a_refused_login_says_where_to_look_without_the_password(
    monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    endpoint = FakeEndpoint(always={"q": (401, {})})

    async def main() -> BackendError:
        async with serve(endpoint) as url:
            return await _error_of("openai:fake", _with_login(url), transport, "q")

    err = asyncio.run(main())
    assert isinstance(err, AuthError) and not err.retryable
    assert "user:password in --base-url" in str(err) and "pl4nted" not in str(err)


def test_an_audit_through_a_url_with_a_login_works_and_stores_no_password(
    sim_server,
    pairs_file,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    srv = sim_server("--judge", "sim:accuracy=0.9")
    out = tmp_path / "run"
    p = run_cli(
        "audit",
        "--judge",
        "openai:sim",
        "--base-url",
        _with_login(srv.base_url),
        "--data",
        str(pairs_file(10, seed=4)),
        "--probes",
        "position",
        "--out",
        str(out),
        "--quiet",
        "--json",
        env={"OPENAI_API_KEY": ""},
    )
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["calls"]["failed"] == 0 and summary["calls"]["sent"] == 20
    assert f"--base-url {_with_login(srv.base_url, 'alice:***')}" in summary["run"]["command"]
    for secret in ("pl4nted", "pl4nted@pw"):
        assert secret not in p.stdout + p.stderr
        for f in out.rglob("*"):
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f
