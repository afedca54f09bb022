"""Audit verdicts a judge has already given: no new judge call is made.

:func:`analyze` takes a table of recorded pairwise verdicts and returns, per
group (judge, prompting strategy, subset, ...), the position-bias, accuracy and
length-preference figures of :mod:`judgebias.stats.position` with 95 %
intervals; :func:`run_analyze` (``judgebias analyze``) writes them to
``DIR/summary.csv``, ``DIR/summary.json`` and a self-contained ``DIR/report.html``.
In a notebook it is ``jb.analyze(df, first=..., second=..., gold=...)``.

The parts: :mod:`.columns` (column names and helpers), :mod:`.prepare` (the
one-row-per-pair frame), :mod:`.result` (:func:`analyze` and its result) and
:mod:`.outputs` (the files). Their public names are importable from here.

Layouts
-------
* **Wide** (one row per pair): ``first`` is the column holding the verdict when
  answer 1 (``a``) was shown first, ``second`` the verdict when the order was
  swapped, *already mapped back* to the pair's own labels. A column spec may
  list fallbacks, ``"COL1|COL2"``: the first non-empty value, left to right (the
  LLMBar ``Swap`` strategies keep the judge's synthesis only where its two
  original verdicts disagreed: ``synth_noswap|winner_noswap``).
* **Long** (one row per judge call): ``order`` names the column that tells the
  order shown, ``verdict`` the verdict column (in the pair's own labels) and
  ``pair`` the columns that identify a pair. ``order_values`` gives the two
  values of ``order`` meaning "answer 1 shown first" and "swapped"; without it
  ``ab``/``ba`` and ``noswap``/``swap`` are recognised. A pair with a row for one
  order only has a missing verdict for the other.

Verdict spellings (:func:`~judgebias.stats.position.normalize_label`): ``1``/``2``,
``1.0``/``2.0``, ``a``/``b``, ``A``/``B``; a tie is ``tie``, ``0``, ``3`` or ``C``.
Empty cells and any other value are *unparseable* (and listed in
``summary.json`` under ``unrecognized_values``); a column in which most
non-empty values are not verdicts is refused as the wrong column. Gold labels
use the same spellings (a pair whose gold is a tie or empty has no gold).

How an unparseable (or missing) verdict counts
----------------------------------------------
No verdict is ever invented: an unparseable verdict is missing data, never a
tie, never a wrong answer and never agreement with the other order.

* ``n`` counts every pair; ``n_unparseable`` the unparseable verdicts (two per
  pair at most).
* Position figures (``position_consistency``, ``primacy``, ``recency``,
  ``preference_fairness``, the position effect) use the ``n_valid`` pairs whose
  verdicts in *both* orders are valid; any other pair is left out of numerator
  and denominator (``n_invalid = n - n_valid``). The LLMBar source instead counts
  a pair missing in both orders as consistent, which rewards a judge for failing
  twice; the two rules agree on every group with complete verdicts.
* ``accuracy`` uses every valid verdict (either order) on a pair with gold ``a``
  or ``b``: credit 1 for the gold answer, 0.5 for a tie, 0 otherwise, averaged
  over verdicts; an unparseable verdict is left out, not scored 0.
  ``accuracy_first`` / ``accuracy_second`` are the same over the verdicts given
  when the gold answer was shown first / second.
* ``prefers_longer`` uses every valid verdict on a pair whose two answers
  differ in length by more than ``min_length_diff`` (30) characters: credit 1
  for the longer answer, 0.5 for a tie, 0 for the shorter.
* Strategy comparisons use the pairs both strategies judged with valid verdicts
  (both orders for consistency, at least one order for accuracy).

Intervals: Wilson score intervals for shares (for figures pooled over both
orders, with the number of pairs as the sample size, as for ``accuracy`` in
:func:`~judgebias.stats.position.position_stats`); Newcombe's paired interval
and the p-value that inverts it for the position effect; Benjamini-Hochberg across
groups. Clusters (``cluster``, ``--cluster COL``): the pairs with the same value of a
column (by default the instruction, when the table or ``items`` has one) are one
cluster; the position, consistency and accuracy intervals and the strategy comparisons
are taken at the effective sample size (the counts divided by the clusters' design
effect, with Student's t for clusters - 1 degrees of freedom), and ``summary.json``'s
``cluster`` names the unit and the number of clusters.

Answer lengths
--------------
From the answer texts when ``items`` is given (or when the table itself has
text columns): ``response_a``/``response_b``, ``output_1``/``output_2``,
``output_a``/``output_b``, ``answer_a``/``answer_b`` or ``completion_a``/``completion_b``
(or ``texts="A,B"``); lengths are Python character counts. Otherwise from
length columns of the table: ``len_a``/``len_b``, ``len_1``/``len_2``,
``length_a``/``length_b``, ``length_1``/``length_2`` (or ``lengths="A,B"``).
``items`` is joined on ``on`` (``COL`` or ``COL=ITEMS_COL`` when the names
differ) or, by default, on every column the two tables share; the join keys
must identify one item.

Comparing prompting strategies
------------------------------
With ``compare_to="Vanilla"``, :func:`~judgebias.stats.strategies.compare_strategies` compares each value of
``compare_column`` (default ``strategy``) with the baseline *on the same pairs*,
separately within each value of ``compare_within`` (default ``judge`` when
there is such a column). A pair under one strategy is the same pair under the
baseline when it agrees on the ``pair`` columns (default: the ``items`` join
keys, else the first of ``pair_id``, ``id``, ``idx``, ``question_id``,
``instruction_index``) and on every ``group`` column except ``compare_column``.

* consistency: per pair consistent or not, under both strategies; the difference
  with Newcombe's paired interval and the p-value that inverts it (below 0.05
  exactly when the interval excludes 0);
* accuracy: per pair the mean credit of its valid verdicts (0, 0.5 or 1); the
  difference with Newcombe's paired interval over the fractional 2x2 table
  (a pair right in one order counts half) and the p-value that inverts it;
  ``n_better``/``n_worse`` count the pairs improved and worsened;
* both at the effective sample size when pairs share a cluster (``deff``);
* p-values are Benjamini-Hochberg adjusted across every strategy and both
  figures of one ``compare_within`` value;
* length: P(judge prefers the longer answer | the gold answer is the shorter
  one) with a Wilson interval, next to P(prefers the shorter | gold is the
  longer); their difference (Newcombe's interval for independent shares) is a
  length bias net of the judge's accuracy.
"""

from __future__ import annotations

from judgebias.analysis.columns import SUMMARY_COLUMNS
from judgebias.analysis.outputs import run_analyze, write_outputs
from judgebias.analysis.prepare import Prepared, items_to_pairs, prepare
from judgebias.analysis.result import AnalyzeResult, analyze

__all__ = [
    "SUMMARY_COLUMNS",
    "AnalyzeResult",
    "Prepared",
    "analyze",
    "items_to_pairs",
    "prepare",
    "run_analyze",
    "write_outputs",
]
