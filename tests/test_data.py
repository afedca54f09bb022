"""Tests for judgebias.tables.pairs: every bad input gives one clear InputError/UsageError."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from judgebias.errors import InputError, UsageError
from judgebias.tables.pairs import (
    bundled_pairs_path,
    frame_to_pairs,
    load_pairs,
    pairs_to_frame,
    parse_mapping,
    read_table,
)
from judgebias.types import Pair


def rec(i: Any = 1, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": i,
        "instruction": f"question {i}",
        "response_a": f"answer A{i}",
        "response_b": f"answer B{i}",
    }
    base.update(kw)
    return base


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def at(name: str, where: str, phrase: str) -> str:
    """A ``match=`` pattern: file name, then ``, line N`` / ``, row N``, then a phrase."""
    loc = f", {where}" if where else ""
    return re.escape(f"{name}{loc}: ") + ".*" + re.escape(phrase)


def one_line(e: pytest.ExceptionInfo[BaseException]) -> None:
    assert "\n" not in str(e.value)


# --------------------------------------------------------------------------- happy paths


def test_jsonl_basic(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(1, gold="a", model_a="m1", extra=3), rec(2)])
    pairs = load_pairs(p)
    assert pairs == [
        Pair("1", "question 1", "answer A1", "answer B1", gold="a", model_a="m1"),
        Pair("2", "question 2", "answer A2", "answer B2"),
    ]


def test_jsonl_blank_lines_bom_crlf_and_ndjson(tmp_path: Path) -> None:
    body = "\r\n".join(json.dumps(r) for r in [rec(1), rec(2)])
    p = tmp_path / "p.ndjson"
    p.write_bytes(b"\xef\xbb\xbf" + ("\n" + body + "\r\n\n").encode())
    assert [x.id for x in load_pairs(p)] == ["1", "2"]


def test_json_list(tmp_path: Path) -> None:
    p = tmp_path / "p.json"
    p.write_text(json.dumps([rec(1), rec(2)], indent=2))
    assert [x.id for x in load_pairs(p)] == ["1", "2"]


def test_json_file_holding_json_lines(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "p.json", [rec(1), rec(2)])
    assert len(load_pairs(p)) == 2


def test_csv_and_tsv(tmp_path: Path) -> None:
    df = pd.DataFrame([rec("007", gold="B"), rec(2, gold="")])
    csv_path = tmp_path / "p.csv"
    df.to_csv(csv_path, index=False)
    tsv_path = tmp_path / "p.tsv"
    df.to_csv(tsv_path, index=False, sep="\t")
    for p in (csv_path, tsv_path):
        pairs = load_pairs(p)
        assert [x.id for x in pairs] == ["007", "2"]  # CSV ids stay text: leading zeros kept
        assert [x.gold for x in pairs] == ["b", None]


def test_csv_multiline_cell_and_index_column(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    pd.DataFrame([rec(1, response_a="line one\nline two, with comma"), rec(2)]).to_csv(p)
    pairs = load_pairs(p)
    assert pairs[0].response_a == "line one\nline two, with comma"


def test_parquet(tmp_path: Path) -> None:
    p = tmp_path / "p.parquet"
    pd.DataFrame([rec(1, gold="tie", model_b="m2"), rec(2)]).to_parquet(p)
    pairs = load_pairs(p)
    assert pairs[0] == Pair("1", "question 1", "answer A1", "answer B1", "tie", None, "m2")
    assert pairs[1].gold is None


@pytest.mark.parametrize("suffix", ["jsonl", "json", "csv", "tsv", "parquet"])
def test_gzip_every_format(tmp_path: Path, suffix: str) -> None:
    plain = tmp_path / f"p.{suffix}"
    df = pd.DataFrame([rec(1), rec(2)])
    if suffix == "parquet":
        df.to_parquet(plain)
    elif suffix in ("csv", "tsv"):
        df.to_csv(plain, index=False, sep="\t" if suffix == "tsv" else ",")
    else:
        write_jsonl(plain, [rec(1), rec(2)])
    gz = tmp_path / f"p.{suffix}.GZ"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_pairs(gz) == load_pairs(plain)
    assert len(load_pairs(gz)) == 2


def test_map_renames_columns(tmp_path: Path) -> None:
    rows = [
        {"qid": 1, "prompt": "q", "output_1": "x", "output_2": "y", "instruction": "ignored"},
    ]
    p = write_jsonl(tmp_path / "p.jsonl", rows)
    mapping = parse_mapping("id=qid, instruction=prompt,response_a=output_1,response_b=output_2")
    assert load_pairs(p, mapping=mapping) == [Pair("1", "q", "x", "y")]


def test_map_swaps_columns(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(1)])
    swapped = load_pairs(p, mapping={"response_a": "response_b", "response_b": "response_a"})
    assert (swapped[0].response_a, swapped[0].response_b) == ("answer B1", "answer A1")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("a", "a"),
        ("A", "a"),
        (" b ", "b"),
        ("B", "b"),
        ("1", "a"),
        ("2", "b"),
        (1, "a"),
        (2, "b"),
        ("tie", "tie"),
        ("TIE", "tie"),
        ("Tie", "tie"),
        ("", None),
        (None, None),
    ],
)
def test_gold_normalisation(tmp_path: Path, raw: Any, want: str | None) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(1, gold=raw)])
    assert load_pairs(p)[0].gold == want


def test_int_ids_become_strings(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(10), rec("x")])
    assert [x.id for x in load_pairs(p)] == ["10", "x"]


def test_limit_keeps_first_n_and_stops_reading(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(i) for i in range(1, 6)])
    with p.open("a") as f:
        f.write("{broken\n")  # beyond the limit: never parsed
    assert [x.id for x in load_pairs(p, limit=3)] == ["1", "2", "3"]
    c = tmp_path / "p.csv"
    pd.DataFrame([rec(i) for i in range(1, 6)]).to_csv(c, index=False)
    assert [x.id for x in load_pairs(c, limit=2)] == ["1", "2"]
    q = tmp_path / "p.parquet"
    pd.DataFrame([rec(i) for i in range(1, 6)]).to_parquet(q)
    assert [x.id for x in load_pairs(q, limit=4)] == ["1", "2", "3", "4"]


def test_frame_round_trip() -> None:
    pairs = [
        Pair("1", "q1", "a1", "b1", gold="a", model_a="m1", model_b="m2"),
        Pair("2", "q2", "a2", "b2"),
    ]
    df = pairs_to_frame(pairs)
    assert list(df.columns) == [
        "id",
        "instruction",
        "response_a",
        "response_b",
        "gold",
        "model_a",
        "model_b",
    ]
    assert frame_to_pairs(df) == pairs


def test_frame_with_nan_and_numpy_ints() -> None:
    df = pd.DataFrame([rec(1, gold=1.0), rec(2, gold=float("nan"))])
    pairs = frame_to_pairs(df)
    assert [(x.id, x.gold) for x in pairs] == [("1", "a"), ("2", None)]


def test_read_table_formats_and_types(tmp_path: Path) -> None:
    c = tmp_path / "j.csv"
    c.write_text("pair_id,score,ok,note\n007,0.5,true,\n008,2,False,x\n")
    df = read_table(c, mapping={"id": "pair_id"})
    assert list(df.columns) == ["id", "score", "ok", "note"]
    assert list(df["id"]) == ["007", "008"]
    assert list(df["score"]) == [0.5, 2.0]
    assert list(df["ok"]) == [True, False]
    assert pd.isna(df["note"][0])
    j = write_jsonl(tmp_path / "j.jsonl", [{"a": 1}, {"a": 2, "b": "x"}])
    dj = read_table(j)
    assert list(dj.columns) == ["a", "b"]
    assert pd.isna(dj["b"][0])
    q = tmp_path / "j.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(q)
    assert read_table(q)["a"].tolist() == [1, 2]


def test_bundled_pairs_path() -> None:
    p = bundled_pairs_path()
    assert p.name == "demo_pairs.jsonl" and p.is_file()
    assert (p.parent / "position.yaml").is_file()  # one home for bundled data: probes/


# --------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=at("nope.jsonl", "", "file not found")) as e:
        load_pairs(tmp_path / "nope.jsonl")
    one_line(e)


def test_missing_file_suggests_close_name(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "pairs.jsonl", [rec(1)])
    with pytest.raises(
        InputError, match=r"pair\.jsonl: file not found.*did you mean .*pairs\.jsonl"
    ):
        load_pairs(tmp_path / "pair.jsonl")


def test_directory(tmp_path: Path) -> None:
    d = tmp_path / "dir.jsonl"
    d.mkdir()
    with pytest.raises(InputError, match=at("dir.jsonl", "", "is a directory")):
        load_pairs(d)


@pytest.mark.parametrize("suffix", ["jsonl", "json", "csv"])
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"e.{suffix}"
    p.write_bytes(b"")
    with pytest.raises(InputError, match=at(p.name, "", "file is empty")):
        load_pairs(p)


def test_only_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text("\n  \n\t\n")
    with pytest.raises(InputError, match=at("b.jsonl", "", "only blank lines")):
        load_pairs(p)


def test_empty_parquet(tmp_path: Path) -> None:
    p = tmp_path / "e.parquet"
    pd.DataFrame({c: pd.Series([], dtype=str) for c in rec()}).to_parquet(p)
    with pytest.raises(InputError, match=at("e.parquet", "", "has no rows")):
        load_pairs(p)


def test_csv_header_only(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text("id,instruction,response_a,response_b\n")
    with pytest.raises(InputError, match=at("h.csv", "row 1", "no data rows")):
        load_pairs(p)


def test_undecodable_bytes(tmp_path: Path) -> None:
    p = tmp_path / "u.jsonl"
    good = (json.dumps(rec(1)) + "\n").encode()
    p.write_bytes(good + b'{"id": "\xff"}\n')
    offset = len(good) + len('{"id": "')
    with pytest.raises(
        InputError,
        match=at("u.jsonl", "line 2", f"not valid UTF-8: byte 0xff at byte offset {offset}"),
    ):
        load_pairs(p)


def test_undecodable_csv_uses_physical_line(tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_bytes(b"id,instruction,response_a,response_b\n1,caf\xe9,a,b\n")
    with pytest.raises(InputError, match=at("u.csv", "line 2", "not valid UTF-8")):
        load_pairs(p)


def test_utf16_file(tmp_path: Path) -> None:
    p = tmp_path / "w.csv"
    p.write_bytes("id,instruction\n".encode("utf-16"))
    with pytest.raises(InputError, match=at("w.csv", "line 1", "UTF-16")):
        load_pairs(p)


def test_broken_json_line(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text(json.dumps(rec(1)) + "\n\n" + '{"id": 2, "instruction": }\n')
    with pytest.raises(
        InputError, match=at("b.jsonl", "line 3", "invalid JSON: Expecting value")
    ) as e:
        load_pairs(p)
    one_line(e)


def test_pretty_printed_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "pp.jsonl"
    p.write_text(json.dumps(rec(1), indent=2))
    with pytest.raises(InputError, match=at("pp.jsonl", "line 1", "one line")):
        load_pairs(p)


def test_json_line_not_an_object(tmp_path: Path) -> None:
    p = tmp_path / "n.jsonl"
    p.write_text(json.dumps(rec(1)) + "\n" + '"just a string"\n')
    with pytest.raises(InputError, match=at("n.jsonl", "line 2", "expected a JSON object")):
        load_pairs(p)


def test_jsonl_holding_a_json_list(tmp_path: Path) -> None:
    p = tmp_path / "l.jsonl"
    p.write_text(json.dumps([rec(1)]) + "\n")
    with pytest.raises(InputError, match=at("l.jsonl", "line 1", "rename it to l.json")):
        load_pairs(p)


def test_json_list_element_not_an_object(tmp_path: Path) -> None:
    p = tmp_path / "l.json"
    p.write_text("[\n" + json.dumps(rec(1)) + ",\n  42\n]\n")
    with pytest.raises(InputError, match=at("l.json", "line 3", "element 2 of the JSON list")):
        load_pairs(p)


def test_json_list_broken(tmp_path: Path) -> None:
    p = tmp_path / "l.json"
    p.write_text("[\n" + json.dumps(rec(1)) + ",\n" + json.dumps(rec(2)) + "\n")
    with pytest.raises(InputError, match=at("l.json", "line 3", "missing ']'")):
        load_pairs(p)


def test_json_single_object(tmp_path: Path) -> None:
    p = tmp_path / "o.json"
    p.write_text(json.dumps({"data": [rec(1)]}, indent=2))
    with pytest.raises(InputError, match=at("o.json", "line 1", "single JSON object")):
        load_pairs(p)


def test_unsupported_extension(tmp_path: Path) -> None:
    p = tmp_path / "p.txt"
    p.write_text("hello")
    with pytest.raises(
        InputError, match=at("p.txt", "", "unsupported file format '.txt'; supported: .jsonl")
    ):
        load_pairs(p)


def test_no_extension(tmp_path: Path) -> None:
    p = tmp_path / "pairs"
    p.write_text("hello")
    with pytest.raises(InputError, match=at("pairs", "", "unknown file format (no extension)")):
        load_pairs(p)


def test_missing_required_field_suggests_map(tmp_path: Path) -> None:
    rows = [{"id": 1, "prompt": "q", "response_a": "x", "response_b": "y"}]
    p = write_jsonl(tmp_path / "m.jsonl", rows)
    with pytest.raises(
        InputError, match=at("m.jsonl", "line 1", "missing required field 'instruction'")
    ) as e:
        load_pairs(p)
    assert "fields present: id, prompt, response_a, response_b" in str(e.value)
    assert "did you mean --map instruction=prompt?" in str(e.value)


def test_missing_required_fields_csv_header(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text("ID,prompt,output_1,output_2\n1,q,x,y\n")
    with pytest.raises(InputError, match=at("m.csv", "row 1", "missing required fields 'id'")) as e:
        load_pairs(p)
    assert "--map id=ID,instruction=prompt,response_a=output_1,response_b=output_2" in str(e.value)


def test_missing_field_on_one_line(tmp_path: Path) -> None:
    bad = rec(2)
    del bad["response_b"]
    p = write_jsonl(tmp_path / "m.jsonl", [rec(1), bad])
    with pytest.raises(
        InputError, match=at("m.jsonl", "line 2", "missing required field 'response_b'")
    ):
        load_pairs(p)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (42, "field 'response_a' must be a string, found number (42)"),
        (["x"], "field 'response_a' must be a string, found array"),
        ({"t": 1}, "field 'response_a' must be a string, found object"),
        (True, "field 'response_a' must be a string, found boolean"),
        (None, "field 'response_a' is null"),
        ("", "field 'response_a' is empty"),
        ("  \n", "field 'response_a' is empty"),
    ],
)
def test_mistyped_response(tmp_path: Path, value: Any, phrase: str) -> None:
    p = write_jsonl(tmp_path / "t.jsonl", [rec(1), rec(2), rec(3, response_a=value)])
    with pytest.raises(InputError, match=at("t.jsonl", "line 3", phrase)):
        load_pairs(p)


def test_empty_response_in_csv(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("id,instruction,response_a,response_b\n1,q,a,b\n2,q,,b\n")
    with pytest.raises(InputError, match=at("t.csv", "row 3", "field 'response_a' is empty")):
        load_pairs(p)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (None, "field 'id' is null"),
        ("", "field 'id' is empty"),
        (1.5, "field 'id' must be a string or an integer, found number (1.5)"),
        ([1], "field 'id' must be a string or an integer, found array"),
    ],
)
def test_bad_id(tmp_path: Path, value: Any, phrase: str) -> None:
    p = write_jsonl(tmp_path / "i.jsonl", [rec(value)])
    with pytest.raises(InputError, match=at("i.jsonl", "line 1", phrase)):
        load_pairs(p)


def test_bad_model_field(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "m.jsonl", [rec(1, model_b=["gpt"])])
    with pytest.raises(
        InputError, match=at("m.jsonl", "line 1", "field 'model_b' must be a string")
    ):
        load_pairs(p)


@pytest.mark.parametrize("value", ["c", "A>B", 3, True])
def test_invalid_gold(tmp_path: Path, value: Any) -> None:
    p = write_jsonl(tmp_path / "g.jsonl", [rec(1), rec(2, gold=value)])
    with pytest.raises(InputError, match=at("g.jsonl", "line 2", "invalid gold value")) as e:
        load_pairs(p)
    assert "allowed: a, b or tie" in str(e.value)


def test_duplicate_ids_jsonl(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "d.jsonl", [rec(1), rec(2), rec("1")])
    with pytest.raises(
        InputError, match=at("d.jsonl", "line 3", "duplicate id '1' (first on line 1)")
    ):
        load_pairs(p)


def test_duplicate_ids_csv_counts_rows_like_a_spreadsheet(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    # header = row 1; the quoted cell spans two lines but is one row; the blank line is row 4
    p.write_text('id,instruction,response_a,response_b\n7,q,"two\nlines",b\n8,q,a,b\n\n7,q,a,b\n')
    with pytest.raises(InputError, match=at("d.csv", "row 5", "duplicate id '7' (first on row 2)")):
        load_pairs(p)


def test_duplicate_header_column(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text("id,instruction,response_a,id\n1,q,a,b\n")
    with pytest.raises(InputError, match=at("h.csv", "row 1", "column 'id' appears twice")):
        load_pairs(p)


def test_map_names_missing_column(tmp_path: Path) -> None:
    p = write_jsonl(
        tmp_path / "m.jsonl", [{"id": 1, "prompts": "q", "response_a": "a", "response_b": "b"}]
    )
    with pytest.raises(
        InputError,
        match=at("m.jsonl", "", "--map instruction=prompt: the file has no column 'prompt'"),
    ) as e:
        load_pairs(p, mapping={"instruction": "prompt"})
    assert "did you mean instruction=prompts?" in str(e.value)


def test_map_names_missing_column_csv(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text("id,q,response_a,response_b\n1,x,a,b\n")
    with pytest.raises(InputError, match=at("m.csv", "row 1", "has no column 'prompt'")):
        read_table(p, mapping={"instruction": "prompt"})


def test_corrupt_parquet(tmp_path: Path) -> None:
    good = tmp_path / "g.parquet"
    pd.DataFrame([rec(1)]).to_parquet(good)
    p = tmp_path / "c.parquet"
    p.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(InputError, match=at("c.parquet", "", "not a valid Parquet file")) as e:
        load_pairs(p)
    one_line(e)


def test_text_named_parquet(tmp_path: Path) -> None:
    p = tmp_path / "t.parquet"
    p.write_text("id,instruction\n")
    with pytest.raises(InputError, match=at("t.parquet", "", "not a valid Parquet file")):
        read_table(p)


def test_parquet_row_numbers(tmp_path: Path) -> None:
    p = tmp_path / "r.parquet"
    pd.DataFrame([rec(1), rec(2, gold="x")]).to_parquet(p)
    with pytest.raises(InputError, match=at("r.parquet", "row 2", "invalid gold value 'x'")):
        load_pairs(p)


@pytest.mark.parametrize(
    ("line", "phrase"),
    [("2,q,a,b,extra", "ragged row: 5 fields, but the header has 4"), ("2,q,a", "3 fields")],
)
def test_ragged_csv(tmp_path: Path, line: str, phrase: str) -> None:
    p = tmp_path / "r.csv"
    p.write_text(f"id,instruction,response_a,response_b\n1,q,a,b\n{line}\n")
    with pytest.raises(InputError, match=at("r.csv", "row 3", phrase)):
        load_pairs(p)


def test_csv_trailing_empty_cells_are_tolerated(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("id,instruction,response_a,response_b\n1,q,a,b,,\n")
    assert len(load_pairs(p)) == 1


def test_csv_unclosed_quote(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text('id,instruction,response_a,response_b\n1,q,a,b\n2,"q,a,b\n3,q,a,b\n')
    with pytest.raises(InputError, match=at("q.csv", "row 3", "never closed")):
        load_pairs(p)


def test_corrupt_gzip(tmp_path: Path) -> None:
    p = tmp_path / "p.jsonl.gz"
    p.write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match=at("p.jsonl.gz", "", "not a valid gzip file")):
        load_pairs(p)


def test_gzip_without_gz_suffix(tmp_path: Path) -> None:
    p = tmp_path / "p.jsonl"
    p.write_bytes(gzip.compress(json.dumps(rec(1)).encode()))
    with pytest.raises(InputError, match=at("p.jsonl", "", "rename it to p.jsonl.gz")):
        load_pairs(p)


# --------------------------------------------------------------------------- frames and flags


def test_frame_missing_column() -> None:
    df = pd.DataFrame([{"id": 1, "prompt": "q", "response_a": "a", "response_b": "b"}])
    with pytest.raises(
        InputError, match=at("<frame>", "", "missing required field 'instruction'")
    ) as e:
        frame_to_pairs(df)
    assert "df.rename(columns={'prompt': 'instruction'})" in str(e.value)


def test_frame_bad_value_names_row() -> None:
    df = pd.DataFrame([rec(1), rec(2, response_b=None)])
    with pytest.raises(InputError, match=at("mine", "row 2", "field 'response_b' is null")):
        frame_to_pairs(df, source="mine")


def test_frame_duplicate_ids() -> None:
    df = pd.DataFrame([rec(1), rec(1)])
    with pytest.raises(
        InputError, match=at("<frame>", "row 2", "duplicate id '1' (first on row 1)")
    ):
        frame_to_pairs(df)


def test_frame_not_a_frame() -> None:
    with pytest.raises(InputError, match="expected a pandas DataFrame"):
        frame_to_pairs([rec(1)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("instruction", "is not of the form new=old"),
        ("instruction=", "both sides"),
        ("=prompt", "both sides"),
        ("", "no mapping given"),
        (" , ", "no mapping given"),
        ("instruction=a,instruction=b", "mapped twice"),
    ],
)
def test_parse_mapping_errors(text: str, phrase: str) -> None:
    with pytest.raises(UsageError, match=r"^--map: .*" + re.escape(phrase)):
        parse_mapping(text)


def test_parse_mapping_ok() -> None:
    assert parse_mapping(" instruction = prompt ,response_a=out=1,") == {
        "instruction": "prompt",
        "response_a": "out=1",
    }


def test_map_target_not_a_field_is_usage_error(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(1)])
    with pytest.raises(UsageError, match=re.escape("did you mean instruction=prompt?")):
        load_pairs(p, mapping={"prompt": "instruction"})
    with pytest.raises(UsageError, match=re.escape("did you mean instruction=q?")):
        load_pairs(p, mapping={"instrution": "q"})


@pytest.mark.parametrize("limit", [0, -1])
def test_bad_limit(tmp_path: Path, limit: int) -> None:
    p = write_jsonl(tmp_path / "p.jsonl", [rec(1)])
    with pytest.raises(UsageError, match="--limit"):
        load_pairs(p, limit=limit)


def test_read_table_empty_json_list(tmp_path: Path) -> None:
    p = tmp_path / "e.json"
    p.write_text("[ ]\n")
    with pytest.raises(InputError, match=at("e.json", "", "JSON list is empty")):
        read_table(p)
