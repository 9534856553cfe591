"""The FAISS side of the index on synthetic vectors, no model: past the exact limit it is approximate."""

import pytest

from qa import ingest


@pytest.mark.slow  # 30,000 vectors: an inverted file is trained
def test_past_the_exact_limit_an_approximate_index_still_finds_the_nearest_sentences(tmp_path):
    import numpy as np

    from qa.index import EXACT_LIMIT, FORMAT, FaissStore, State, load_generation, save_generation
    from qa.retrieve import search

    n = EXACT_LIMIT + 10_000
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, ends = np.zeros(n, np.int32), np.full(n, 5, np.int32)  # every sentence "alpha", one paragraph
    one, doc = np.zeros(1, np.int32), ingest.Document(id="d", title="d", text="alpha beta", sha256="")
    state = State(documents=[doc], doc=rows, paragraph=rows, sentence=rows, start=rows, end=ends, speaker=[None] * n,
                  para=rows, para_doc=one, para_start=one, para_end=one + 10,
                  store=FaissStore.build(vectors), manifest={"format": FORMAT, "dim": 384, "count": n})
    assert type(state.store.index).__name__ == "IndexIVFScalarQuantizer"
    # Candidate rows are scored from the index's 8-bit codes, close to the exact cosine, after a save
    # and a load too (the row map travels with the index).
    loaded = load_generation(save_generation(tmp_path / "index", state))
    some = rng.choice(n, 500, replace=False)
    q = vectors[some[0]]
    assert np.abs(loaded.dense(some, q) - vectors[some] @ q).max() < 0.005
    odd = np.arange(1, n, 2)
    for target in rng.choice(n, 20, replace=False):
        q = vectors[target] + rng.normal(0, 0.02, 384).astype(np.float32)
        q /= np.linalg.norm(q)
        assert target in search(state, q, 10, None)
        filtered = search(state, q, 10, odd)  # a document filter wider than EXACT_LIMIT rows
        assert len(filtered) and np.all(filtered % 2 == 1)
        assert (target in filtered) == (target % 2 == 1)


def test_a_row_file_reads_the_rows_numpy_would_give_without_holding_the_file(tmp_path):
    import numpy as np

    from qa.generation import RowFile

    a = np.random.default_rng(0).random((50, 6)).astype(np.float16)
    np.save(tmp_path / "x.npy", a)
    r = RowFile(tmp_path / "x.npy")
    assert (len(r), r.shape, r.dtype) == (50, (50, 6), np.float16)
    for rows in ([3, 4, 5, 9, 1], np.array([49, 0, 0]), 7, -1, slice(10, 20), np.array([], np.int64)):
        assert np.array_equal(r[rows], a[rows])
    assert np.array_equal(np.asarray(r, np.float32), a.astype(np.float32))
    with pytest.raises(IndexError):
        r[[50]]
