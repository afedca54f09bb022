"""OpenAI's batch API for an ``openai:MODEL`` judge (``judgebias audit --batch``).

The runner decides what to send (deduplicated, not yet in the store, within ``--max-cost``)
and stores what comes back; this module only talks to the provider: the requests are
written as one JSONL file (the request key is each line's ``custom_id``), uploaded,
submitted as a batch and polled, and the output file is read into completions. The runner
is told the batch id as soon as the batch exists (``on_submitted``), keeps it in the store
and hands it back as ``resume_id`` on a re-run, so a run interrupted while waiting polls the
same batch again instead of paying for a second one. Works with every provider that has
OpenAI's batch endpoints (OpenAI itself; ``serve-sim`` for tests).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from judgebias.errors import BackendError, SpecError
from judgebias.judges.base import Judge
from judgebias.judges.errors import map_exception
from judgebias.judges.openai_compat import OpenAIJudge, parse_chat_completion
from judgebias.judges.request_rules import request_body
from judgebias.types import ChatRequest, Completion

__all__ = ["BatchResult", "batch_judge", "run_openai_batch"]

_DONE = ("completed", "failed", "expired", "cancelled")


@dataclass
class BatchResult:
    """What one batch gave: an answer or an error message for every request key sent."""

    batch_id: str
    status: str
    answers: dict[str, Completion] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


async def run_openai_batch(
    judge: Judge,
    todo: Mapping[str, ChatRequest],
    *,
    resume_id: str | None,
    on_submitted: Callable[[str], None],
    poll_s: float = 5.0,
    max_wait_s: float = 86400.0,
) -> BatchResult:
    """Send ``todo`` (request key -> request) as one batch, or wait for ``resume_id``."""
    openai_judge = batch_judge(judge)
    client = openai_judge.sdk_client(openai_judge.base_urls[0], max_retries=3)
    try:
        batch_id = resume_id or await _submit(client, todo)
        if resume_id is None:
            on_submitted(batch_id)
        batch = await _wait(client, batch_id, poll_s, max_wait_s)
        result = BatchResult(batch_id=batch_id, status=str(batch.status))
        if batch.output_file_id:
            content = await client.files.content(batch.output_file_id)
            for line in content.text.splitlines():
                if line.strip():
                    _read_line(json.loads(line), todo, result)
        for key in todo:
            if key not in result.answers and key not in result.failures:
                result.failures[key] = f"batch {batch_id} ended {batch.status} without an answer"
        return result
    except BackendError:
        raise
    except Exception as exc:
        raise map_exception(exc) from None
    finally:
        await client.close()


def batch_judge(judge: Judge) -> OpenAIJudge:
    """``judge`` if it can take a batch; else the one-line ``--batch`` error."""
    if not isinstance(judge, OpenAIJudge):
        raise SpecError("--batch: needs an openai:MODEL judge (OpenAI's batch API)")
    return judge


async def _submit(client: Any, todo: Mapping[str, ChatRequest]) -> str:
    lines = [
        json.dumps(
            {
                "custom_id": key,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": request_body(req),
            }
        )
        for key, req in todo.items()
    ]
    upload = await client.files.create(
        file=("judgebias-batch.jsonl", ("\n".join(lines) + "\n").encode()), purpose="batch"
    )
    batch = await client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    return str(batch.id)


async def _wait(client: Any, batch_id: str, poll_s: float, max_wait_s: float) -> Any:
    waited = 0.0
    while True:
        batch = await client.batches.retrieve(batch_id)
        if batch.status in _DONE:
            return batch
        if waited >= max_wait_s:
            raise BackendError(
                f"--batch: batch {batch_id} still {batch.status} after "
                f"{max_wait_s:g} s; re-run the same command to keep waiting"
            )
        await asyncio.sleep(poll_s)
        waited += poll_s


def _read_line(item: dict[str, Any], todo: Mapping[str, ChatRequest], out: BatchResult) -> None:
    key = item.get("custom_id")
    if not isinstance(key, str) or key not in todo:
        return
    resp = item.get("response") or {}
    if resp.get("status_code") != 200:
        out.failures[key] = f"batch line failed: {item.get('error') or resp}"
        return
    try:
        out.answers[key] = parse_chat_completion(resp.get("body"))
    except BackendError as exc:
        out.failures[key] = str(exc)
