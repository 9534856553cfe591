"""Shared fixtures: the real model, a real FAISS index over a copy of the seeds, built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa import Index

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ID = "000_9c80ba997a9c7279"


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seeds")
    for f in SEEDS.iterdir():
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="session")
def seed_index(seed_dir, tmp_path_factory) -> Index:
    index = Index(seeds=seed_dir, index=tmp_path_factory.mktemp("index"))
    index.refresh()
    return index


@pytest.fixture(scope="session")
def seed_doc(seed_index):
    return seed_index.document(SEED_ID)


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
