"""qa.distributed: Ray's vectors are the plain encoder's, bit for bit and in input order.

Local Ray, 2 CPUs. The seed article has 21 sentences; the ~300 texts are its sentences, its
paragraphs, then its sentences cut every second word (prefixes, then suffixes): real text, many of
one length (ties in the longest-first order), and with the chunk size set to 64 five chunks shared
by two actors.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("ray")

from qa import Index, distributed, ingest, segment  # noqa: E402
from qa.config import DEFAULT_MODEL  # noqa: E402
from qa.embed import Embedder, embedder  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402
from tests.support import ROOT, SEED_ID  # noqa: E402

# Ray's start and two actors' model loads: about a minute on 2 shared cores
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def ray_local():
    import ray

    distributed.start()
    yield
    ray.shutdown()


def seed_texts(n: int = 300) -> list[str]:
    doc = ingest.load(ROOT / "seeds" / f"{SEED_ID}.txt")
    text = doc.text
    sentences = [text[s.start:s.end] for s in segment.segment(text, doc.body_start)]
    paragraphs = [text[a:b] for a, b in segment.paragraphs(text, doc.body_start)]
    words = [s.split() for s in sentences]
    prefixes = [" ".join(w[:k]) for w in words for k in range(2, len(w), 2)]
    suffixes = [" ".join(w[k:]) for w in words for k in range(2, len(w), 2)]
    out = list(dict.fromkeys(sentences + paragraphs + prefixes + suffixes))
    assert len(out) >= n
    return out[:n]


def test_same_vectors_in_input_order(ray_local, monkeypatch):
    monkeypatch.setattr(Embedder, "CHUNK", 64)  # five chunks, so both actors work and order is at stake
    texts = seed_texts()
    assert len(distributed.chunks(texts)) == 5
    plain = embedder(DEFAULT_MODEL).encode(texts)
    vectors = distributed.encode(texts, DEFAULT_MODEL, workers=2)
    assert vectors.dtype == np.float32 and vectors.shape == plain.shape
    assert np.array_equal(vectors, plain)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_empty_and_bad_arguments(ray_local):
    dim = embedder(DEFAULT_MODEL).dim
    assert distributed.encode([], DEFAULT_MODEL).shape == (0, dim)
    with pytest.raises(ValueError):
        distributed.encode(["a"], DEFAULT_MODEL, workers=0)


def test_index_built_through_ray_retrieves_the_same(ray_local, seed_dir, seed_index, tmp_path):
    """``qa index --ray``: the same build with the sentences encoded by Ray, then the same passages
    for the seed questions."""
    from qa.config import Settings

    settings = Settings.from_env(seed_dir, tmp_path / "index", ray=True)
    through_ray = Index(settings=settings)
    assert through_ray.settings.ray
    through_ray.refresh()
    assert np.array_equal(through_ray.state.vectors, seed_index.state.vectors)
    for q in ["Where are Ukrainian troops operating inside Russia?", "Who briefed Zelensky?",
              "How many children were killed?"]:
        assert retrieve(q, k=5, index=through_ray) == retrieve(q, k=5, index=seed_index)


def test_without_ray_one_clear_line():
    code = ("import sys; sys.modules['ray'] = None\n"
            "try:\n    import qa.distributed\n"
            "except ValueError as e:\n    print(type(e).__name__, isinstance(e, ImportError), e)\n")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "RayMissing True qa index --ray needs Ray: pip install 'article-qa[ray]'", out.stderr
