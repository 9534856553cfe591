"""Settings before anything is loaded: a seeds folder that does not exist is an error naming it,
from Python and from the CLI (in-process). The library itself: integration/test_library.py."""

from __future__ import annotations

import pytest

from qa import Index, retrieve
from qa.config import SeedsMissing


def test_a_missing_seeds_folder_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(SeedsMissing, match=str(missing)):
        retrieve("Where is Demidovka?", index=Index(seeds=missing, index=tmp_path / "index"))


def test_qa_ask_from_a_folder_without_seeds_exits_2_naming_the_path(tmp_path, monkeypatch, cli):
    for name in ("QA_SEEDS", "QA_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("ask", "Where is Demidovka?")
    assert code == 2, err
    assert f"the seeds folder {tmp_path / 'seeds'} does not exist" in err
    assert out == ""
