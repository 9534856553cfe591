"""The retrieval that matters, against every store: FAISS, Milvus Lite in this process, and a Milvus
Lite server over gRPC (the code path of a Milvus cluster). Ids and order are asserted, never raw
engine scores: each store must hand the same candidates to the same ranking."""

from __future__ import annotations

import json
import shutil
import socket
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from qa import Index, retrieve
from qa.library import remove
from tests.support import ROOT, SEEDS

pytest.importorskip("pymilvus")
# an index per store and test, and a Milvus Lite engine per file: minutes
pytestmark = [pytest.mark.integration, pytest.mark.slow]
SQUAD = ROOT.parent / "shared" / "data" / "squad-dev-v1.1.json"
SEED_QUESTIONS = ["Who did Zelensky commend?", "Where is the 225th Assault Regiment deployed?",
                  "What did Zelensky confirm for the first time?", "Who briefed Zelensky?",
                  "What did Zelensky say about the Kursk and Belgorod regions?"]
NEW = ("title: Harbour bridge reopens\nThe harbour bridge reopened on Tuesday after a two-year repair.\n"
       "\"It carries forty thousand cars a day,\" said Mayor Ana Ruiz.\n")


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """``milvus-lite``'s engine listening on 127.0.0.1: the same client and wire protocol as a cluster."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from milvus_lite.server import Server
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Server(str(tmp_path_factory.mktemp("milvus") / "server.db"), address=f"127.0.0.1:{port}")
    assert server.start(), "milvus-lite server did not start"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["faiss", "lite", "server"])
def store(request, tmp_path):
    if request.param == "faiss":
        return "faiss"
    if request.param == "lite":
        return str(tmp_path / "vectors.db")
    return request.getfixturevalue("milvus_server") + f"#t{abs(hash(request.node.name)) % 10**8}"


def make(tmp_path: Path, store: str, seeds: Path = SEEDS, name: str = "index") -> Index:
    folder = tmp_path / "seeds"
    if not folder.exists():
        shutil.copytree(seeds, folder)
    return Index(seeds=folder, index=tmp_path / name, store=store)


def where(passages) -> list[tuple[str, int, int]]:
    return [(p.doc, p.paragraph, p.sentence) for p in passages]


@pytest.fixture(scope="module")
def faiss_answers(tmp_path_factory):
    index = make(tmp_path_factory.mktemp("faiss"), "faiss")
    return {q: where(retrieve(q, k=5, index=index)) for q in SEED_QUESTIONS}


def test_the_seed_questions_get_the_same_quotes_in_the_same_order(store, tmp_path, faiss_answers):
    index = make(tmp_path, store)
    index.refresh()
    assert index.state.manifest["store"]["kind"] == ("faiss" if store == "faiss" else "milvus")
    for q, expected in faiss_answers.items():
        got = retrieve(q, k=5, index=index)
        assert where(got) == expected, q
        assert all(p.text == index.document(p.doc).text[p.start:p.end] for p in got)  # verbatim
    assert "225th Assault Regiment" in retrieve("Which regiment did Zelensky commend?", k=1, index=index)[0].text


def test_add_remove_filters_and_provenance(store, tmp_path):
    index = make(tmp_path, store)
    seed_id = index.documents[0].id
    doc = index.add("bridge.txt", NEW.encode())
    assert [d.id for d in index.documents] == sorted([seed_id, doc.id])
    hit = retrieve("How many cars does the bridge carry a day?", k=1, index=index)[0]
    assert hit.doc == doc.id and "forty thousand" in hit.text and hit.source == "upload" and hit.speaker == "Ana Ruiz"
    only = retrieve("Who did Zelensky commend?", k=5, docs=[doc.id], index=index)
    assert only and {p.doc for p in only} == {doc.id}
    assert {p.doc for p in retrieve("Who did Zelensky commend?", k=5, docs=[seed_id], index=index)} == {seed_id}
    if store != "faiss":
        assert index.state.store.count() == len(index.state)  # the upload's rows, no more
    remove(index, doc.id)
    assert [d.id for d in index.documents] == [seed_id]
    assert all(p.doc == seed_id for p in retrieve("How many cars does the bridge carry a day?", k=5, index=index))
    if store != "faiss":
        assert index.state.store.count() == len(index.state)  # the removed article's rows are gone from Milvus


def test_a_fresh_process_loads_the_milvus_index_without_encoding(tmp_path, milvus_server):
    store = milvus_server + "#reload"
    first = make(tmp_path, store)
    first.refresh()
    expected = where(retrieve(SEED_QUESTIONS[0], k=5, index=first))
    again = Index(seeds=first.settings.seeds, index=first.settings.index, store=store)
    assert again.refresh() is False  # loaded, not rebuilt
    assert where(retrieve(SEED_QUESTIONS[0], k=5, index=again)) == expected


def test_moving_an_index_to_milvus_encodes_nothing_and_answers_alike(tmp_path, milvus_server):
    """The documented move: the same seeds and index folder, QA_STORE pointed at the server."""
    faiss_index = make(tmp_path, "faiss")
    faiss_index.refresh()
    expected = {q: where(retrieve(q, k=5, index=faiss_index)) for q in SEED_QUESTIONS}
    moved = Index(seeds=faiss_index.settings.seeds, index=faiss_index.settings.index, store=milvus_server + "#moved")
    assert moved.refresh() is True
    assert moved.state.manifest["encoded"] == 0
    assert {q: where(retrieve(q, k=5, index=moved)) for q in SEED_QUESTIONS} == expected
    back = Index(seeds=faiss_index.settings.seeds, index=faiss_index.settings.index, store="faiss")
    assert back.refresh() is True and back.state.manifest["encoded"] == 0  # and back, from Milvus's vectors
    assert {q: where(retrieve(q, k=5, index=back)) for q in SEED_QUESTIONS} == expected


def test_a_renamed_article_keeps_its_rows_in_milvus(tmp_path):
    """Reused by its bytes (nothing encoded), but under a new id: rows of its own, the old ones deleted."""
    store = str(tmp_path / "renamed.db")
    index = make(tmp_path, store)
    old = index.documents[0]
    (index.settings.seeds / f"{old.id}.txt").rename(index.settings.seeds / "renamed.txt")
    assert index.refresh() is True and index.state.manifest["encoded"] == 0
    assert [d.id for d in index.documents] == ["renamed"]
    assert index.state.store.count() == len(index.state)
    hit = retrieve("Which regiment did Zelensky commend?", k=1, index=index)[0]
    assert hit.doc == "renamed" and "225th" in hit.text


def test_a_collection_dropped_behind_the_index_is_rebuilt(tmp_path):
    store = str(tmp_path / "gone.db")
    index = make(tmp_path, store)
    index.refresh()
    index.state.store.client.drop_collection(index.state.store.collection)
    again = Index(seeds=index.settings.seeds, index=index.settings.index, store=store)
    assert again.refresh() is True
    assert again.state.store.count() == len(again.state)
    assert "225th" in retrieve("Which regiment did Zelensky commend?", k=1, index=again)[0].text


def test_a_bad_store_setting_is_one_clear_line(tmp_path):
    from qa.errors import QAError

    with pytest.raises(QAError, match="use faiss, a Milvus Lite file ending in .db, or http"):
        make(tmp_path, "postgres://x").refresh()


@pytest.mark.skipif(not SQUAD.exists(), reason="../shared/data is not here")
def test_a_squad_subset_ranks_alike_in_both_stores(tmp_path):
    """Three held-out (odd) SQuAD articles and their questions: top 5 identical, FAISS vs Milvus Lite."""
    articles = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    folder = tmp_path / "seeds"
    folder.mkdir()
    questions = []
    for n in (1, 3, 5):
        art = articles[n]
        body = "\n".join(p["context"].replace("\n", " ") for p in art["paragraphs"])
        (folder / f"{n:02d}.txt").write_text(f"title: {art['title'].replace('_', ' ')}\n{body}\n", encoding="utf-8")
        questions += [qa["question"] for p in art["paragraphs"][:4] for qa in p["qas"][:3]]
    faiss_index = Index(seeds=folder, index=tmp_path / "a", store="faiss")
    milvus_index = Index(seeds=folder, index=tmp_path / "b", store=str(tmp_path / "squad.db"))
    for q in questions:
        a, b = retrieve(q, k=5, index=faiss_index), retrieve(q, k=5, index=milvus_index)
        assert where(a) == where(b), q
        assert np.allclose([p.score for p in a], [p.score for p in b], atol=1e-4), q
