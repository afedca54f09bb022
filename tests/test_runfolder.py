"""One reader and writer of run folders: what is written reads back, the store is read read-only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from judgebias.engine.store import Store, read_requests
from judgebias.errors import InputError
from judgebias.report.compare import read_run_folder
from judgebias.tables.runfolder import (
    merge_stores,
    read_records,
    read_run,
    stored_messages,
    write_run_files,
)
from judgebias.types import ChatRequest, Completion


def records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pair_id": ["p1", "p1"],
            "probe": ["position", "position"],
            "kind": ["control", "control"],
            "order": ["ab", "ba"],
            "verdict": ["a", "b"],
        }
    )


def test_written_run_reads_back(tmp_path: Path) -> None:
    summary = {"judge": "sim", "probes": {"position": {"effect": 0.1}}}
    pairs = pd.DataFrame({"id": ["p1"], "instruction": ["q"]})
    write_run_files(tmp_path, summary, records(), pairs)
    run = read_run(tmp_path, label="x")
    assert run.summary == summary and run.label == "x"
    assert run.records["verdict"].tolist() == ["a", "b"]
    assert run.records["raw"].isna().all()  # optional columns are added, empty
    assert run.pairs["id"].tolist() == ["p1"]
    assert read_records(tmp_path)["order"].tolist() == ["ab", "ba"]
    same = read_run_folder(tmp_path)  # compare reads the same Run
    assert same.label == tmp_path.name and same.records.equals(run.records)


def test_missing_summary_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"summary\.json: missing"):
        read_run(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        read_run(tmp_path / "nope")


def test_stored_messages_through_the_store(tmp_path: Path) -> None:
    req = ChatRequest(model="m", messages=(("system", "be fair"), ("user", "A or B?")))
    with Store(tmp_path / "store.sqlite") as st:
        st.put_ok(req, Completion(text="[[A]]"), attempts=1, latency_s=0.0, judge="m")
    got = stored_messages(tmp_path / "store.sqlite", [req.key(), "unknown"])
    assert got == {req.key(): [("system", "be fair"), ("user", "A or B?")]}
    assert read_requests(tmp_path / "store.sqlite", [req.key()])[req.key()]["model"] == "m"
    assert stored_messages(tmp_path / "absent.sqlite", [req.key()]) == {}
    assert not (tmp_path / "absent.sqlite").exists()  # a reader never creates a store


def test_csv_records_as_text_or_typed(tmp_path: Path) -> None:
    summary = {"judge": "sim", "probes": {}}
    write_run_files(tmp_path, summary, records(), pd.DataFrame({"id": ["p1"]}))
    (tmp_path / "records.parquet").unlink()
    records().assign(p_first=[0.25, 0.75]).to_csv(tmp_path / "records.csv", index=False)
    assert read_run(tmp_path).records["p_first"].tolist() == ["0.25", "0.75"]  # the report
    typed = read_run_folder(tmp_path).records["p_first"]  # compare computes with it
    assert typed.tolist() == [0.25, 0.75]


def test_merge_stores_copies_each_answer_once_and_names_a_missing_store(tmp_path: Path) -> None:
    def ask(i: int) -> ChatRequest:
        return ChatRequest(model="m", messages=(("user", f"question {i}"),))

    for name, ids in (("s1", (0, 1, 2)), ("s2", (2, 3))):
        (tmp_path / name).mkdir()
        with Store(tmp_path / name / "store.sqlite") as st:
            for i in ids:
                st.put_ok(ask(i), Completion(text=f"a{i}"), attempts=1, latency_s=0.0, judge="j")
    merged = merge_stores(
        [tmp_path / "s1", str(tmp_path / "s2" / "store.sqlite")], tmp_path / "full"
    )
    assert merged.target == tmp_path / "full" / "store.sqlite"
    assert (merged.added, merged.total, len(merged.sources)) == (4, 4, 2)
    again = merge_stores([tmp_path / "s1", tmp_path / "full"], tmp_path / "full")
    assert (again.added, again.total) == (0, 4)  # the target itself is skipped, nothing twice
    with Store(merged.target) as st:
        assert st.ok_keys() == {ask(i).key() for i in range(4)}
    with pytest.raises(InputError) as info:
        merge_stores([tmp_path / "s1", tmp_path / "nowhere"], tmp_path / "x")
    assert str(info.value).startswith(f"{tmp_path / 'nowhere'}: no judgebias store there")
    assert not (tmp_path / "x").exists()
