"""Fixtures every tier may use: none of them loads the model. The model and the real seed index
are in integration/conftest.py; helpers to import are in tests/support."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from tests.support import SEEDS


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seeds")
    for f in SEEDS.iterdir():
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture
def cli(capsys):
    """``qa.cli.main`` in-process: ``cli("ask", "...")`` returns (exit code, stdout, stderr).
    main() adds a log handler on each call; they are removed after the test."""
    from qa.cli import main

    log = logging.getLogger("qa")
    handlers = list(log.handlers)

    def run(*argv) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    log.handlers[:] = handlers
