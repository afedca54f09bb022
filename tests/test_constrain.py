"""Constrained verdicts (``--constrain``): the request fields of each dialect, the strict
reader of constrained answers, ``auto``'s choice and fallback over real HTTP against
``serve-sim`` posing as each kind of server, and the constraint in the run and the cache key."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import run_cli, stderr_lines

from judgebias.judges.constraints import (
    AUTO_ORDER,
    constraint_fields,
    constraint_grammar,
    constraint_kinds,
)
from judgebias.judges.generation import resolve_generation
from judgebias.judges.request_rules import request_body
from judgebias.prompts.answers_formats import format_reader, read_choice, read_rating
from judgebias.prompts.constrained import ConstrainedForm
from judgebias.prompts.templates import answer_reader, default_template
from judgebias.types import ChatRequest, Completion, Constraint

LABELS = ("A", "B", "C")
# a sim that often answers out of form: unconstrained, many of its answers are unreadable
MESSY = "sim:accuracy=0.85,position=0.3,echo=0.3,garble=0.2,nolabel=0.1"


def _audit(out: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    p = run_cli(
        "audit", "--limit", "40", "--out", str(out), "--quiet", "--max-invalid", "1", *args
    )  # fmt: skip
    summary = json.loads((out / "summary.json").read_text()) if p.returncode in (0, 3) else {}
    return p.returncode, summary, p.stderr


# -- the wire ----------------------------------------------------------------------


def test_each_dialect_sends_its_own_fields() -> None:
    def body(kind: str, dialect: str, **kw: Any) -> dict[str, Any]:
        c = Constraint(kind, dialect, LABELS, **kw)
        return request_body(ChatRequest(model="m", messages=(("user", "x"),), constraint=c))

    rf = body("json", "openai")["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"]["properties"]["verdict"]["enum"] == list(LABELS)
    assert rf["json_schema"]["schema"]["additionalProperties"] is False
    lc = body("json", "llamacpp", reasoning=True)["response_format"]
    assert lc["type"] == "json_object"
    assert list(lc["schema"]["properties"]) == ["reasoning", "verdict"]  # reasoning first
    assert body("json", "ollama")["format"]["required"] == ["verdict"]
    assert body("choice", "vllm")["structured_outputs"] == {"choice": list(LABELS)}
    assert body("choice", "vllm-guided")["guided_choice"] == list(LABELS)
    assert body("grammar", "llamacpp")["grammar"].startswith("root ::= ")
    assert "grammar" in body("grammar", "vllm")["structured_outputs"]
    lb = body("logit-bias", "openai", token_ids=(65, 66, 67))["logit_bias"]
    assert lb == {"65": 100, "66": 100, "67": 100}
    # a request without a constraint sends none of these, and keeps its old key
    plain = ChatRequest(model="m", messages=(("user", "x"),))
    assert "constraint" not in plain.as_dict()
    assert set(request_body(plain)) == {"model", "messages", "temperature"}
    assert constraint_kinds() == ("auto", "json", "choice", "grammar", "logit-bias", "none")
    assert next(k for k, _ in AUTO_ORDER) == "json"


def test_the_grammar_is_one_llama_cpp_accepts() -> None:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python checks GBNF")
    for c in (
        Constraint("grammar", "llamacpp", LABELS, reasoning=True),
        Constraint("grammar", "llamacpp", tuple(str(i) for i in range(1, 11)), key="rating"),
    ):
        g = constraint_grammar(c)
        assert llama_cpp.LlamaGrammar.from_string(g, verbose=False) is not None
        assert f'"\\"{c.key}\\""' in g


def test_the_constraint_is_part_of_the_cache_key() -> None:
    settings = resolve_generation("m")
    msgs = (("user", "x"),)
    plain = settings.request(msgs, LABELS)
    from judgebias.judges.constraints import ConstraintChoice

    json_c = ConstraintChoice("json", kind="json", dialect="openai")
    grammar_c = ConstraintChoice("grammar", kind="grammar", dialect="llamacpp")
    a = resolve_generation("m", constraint=json_c).request(msgs, LABELS)
    b = resolve_generation("m", constraint=grammar_c).request(msgs, LABELS)
    assert len({plain.key(), a.key(), b.key()}) == 3
    assert ChatRequest.from_dict(json.loads(a.canonical_json)) == a


# -- the settings ------------------------------------------------------------------


def test_generation_settings_take_each_provider_s_defaults() -> None:
    assert resolve_generation("gpt-4o-mini").max_tokens == 512
    assert resolve_generation("gpt-4o-mini", "score").max_tokens == 32
    assert resolve_generation("gpt-4o-mini", "logprob").max_tokens == 5
    assert resolve_generation("o3-mini").max_tokens == 25_000
    assert resolve_generation("qwen", reasoning_effort="low").generate_tokens == 25_000
    assert resolve_generation("qwen").generate_tokens == 1024
    given = resolve_generation("o3-mini", max_tokens=300)
    assert (given.max_tokens, given.generate_tokens) == (300, 300)
    choice = __import__("judgebias.judges.constraints", fromlist=["x"]).ConstraintChoice
    lb = choice("logit-bias", kind="logit-bias", dialect="openai", token_ids={"A": 1, "B": 2})
    req = resolve_generation("m", constraint=lb).request((("user", "x"),), ("A", "B"))
    assert req.max_tokens == 1 and req.constraint is not None
    assert req.constraint.token_ids == (1, 2)


def test_every_audit_flag_has_its_config_field() -> None:
    from judgebias.cli.audit import audit, config_from_flags

    flags = {n: p.default for n, p in inspect.signature(audit).parameters.items()}
    flags["judge"] = "sim"
    cfg = config_from_flags(flags)
    assert cfg.constrain == "none" and cfg.probes == ["position"] and cfg.base_urls == []
    with pytest.raises(TypeError, match="no AuditConfig field"):
        config_from_flags({**flags, "not_a_flag": 1})


# -- the strict reader ---------------------------------------------------------------


def _comp(text: str, finish: str = "stop") -> Completion:
    return Completion(text=text, finish_reason=finish)


def test_the_constrained_reader_is_strict() -> None:
    reader = answer_reader(default_template()).with_constraint(ConstrainedForm("json"))
    assert reader.read(_comp('{"verdict": "A"}')).position == "first"
    assert reader.read(_comp('{"reasoning": "B is wrong [[B]]", "verdict": "C"}')).position == "tie"
    for text, reason in [
        ('Sure: {"verdict": "A"}', "no_verdict"),  # prose around it: not what was allowed
        ('{"verdict": "A", "extra": 1}', "no_verdict"),
        ('{"verdict": "D"}', "no_verdict"),
        ("[[A]]", "no_verdict"),  # the unconstrained form is not read under a constraint
        ("", "empty"),
    ]:
        r = reader.read(_comp(text))
        assert (r.position, r.reason) == (None, reason), text
    assert reader.read(_comp('{"reasoning": "long', "length")).reason == "truncated"
    bare = reader.with_constraint(ConstrainedForm("label"))
    assert bare.read(_comp("B")).position == "second"
    assert bare.read(_comp("Response B")).reason == "no_verdict"
    # the formats: a JSON grade, a JSON choice among k
    fr = format_reader("sys", "user").with_constraint(ConstrainedForm("json", "rating"))
    scale = tuple(str(i) for i in range(1, 11))
    assert read_rating(_comp('{"rating": "7"}'), scale, fr).index == 6
    assert read_rating(_comp('{"rating": "11"}'), scale, fr).reason == "out_of_range"
    assert read_rating(_comp("Rating: [[7]]"), scale, fr).reason == "no_verdict"
    lr = format_reader("sys", "user").with_constraint(ConstrainedForm("json"))
    assert read_choice(_comp('{"verdict": "D"}'), 4, lr).index == 3
    assert read_choice(_comp('{"verdict": "D"}'), 3, lr).reason == "out_of_range"


# -- auto and the dialects over real HTTP ----------------------------------------------


@pytest.mark.slow
def test_auto_falls_back_to_what_llama_cpp_python_accepts(
    sim_server: Any, pairs_file: Any, tmp_path: Path
) -> None:
    srv = sim_server("--judge", MESSY, "--constraints", "llamacpp")
    data = str(pairs_file(60))
    common = ("--judge", "openai:sim", "--base-url", srv.base_url, "--data", data)
    rc0, plain, _ = _audit(tmp_path / "none", *common)
    rc1, auto, _ = _audit(tmp_path / "auto", *common, "--constrain", "auto")
    assert rc0 in (0, 3) and rc1 == 0
    assert plain["run"]["constrain"] == "none"
    assert auto["run"]["constrain"] == "json"
    c = auto["run"]["constraint"]
    assert (c["requested"], c["kind"], c["dialect"]) == ("auto", "json", "llamacpp")
    # the first form tried was refused with llama-cpp-python's own validation error
    assert c["tried"][0]["dialect"] == "openai"
    assert "Input should be 'text' or 'json_object'" in c["tried"][0]["outcome"]
    assert c["tried"][-1]["outcome"] == "enforced"
    # the messy sim's answers are unreadable without the constraint, every one with it
    assert plain["invalid"]["share"] > 0.4
    assert auto["invalid"]["share"] == 0.0
    rec = pd.read_parquet(tmp_path / "auto" / "records.parquet")
    assert all(json.loads(raw)["verdict"] in LABELS for raw in rec["raw"])
    # the constrained requests are other requests: nothing of the plain run is reused
    keys0 = set(pd.read_parquet(tmp_path / "none" / "records.parquet")["request_key"])
    assert keys0.isdisjoint(set(rec["request_key"]))
    # a re-run finds every constrained answer in its store (only the probes are sent)
    before = srv.stats()["requests"]
    rc2, again, _ = _audit(tmp_path / "auto", *common, "--constrain", "auto")
    assert rc2 == 0 and again["calls"]["sent"] == 0
    assert srv.stats()["requests"] - before == len(c["tried"])
    html = (tmp_path / "auto" / "report.html").read_text()
    assert "--constrain" in html or "constrain" in html


@pytest.mark.slow
def test_auto_never_drops_the_constraint_silently(
    sim_server: Any, pairs_file: Any, tmp_path: Path
) -> None:
    srv = sim_server("--judge", MESSY, "--constraints", "plain")  # ignores every field
    common = ("--judge", "openai:sim", "--base-url", srv.base_url, "--data", str(pairs_file(20)))
    rc, s, _ = _audit(tmp_path / "auto", *common, "--constrain", "auto")
    assert rc in (0, 3)
    assert s["run"]["constrain"] == "none"
    c = s["run"]["constraint"]
    assert c["kind"] == "none" and "no constraint is enforced" in c["reason"]
    assert {t["dialect"] for t in c["tried"] if t["outcome"].startswith("ignored")} >= {
        "openai",
        "llamacpp",
        "vllm",
    }
    p = run_cli(
        "audit", *common, "--out", str(tmp_path / "json"), "--constrain", "json", "--quiet"
    )  # fmt: skip
    assert p.returncode == 2
    lines = stderr_lines(p)
    assert len(lines) == 1 and "--constrain json" in lines[0] and "Traceback" not in p.stderr


@pytest.mark.slow
def test_each_server_kind_gets_the_form_it_enforces(
    sim_server: Any, pairs_file: Any, tmp_path: Path
) -> None:
    data = str(pairs_file(20))
    cases = [
        (("--constraints", "openai"), "auto", "json", "openai"),
        (("--constraints", "vllm", "--reject-unknown"), "choice", "choice", "vllm"),
        (("--constraints", "ollama"), "json", "json", "openai"),  # Ollama takes both forms
        (("--constraints", "llamacpp"), "grammar", "grammar", "llamacpp"),
        (("--constraints", "llamacpp"), "logit-bias", "logit-bias", "openai"),
    ]
    for server_args, requested, kind, dialect in cases:
        srv = sim_server("--judge", MESSY, *server_args)
        out = tmp_path / f"{server_args[1]}-{requested}"
        rc, s, err = _audit(
            out, "--judge", "openai:sim", "--base-url", srv.base_url, "--data", data,
            "--constrain", requested,
        )  # fmt: skip
        assert rc == 0, err
        assert (s["run"]["constrain"], s["run"]["constraint"]["dialect"]) == (kind, dialect)
        assert s["invalid"]["share"] == 0.0
        raw = pd.read_parquet(out / "records.parquet")["raw"]
        if kind in ("choice", "logit-bias"):
            assert set(raw) <= set(LABELS)
        else:
            assert all(json.loads(r)["verdict"] in LABELS for r in raw)


def test_openai_refuses_the_fields_it_does_not_know(sim_server: Any) -> None:
    import urllib.error
    import urllib.request

    srv = sim_server("--constraints", "openai")
    body = {
        "model": "sim",
        "messages": [{"role": "user", "content": "x"}],
        **constraint_fields(Constraint("choice", "vllm", LABELS)),
    }
    req = urllib.request.Request(
        srv.base_url + "/chat/completions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 400
    message = json.loads(exc.value.read())["error"]["message"]
    assert message == "Unrecognized request argument supplied: structured_outputs"


@pytest.mark.slow
def test_listwise_and_pointwise_read_constrained_answers(tmp_path: Path) -> None:
    from test_listwise import lists_file

    from judgebias.audits.pipeline import AuditConfig, run_audit
    from judgebias.tables.pairs import bundled_pairs_path

    single = run_audit(
        AuditConfig(
            judge=MESSY,
            data=str(bundled_pairs_path()),
            format="single",
            probes=["length"],
            constrain="json",
            limit=30,
            out=str(tmp_path / "single"),
            quiet=True,
            write_report=False,
            max_invalid=1.0,
        )
    )
    assert single.summary["run"]["constrain"] == "json"
    assert single.summary["invalid"]["share"] == 0.0
    assert all(set(json.loads(r)) == {"rating"} for r in single.records["raw"])
    listwise = run_audit(
        AuditConfig(
            judge=MESSY,
            data=str(lists_file(tmp_path, 40, 4)),
            candidates=4,
            constrain="json",
            out=str(tmp_path / "list"),
            quiet=True,
            write_report=False,
            max_invalid=1.0,
        )
    )
    assert listwise.summary["run"]["constrain"] == "json"
    assert listwise.summary["invalid"]["share"] == 0.0
    assert {json.loads(r)["verdict"] for r in listwise.records["raw"]} <= set("ABCD")
