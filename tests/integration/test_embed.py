import numpy as np
import pytest

from qa.embed import QueryEncoder, embedder, query_encoder

pytestmark = pytest.mark.integration


def test_the_question_path_gives_the_same_vectors_as_sentence_transformers():
    fast = query_encoder("all-MiniLM-L6-v2", tuned=False)  # the tuned question weights: test_rerank.py
    assert isinstance(fast, QueryEncoder) and fast.pooling == "mean" and fast.max_length == 256
    texts = ["Which regiment did Zelensky commend?", "x", "Où est Demidovka ? " * 60, "😀 émoji and ünïcode"]
    a = fast.encode(texts)
    b = embedder("all-MiniLM-L6-v2").encode(texts)
    assert a.shape == b.shape == (4, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (np.sum(a * b, axis=1) > 0.9999).all()
