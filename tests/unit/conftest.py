"""Unit tier: pure logic, no model, no server, no browser. The seed article here is parsed, not indexed."""

from __future__ import annotations

import pytest

from qa import ingest
from tests.support import SEED_ID, SEEDS


@pytest.fixture(scope="session")
def seed_doc() -> ingest.Document:
    return ingest.load(SEEDS / f"{SEED_ID}.txt")
