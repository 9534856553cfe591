"""BM25 candidate search (qa/lexical.py): the rows it keeps are the best-scoring ones."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st


@given(st.lists(st.lists(st.integers(0, 299), max_size=120, unique=True), max_size=6), st.integers(1, 40),
       st.integers(0, 2**32 - 1))
@settings(max_examples=300, deadline=None)
def test_lexical_top_rows_are_the_best_scoring_of_the_postings(terms, n, seed):
    from qa.lexical import Postings, top

    rng = np.random.default_rng(seed)
    scores = np.zeros(300, np.float32)
    postings = []
    for rows in terms:  # a row's score is the sum of what each of its terms adds, as in BM25
        rows = np.array(rows, dtype=np.int32)
        gain = rng.integers(0, 5, len(rows)).astype(np.float32)  # ties and zeros (a document filter)
        scores[rows] += gain
        postings.append(Postings(rows, float(gain.max(initial=0))))
    held = np.unique(np.concatenate([p.rows for p in postings])) if postings else np.zeros(0, np.int64)
    best = np.sort(scores[held][scores[held] > 0])[::-1][:n]
    found = top(scores, postings, n)
    assert len(set(found.tolist())) == len(found) and np.all(np.isin(found, held))
    assert np.array_equal(np.sort(scores[found])[::-1], best)
