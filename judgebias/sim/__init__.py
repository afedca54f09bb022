"""The simulated judge: a judge with planted biases of known size.

It exists for an offline demo and as proof that the auditing method works: an audit of
it must recover what was planted. It reacts only to the text it is sent (never to
metadata), so it behaves the same in process (the ``sim`` backend,
:mod:`judgebias.judges.simulated`) and behind ``judgebias serve-sim`` (:mod:`.server`).

- :mod:`.params`: the parameters (``sim:key=value,...``), what each means, parsing;
- :mod:`.reply`: the answer to one chat request, in the form its prompt asks for;
- :mod:`.decide`: the verdict on a pairwise request (content, cues, position);
- :mod:`.formats`: several answers at once, one answer graded alone, the rewriter;
- :mod:`.items`: items that are not alike (their own bias strength, accuracy, position);
- :mod:`.checkers`: the truth of checkable tasks (arithmetic, units, sorting, ...);
- :mod:`.misbehaviour`: answers not in the expected form, on purpose;
- :mod:`.reasoning`: the sim as a reasoning judge, and OpenAI's rules for those;
- :mod:`.common`: stable draws, token counts, the completion;
- :mod:`.server`: ``serve-sim``, an OpenAI-compatible HTTP server around it.

Same request + same parameters = same answer.
"""
