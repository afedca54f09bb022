"""``judgebias audit --batch``: send the missing requests through a provider's batch API.

For OpenAI-compatible providers with OpenAI's batch API (OpenAI itself; ``serve-sim``
for tests): the run's missing requests are written as one JSONL file (the request key
is each line's ``custom_id``), uploaded, submitted as a batch, polled, and the output
ingested into the same store. The batch id is kept in the store's metadata before
polling starts, so a run interrupted while waiting polls the same batch again on
re-run instead of paying for a second one. Requests the batch failed are recorded as
failed and go out again on the next (batch or live) run.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from typing import Any

from .errors import BackendError, SpecError
from .judges.base import Judge, map_exception
from .judges.openai_compat import OpenAIJudge, parse_chat_completion, request_body
from .runner import RunCounts
from .store import Store
from .types import ChatRequest

__all__ = ["run_batch"]

_DONE = ("completed", "failed", "expired", "cancelled")


async def run_batch(
    requests: Sequence[ChatRequest],
    judge: Judge,
    store: Store,
    *,
    poll_s: float = 5.0,
    max_wait_s: float = 86400.0,
    label: str = "batch",
) -> RunCounts:
    """Answer every request not in ``store`` through one batch; return what was done."""
    if not isinstance(judge, OpenAIJudge):
        raise SpecError("--batch: needs an openai:MODEL judge (OpenAI's batch API)")
    from openai import AsyncOpenAI

    unique: dict[str, ChatRequest] = {}
    for r in requests:
        unique.setdefault(r.key(), r)
    have = store.ok_keys()
    todo = {k: r for k, r in unique.items() if k not in have}
    counts = RunCounts(total=len(unique), cached=len(unique) - len(todo))
    if not todo:
        return counts
    meta_key = f"batch:{label}"
    client = AsyncOpenAI(
        base_url=judge.base_urls[0],
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        max_retries=3,
        timeout=judge.timeout,
    )
    try:
        pending = store.get_meta(meta_key)
        if pending and set(pending["keys"]) == set(todo):
            batch_id = pending["batch_id"]
        else:
            lines = [
                json.dumps(
                    {
                        "custom_id": k,
                        "method": "POST",
                        "url": "/v1/chat/completions",
                        "body": request_body(r),
                    }
                )
                for k, r in todo.items()
            ]
            upload = await client.files.create(
                file=("judgebias-batch.jsonl", ("\n".join(lines) + "\n").encode()), purpose="batch"
            )
            batch = await client.batches.create(
                input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
            batch_id = batch.id
            store.set_meta(meta_key, {"batch_id": batch_id, "keys": sorted(todo)})
        waited = 0.0
        while True:
            batch = await client.batches.retrieve(batch_id)
            if batch.status in _DONE:
                break
            if waited >= max_wait_s:
                raise BackendError(
                    f"--batch: batch {batch_id} still {batch.status} after "
                    f"{max_wait_s:g} s; re-run the same command to keep waiting"
                )
            await asyncio.sleep(poll_s)
            waited += poll_s
        answered: set[str] = set()
        if batch.output_file_id:
            content = await client.files.content(batch.output_file_id)
            for line in content.text.splitlines():
                if not line.strip():
                    continue
                answered |= _ingest(json.loads(line), todo, store, judge.spec, counts)
        for k in set(todo) - answered:
            store.put_failed(
                todo[k],
                f"batch {batch_id} ended {batch.status} without an answer",
                attempts=1,
                judge=judge.spec,
            )
            counts.failed += 1
        store.set_meta(meta_key, None)
    except BackendError:
        raise
    except Exception as exc:
        raise map_exception(exc) from None
    finally:
        await client.close()
    return counts


def _ingest(
    item: dict[str, Any], todo: dict[str, ChatRequest], store: Store, spec: str, counts: RunCounts
) -> set[str]:
    key = item.get("custom_id")
    if key not in todo:
        return set()
    resp = item.get("response") or {}
    if resp.get("status_code") != 200:
        store.put_failed(
            todo[key], f"batch line failed: {item.get('error') or resp}", attempts=1, judge=spec
        )
        counts.failed += 1
        return {key}
    try:
        comp = parse_chat_completion(resp.get("body"))
    except BackendError as exc:
        store.put_failed(todo[key], str(exc), attempts=1, judge=spec)
        counts.failed += 1
        return {key}
    store.put_ok(todo[key], comp, attempts=1, latency_s=0.0, judge=spec)
    counts.sent += 1
    counts.attempts += 1
    return {key}
