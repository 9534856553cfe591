"""The evaluation harness's metrics, from ranks (the SQuAD data itself: integration/test_evaluate.py)."""

import numpy as np
import pytest

from qa.evaluate import full_ranks, metrics


def test_metrics_from_ranks():
    m = metrics(np.array([1, 2, 0, 10]))
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0 + 0.1) / 4)
    assert (m["r@1"], m["r@5"], m["r@10"]) == (0.25, 0.5, 0.75)
    from qa.evaluate import Question

    scores = np.array([[0.1, 0.9, 0.5]])
    assert full_ranks(scores, [Question("q", "d", 0, frozenset({2}))]).tolist() == [2]
