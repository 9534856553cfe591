"""Integration tier: the real model, a real FAISS index over a copy of the seeds, built once a session."""

from __future__ import annotations

import pytest

from qa import Index
from tests.support import SEED_ID


@pytest.fixture(scope="session")
def seed_index(seed_dir, tmp_path_factory) -> Index:
    index = Index(seeds=seed_dir, index=tmp_path_factory.mktemp("index"))
    index.refresh()
    return index


@pytest.fixture(scope="session")
def seed_doc(seed_index):
    return seed_index.document(SEED_ID)
