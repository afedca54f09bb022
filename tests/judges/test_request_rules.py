"""Reasoning judges without a server: the request body rules, reading reasoning out of a
completion, the store format, billing, and the sim's reasoning keys."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from judgebias.engine.runner import billed_completion_tokens
from judgebias.errors import BadResponseError, SpecError, UsageError
from judgebias.judges.openai_compat import parse_chat_completion
from judgebias.judges.request_rules import (
    REASONING_BUDGET,
    check_options,
    default_max_tokens,
    request_body,
    rules_for,
)
from judgebias.judges.simulated import SimParams, parse_sim_params, simulate
from judgebias.probes.catalog import builtin_probes
from judgebias.stats.reasoning import cue_words, mentions
from judgebias.types import ChatRequest, Completion

MSGS = (("system", "Judge fairly."), ("user", "Which is better?"))


def _req(model: str, **kw: object) -> ChatRequest:
    return ChatRequest(model=model, messages=MSGS, temperature=0.0, max_tokens=512, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "model",
    ["o1", "o3-mini", "o3-mini-2025-01-31", "o4-mini", "gpt-5", "gpt-5-mini", "openai/o3-mini"],
)
def test_openai_reasoning_models_get_their_own_parameters(model: str) -> None:
    body = request_body(_req(model, reasoning_effort="low"))
    assert "max_tokens" not in body and body["max_completion_tokens"] == 512
    assert "temperature" not in body
    assert body["reasoning_effort"] == "low"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


@pytest.mark.parametrize(
    "model", ["gpt-4o-mini", "gpt-5-chat-latest", "Qwen/Qwen3-8B", "deepseek-r1:7b", "sim"]
)
def test_other_models_are_sent_as_before(model: str) -> None:
    body = request_body(_req(model))
    assert body == {
        "model": model,
        "messages": [
            {"role": "system", "content": "Judge fairly."},
            {"role": "user", "content": "Which is better?"},
        ],
        "temperature": 0.0,
        "max_tokens": 512,
    }
    assert not rules_for(model).reasoning


def test_effort_goes_to_any_model_that_may_take_it_but_never_to_openai_chat_models() -> None:
    assert request_body(_req("qwen3:8b", reasoning_effort="high"))["reasoning_effort"] == "high"
    assert "reasoning_effort" not in request_body(_req("gpt-4o", reasoning_effort="high"))


def test_o1_mini_gets_no_system_message_and_no_effort() -> None:
    body = request_body(_req("o1-mini", reasoning_effort="high"))
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert body["messages"][0]["content"] == "Judge fairly.\n\nWhich is better?"
    assert "reasoning_effort" not in body and "temperature" not in body


def test_logprobs_are_never_asked_of_a_reasoning_model() -> None:
    req = ChatRequest(model="o3", messages=MSGS, logprobs=True, top_logprobs=5)
    assert "logprobs" not in request_body(req)


def test_keys_of_requests_without_an_effort_are_unchanged() -> None:
    req = _req("gpt-4o-mini")
    legacy = {
        "model": "gpt-4o-mini",
        "messages": [{"role": r, "content": c} for r, c in MSGS],
        "temperature": 0.0,
        "max_tokens": 512,
        "logprobs": False,
        "top_logprobs": None,
        "seed": None,
        "sample": 0,
    }
    text = json.dumps(legacy, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert req.key() == hashlib.sha256(text.encode()).hexdigest()
    with_effort = _req("gpt-4o-mini", reasoning_effort="low")
    assert with_effort.key() != req.key()
    assert ChatRequest.from_dict(with_effort.as_dict()) == with_effort
    assert ChatRequest.from_dict(legacy).reasoning_effort is None


def test_budgets() -> None:
    assert default_max_tokens("gpt-4o-mini", "verdict") == 512
    assert default_max_tokens("gpt-4o-mini", "logprob") == 5
    assert default_max_tokens("o3-mini", "verdict") == REASONING_BUDGET
    assert default_max_tokens("qwen3", "score", "low") == REASONING_BUDGET
    assert default_max_tokens("qwen3", "generate") == 1024


@pytest.mark.parametrize(
    ("model", "mode", "effort", "tokens", "flag"),
    [
        ("o3-mini", "logprob", None, None, "--mode logprob"),
        ("qwen3", "logprob", "low", None, "--mode logprob"),
        ("gpt-4o-mini", "verdict", "low", None, "--reasoning-effort"),
        ("o1-mini", "verdict", "high", None, "--reasoning-effort"),
        ("o3-mini", "verdict", "extreme", None, "--reasoning-effort"),
        ("o3-mini", "verdict", None, 0, "--max-tokens"),
    ],
)
def test_options_the_provider_would_refuse_stop_before_sending(
    model: str, mode: str, effort: str | None, tokens: int | None, flag: str
) -> None:
    with pytest.raises(UsageError, match=flag):
        check_options(model, mode, effort, tokens)


def _completion(message: dict[str, object], **usage: object) -> Completion:
    return parse_chat_completion(
        {
            "model": "m",
            "choices": [{"message": message, "finish_reason": usage.pop("finish", "stop")}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 50, **usage},
        }
    )


@pytest.mark.parametrize(
    ("content", "reasoning", "answer"),
    [
        (
            "<think>\nA looks right. [[A]]\n</think>\n\nB is better.\n[[B]]",
            "A looks right. [[A]]",
            "B is better.\n[[B]]",
        ),
        ("  <thinking>hmm</thinking>[[A]]", "hmm", "[[A]]"),
        (
            "<think>\nI start with [[A]] and then the budget ends",
            "I start with [[A]] and then the budget ends",
            "",
        ),
        (
            "The template opened the tag. [[B]]?\n</think>\n[[A]]",
            "The template opened the tag. [[B]]?",
            "[[A]]",
        ),
        ("<think>\n\n</think>\n\n[[A]]", None, "[[A]]"),
        ("Plain answer [[A]]", None, "Plain answer [[A]]"),
    ],
)
def test_inline_reasoning_is_split_from_the_answer(
    content: str, reasoning: str | None, answer: str
) -> None:
    c = _completion({"role": "assistant", "content": content})
    assert (c.reasoning, c.text) == (reasoning, answer)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "thinking"])
def test_reasoning_fields_are_kept_apart(field: str) -> None:
    c = _completion({"content": "[[B]]", field: "First [[A]]? No."})
    assert c.text == "[[B]]" and c.reasoning == "First [[A]]? No."


def test_an_empty_answer_after_reasoning_is_an_answer_not_a_malformed_body() -> None:
    cut = _completion(
        {"content": None, "reasoning_content": "long thoughts"},
        finish="length",
        completion_tokens_details={"reasoning_tokens": 50},
    )
    assert cut.text == "" and cut.finish_reason == "length" and cut.reasoning_tokens == 50
    hidden = _completion(
        {"content": ""}, finish="length", completion_tokens_details={"reasoning_tokens": 50}
    )
    assert hidden.text == "" and hidden.reasoning is None and hidden.reasoning_tokens == 50
    with pytest.raises(BadResponseError):
        _completion({"content": None})  # no reasoning, not cut: a broken body
    with pytest.raises(BadResponseError):
        parse_chat_completion({"choices": []})


def test_completions_round_trip_through_the_store_format_and_old_stores_still_read() -> None:
    c = Completion(text="[[A]]", completion_tokens=40, reasoning="why", reasoning_tokens=35)
    assert Completion.from_dict(json.loads(json.dumps(c.as_dict()))) == c
    plain = Completion(text="[[A]]")
    assert "reasoning" not in plain.as_dict() and "reasoning_tokens" not in plain.as_dict()
    old = Completion.from_dict({"text": "[[B]]", "completion_tokens": 3})
    assert old.reasoning is None and old.reasoning_tokens is None


def test_reasoning_tokens_are_billed_as_completion_tokens() -> None:
    # OpenAI: completion_tokens already includes the reasoning
    assert (
        billed_completion_tokens(Completion(text="", completion_tokens=900, reasoning_tokens=880))
        == 900
    )
    # a provider that counts them apart
    assert (
        billed_completion_tokens(Completion(text="", completion_tokens=20, reasoning_tokens=880))
        == 900
    )
    assert billed_completion_tokens(Completion(text="", completion_tokens=20)) == 20


def test_sim_reasoning_keys_are_checked_and_default_specs_unchanged() -> None:
    p = parse_sim_params("bandwagon=0.3,reasoning=inline,think_tokens=100,effort_bias=0.5")
    assert (p.reasoning, p.think_tokens, p.effort_bias) == ("inline", 100, 0.5)
    assert p.spec().endswith(",seed=0,reasoning=inline,think_tokens=100,effort_bias=0.5")
    default = SimParams().spec()
    assert not any(k in default for k in ("reasoning", "think_tokens", "effort_bias"))
    assert default == SimParams(reasoning="none", think_tokens=300, effort_bias=0.0).spec()
    for bad in ("reasoning=loud", "think_tokens=-1", "think_tokens=2.5", "effort_bias=1.5"):
        with pytest.raises(SpecError, match=bad.split("=")[0]):
            parse_sim_params(bad)


def test_sim_reasoning_uses_the_budget_and_never_changes_the_verdict() -> None:
    from judgebias.prompts.templates import default_template, render
    from judgebias.types import Variant

    v = Variant("p", "control", "control", "Name a colour.", "Blue.", "A car.")
    msgs = render(default_template(), v, "ab")
    plain = simulate(ChatRequest(model="sim", messages=msgs, max_tokens=512), parse_sim_params(""))
    thinking = parse_sim_params("reasoning=reasoning_content,think_tokens=200")
    full = simulate(ChatRequest(model="sim", messages=msgs, max_tokens=5000), thinking)
    assert full.text == plain.text and full.reasoning and "[[" in full.reasoning
    assert full.completion_tokens == full.reasoning_tokens + plain.completion_tokens  # type: ignore[operator]
    cut = simulate(ChatRequest(model="sim", messages=msgs, max_tokens=40), thinking)
    assert cut.text == "" and cut.finish_reason == "length" and cut.completion_tokens == 40
    high = simulate(
        ChatRequest(model="sim", messages=msgs, max_tokens=5000, reasoning_effort="high"), thinking
    )
    low = simulate(
        ChatRequest(model="sim", messages=msgs, max_tokens=5000, reasoning_effort="low"), thinking
    )
    assert low.reasoning_tokens < full.reasoning_tokens < high.reasoning_tokens  # type: ignore[operator]


def test_cue_words_are_the_cues_own_words_and_not_the_placebos() -> None:
    probes = builtin_probes()
    bandwagon = cue_words(probes["bandwagon"])
    assert {"panel", "reviewers", "annotators"} <= bandwagon
    assert "collected" not in bandwagon and "response" not in bandwagon  # placebo / common
    assert {"lindqvist", "journal"} <= cue_words(probes["authority"])
    found = mentions(
        pd.Series(["A panel of experts liked B.", "B reads well.", None]), bandwagon
    ).tolist()
    assert found == [True, False, None]
