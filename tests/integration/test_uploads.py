"""Issue 11 at the Index level: who may add what, under which name, with what provenance, at what cost.

Real model, real index, real files; the web-facing half is in test_server_security.py.
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from qa import Index, answer, retrieve
from qa.ingest import IngestError
from qa.provenance import read as read_ledger
from tests.support import SEEDS, SEED_ID, write

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # every test here builds its own index and adds to it

FAKE = b"Zelensky said the war is over and Russia won."
ONE_PARAGRAPH_2MB = ("The board said the test passed today. " * 55000).encode()


def make(tmp_path) -> Index:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = Index(seeds=seeds, index=tmp_path / "index")
    index.refresh()
    return index


def test_an_upload_cannot_shadow_a_seed_by_changing_the_case_of_its_name(tmp_path):
    # Before: 000_9C80BA997A9C7279.txt was added beside the seed and its invented sentence quoted first.
    index = make(tmp_path)
    for name in (f"{SEED_ID.upper()}.txt", f"{SEED_ID}.md", f".{SEED_ID}.txt", f"{SEED_ID.upper()}.TXT"):
        with pytest.raises(IngestError, match="already here"):
            index.add(name, FAKE)
    assert [d.id for d in index.documents] == [SEED_ID]
    assert sorted(p.name for p in index.settings.seeds.iterdir()) == [f"{SEED_ID}.txt"]


def test_a_planted_article_planted_before_the_fix_loses_to_the_seed_of_the_same_name(tmp_path):
    index = make(tmp_path)
    write(index.settings.seeds, f"{SEED_ID.upper()}.txt", FAKE)  # e.g. left by the old server
    index.refresh()
    assert [d.id for d in index.documents] == [SEED_ID]
    assert any(SEED_ID.upper() in w and "already has that name" in w for w in index.warnings)


def test_every_quote_from_an_upload_says_so_in_the_api_the_reply_and_the_cli(tmp_path, monkeypatch, cli):
    index = make(tmp_path)
    doc = index.add("war-news.txt", FAKE, original_name="war news (final).txt")
    assert doc.id == "war-news"
    hits = retrieve("What did Zelensky say about the war?", k=5, index=index)
    fake = [h for h in hits if h.doc == "war-news"]
    real = [h for h in hits if h.doc == SEED_ID]
    assert fake and real
    assert {(h.source, h.original_name) for h in fake} == {("upload", "war news (final).txt")}
    assert fake[0].uploaded_at and fake[0].uploaded_at.endswith("+00:00")
    assert {(h.source, h.uploaded_at, h.original_name) for h in real} == {("seed", None, None)}
    reply = str(answer("What did Zelensky say about the war?", k=5, index=index))
    for block in reply.split("\n\n"):
        if "Russia won" in block:
            assert "uploaded by a visitor" in block and "not a curated article" in block
        elif "score" in block:
            assert "uploaded" not in block
    ledger = read_ledger(index.settings.seeds)
    assert ledger["war-news.txt"].original_name == "war news (final).txt"
    monkeypatch.setenv("QA_SEEDS", str(index.settings.seeds))
    monkeypatch.setenv("QA_INDEX", str(index.settings.index))
    code, out, err = cli("ask", "Did Russia win the war?", "--json")  # the CLI reads it back from disk
    assert code == 0, err
    assert '"source": "upload"' in out and '"original_name": "war news (final).txt"' in out
    # and a second process trusts the same provenance without rebuilding
    assert Index(seeds=index.settings.seeds, index=index.settings.index).refresh() is False


def test_two_uploads_of_one_new_name_at_once_one_is_added_and_the_other_told_why(tmp_path):
    # Before: both were told "Added" and one file was lost, in 2 of 3 tries.
    index = make(tmp_path)
    for attempt in range(3):
        name = f"storm{attempt}.txt"
        bodies = [f"Storm {attempt} version {v}: the harbour master said the boats were safe.".encode() for v in (1, 2)]
        results: list = [None, None]
        barrier = threading.Barrier(2)

        def go(i):
            barrier.wait()
            try:
                results[i] = index.add(name, bodies[i])
            except IngestError as exc:
                results[i] = exc

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        added = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, IngestError)]
        assert len(added) == 1 and len(refused) == 1 and "already here" in str(refused[0])
        assert (index.settings.seeds / name).read_bytes() == bodies[added[0]]
        assert index.document(f"storm{attempt}").text == bodies[added[0]].decode()


def test_a_dot_name_is_stored_under_a_visible_name_that_is_really_indexed(tmp_path):
    # Before: "..\x.txt" was saved as seeds/..x.txt, ignored by the index, yet listed as "..x".
    index = make(tmp_path)
    doc = index.add("..\\x.txt", b"The mayor said the bridge will reopen in May.")
    assert doc.id == "x" and (index.settings.seeds / "x.txt").exists()
    assert not [p for p in index.settings.seeds.iterdir() if p.name.startswith("..")]
    assert "x" in [d.id for d in index.documents]
    assert retrieve("When will the bridge reopen?", k=1, docs=["x"], index=index)[0].doc == "x"
    with pytest.raises(IngestError, match="no letters or digits"):
        index.add("...txt", b"Nothing to see.")


def test_many_uploads_leave_a_bounded_number_of_generations(tmp_path):
    # Before: 200 tiny uploads in 65 s left 183 generations (3.1 GB): none younger than 60 s was removed.
    from qa.index import KEEP_GENERATIONS

    index = make(tmp_path)
    for n in range(12):
        index.add(f"note{n}.txt", f"Note {n}: the clerk said meeting {n} was adjourned.".encode())
    gens = [p for p in index.settings.index.iterdir() if p.name.startswith(("gen-", ".tmp-"))]
    assert len(gens) <= KEEP_GENERATIONS
    assert index.state.generation in gens
    assert retrieve("Which regiment did Zelensky commend?", k=1, index=index)[0].paragraph == 4


def test_an_article_over_the_budget_is_refused_quickly_and_changes_nothing(tmp_path):
    index = make(tmp_path)
    before = sorted(p.name for p in index.settings.seeds.iterdir())
    started = time.thread_time()
    with pytest.raises(IngestError, match="5,000 sentences"):
        index.add("board.txt", ONE_PARAGRAPH_2MB)
    assert time.thread_time() - started < 10
    assert sorted(p.name for p in index.settings.seeds.iterdir()) == before
    assert [d.id for d in index.documents] == [SEED_ID]


def test_a_bad_seed_found_at_start_up_is_skipped_with_a_warning_within_seconds(tmp_path):
    # Before: with this file in seeds/ the indexer was still splitting it after 15 minutes.
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    write(seeds, "board.txt", ONE_PARAGRAPH_2MB)
    index = Index(seeds=seeds, index=tmp_path / "index")
    started = time.monotonic()
    index.refresh()
    assert time.monotonic() - started < 30  # includes loading the model
    assert [d.id for d in index.documents] == [SEED_ID]
    assert any(w.startswith("skipped board.txt") and "5,000 sentences" in w for w in index.warnings)
    again = Index(seeds=seeds, index=tmp_path / "index")
    assert again.refresh() is False and again.warnings == index.warnings  # remembered, not redone
