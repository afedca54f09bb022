"""CSV files read by pyarrow give the frame the row reader gives, and files with a problem
still go to the row reader, which names the row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from judgebias.errors import InputError
from judgebias.tables.csv_arrow import read_csv_columns
from judgebias.tables.pairs import read_table
from judgebias.tables.tablefile import infer_text_column, read_source

TRICKY = (
    "id, text ,flag,code,score,mixed,empty,big\n"
    '1,"hello, world",true,007,1.5,a,,12345678901234\n'
    '2,"two\nlines",FALSE,010,,3,,-4\n'
    ",,,,,,,\n"
    '3,"say ""hi""",true,,2e3,x, ,7\n'
    "\n"
    "4,  padded  ,false,12,-0.25,,,8\n"
)


def row_reader_frame(path: Path) -> pd.DataFrame:
    """What read_table gave before the columnar path: records, then each column typed."""
    table = read_source(path)
    assert table.arrow is None
    df = pd.DataFrame.from_records(table.records, columns=table.columns)
    return pd.DataFrame({c: infer_text_column(df[c]) for c in df.columns})


@pytest.mark.parametrize("name,sep", [("t.csv", ","), ("t.tsv", "\t")])
def test_columnar_frame_equals_row_reader(tmp_path: Path, name: str, sep: str) -> None:
    path = tmp_path / name
    # TSV: the same cells, the quoted comma staying a comma inside its field
    text = (
        TRICKY if sep == "," else TRICKY.replace(",", "\t").replace("hello\t world", "hello, world")
    )
    path.write_text(text, encoding="utf-8")
    assert read_source(path, columnar=True).arrow is not None
    fast = read_table(path)
    pd.testing.assert_frame_equal(fast, row_reader_frame(path), check_exact=True)
    assert len(fast) == 4  # the blank rows are dropped, as spreadsheets' blank rows are
    assert fast["flag"].tolist() == [True, False, True, False]
    assert fast["code"].tolist()[:2] == ["007", "010"]  # identifiers stay text
    assert fast["text"].tolist()[1] == "two\nlines"
    assert fast["empty"].tolist() == [None, None, " ", None]


def test_columnar_numbers_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("a,b,c,d,e\n1,true,,4,1\n2,,x,,\n3,false,,06.5,2.5\n", encoding="utf-8")
    fast = read_table(path)
    pd.testing.assert_frame_equal(fast, row_reader_frame(path), check_exact=True)
    assert fast["a"].dtype == "int64"
    assert fast["b"].tolist() == [True, None, False]
    assert fast["d"].dtype == object  # 06.5: a leading zero keeps the column text
    assert fast["e"].dtype == "float64" and fast["e"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    "text,needle",
    [
        ('x,y\n"ab"c,1\n', "row 2"),  # a stray quote: pyarrow would read 'abc'
        ("x,y\n1,2,3\n", "ragged row"),
        ("x,x\n1,2\n", "appears twice"),
        ('x,y\n"open,2\n', "never closed"),
    ],
)
def test_problem_files_still_name_the_row(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    assert read_csv_columns(text, ",") is None
    with pytest.raises(InputError, match=needle):
        read_table(path)


def test_trailing_empty_cells_and_leading_blank_rows_take_the_row_reader(tmp_path: Path) -> None:
    for text, xs in (("x,y\n1,2,\n3,4\n", [1, 3]), ("\n,\nx,y\n1,2\n", [1])):
        assert read_csv_columns(text, ",") is None
        path = tmp_path / "r.csv"
        path.write_text(text, encoding="utf-8")
        assert read_table(path)["x"].tolist() == xs
