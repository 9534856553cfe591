import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qa import Index, answer, retrieve
from tests.support import SEEDS, write

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # each test builds its own index

SECOND = """title: Storm Ida reaches the coast
Storm Ida made landfall near the fishing town of Porto Velho on Tuesday, flooding hundreds of homes.
"The water came up to the windows in minutes," said harbour master Rui Tavares. He added that two boats sank.
"""


def make(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    return Index(seeds=seeds, index=tmp_path / "index")


def manifest(index):
    return json.loads((index.state.generation / "manifest.json").read_text())


def test_a_second_process_loads_the_index_without_encoding_or_tokenizing_anything(tmp_path):
    index = make(tmp_path)
    assert index.refresh() is True
    expected = [h.to_dict() for h in retrieve("Which regiment did Zelensky commend?", k=5, index=index)]
    code = textwrap.dedent(f"""
        import json
        from qa import Index, retrieve
        from qa.embed import embedder
        from qa.lexical import Lexical

        def rebuilt(*args):
            raise AssertionError("BM25 was built again")
        Lexical.build = rebuilt
        index = Index(seeds={str(index.settings.seeds)!r}, index={str(index.settings.index)!r})
        assert index.refresh() is False, "rebuilt"
        hits = retrieve("Which regiment did Zelensky commend?", k=5, index=index)
        assert embedder.cache_info().currsize == 0, "the model was loaded"
        print(json.dumps([h.to_dict() for h in hits]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == expected  # the same passages and scores as the process that built it


def test_adding_editing_and_removing_articles_rebuilds_and_re_encodes_only_what_changed(tmp_path):
    index = make(tmp_path)
    index.refresh()
    seed_centroid = index.state.doc_centroids[0].copy()
    seed_e5 = np.array(index.state.e5)
    write(index.settings.seeds, "storm.txt", SECOND)
    assert Index(seeds=index.settings.seeds, index=index.settings.index).refresh() is True
    index.refresh()
    m = manifest(index)
    assert len(index.documents) == 2
    assert m["encoded"] == 3  # the new article's sentences only
    # each article's mean vector: the kept one carried over, the new one from its new vectors
    st = index.state
    assert np.array_equal(st.doc_centroids[0], seed_centroid)
    new = st.vectors[st.rows_of("storm")].mean(0)
    assert np.allclose(st.doc_centroids[1], new / np.linalg.norm(new), atol=1e-6)
    # the second stage's e5 vectors (qa/e5.py): the kept article's carried over, the new one's encoded
    from qa import e5

    kept = st.rows_of(st.documents[0].id)
    assert st.e5.shape == (len(st), e5.DIM) and np.array_equal(st.e5[kept], seed_e5)
    storm = st.rows_of("storm")
    assert np.allclose(np.asarray(st.e5[storm], np.float32), e5.passages([st.text(r) for r in storm]), atol=2e-3)
    hit = retrieve("How many boats sank in the storm?", k=1, index=index)[0]
    assert (hit.doc, hit.title, hit.speaker) == ("storm", "Storm Ida reaches the coast", "Rui Tavares")
    assert retrieve("Which regiment did Zelensky commend?", k=1, docs=["storm"], index=index)[0].doc == "storm"

    write(index.settings.seeds, "storm.txt", SECOND.replace("two boats", "three boats"))
    assert index.refresh() is True
    assert "three boats" in retrieve("How many boats sank?", k=1, index=index)[0].text
    (index.settings.seeds / "storm.txt").unlink()
    assert index.refresh() is True and [d.id for d in index.documents] == ["000_9c80ba997a9c7279"]


def test_unreadable_and_binary_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    index = make(tmp_path)
    write(index.settings.seeds, "garbage.txt", os.urandom(4096).replace(b"\x00", b"\x01") + b"\x00")
    write(index.settings.seeds, "broken.txt", b"\xff\xfe" + "Broken".encode("utf-16-le") + b"\x00")
    index.refresh()
    assert [d.id for d in index.documents] == ["000_9c80ba997a9c7279"]
    for name in ("garbage.txt", "broken.txt"):
        assert any(name in w for w in index.warnings)
        assert name in caplog.text
    assert index.refresh() is False  # the skipped files are remembered, not retried on every start


def test_a_corrupted_index_file_is_detected_and_rebuilt(tmp_path, caplog):
    index = make(tmp_path)
    index.refresh()
    faiss_file = index.state.generation / "faiss.index"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    again = Index(seeds=index.settings.seeds, index=index.settings.index)
    assert again.refresh() is True
    assert "checksum" in caplog.text
    assert not answer("Which regiment did Zelensky commend?", index=again).abstained


def test_changing_the_model_setting_rebuilds(tmp_path):
    index = make(tmp_path)
    index.refresh()
    other = Index(seeds=index.settings.seeds, index=index.settings.index, model="sentence-transformers/all-MiniLM-L6-v2")
    assert other.refresh() is True
    assert manifest(other)["model"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_a_new_sentence_splitter_splits_an_unchanged_article_again(tmp_path, monkeypatch):
    import qa.build
    import qa.index

    index = make(tmp_path)
    index.refresh()
    n = len(index.state)
    assert manifest(index)["segment"] == qa.build.SEGMENT_VERSION and index.refresh() is False
    monkeypatch.setattr(qa.build, "SEGMENT_VERSION", qa.build.SEGMENT_VERSION + 1)
    monkeypatch.setattr(qa.index, "SEGMENT_VERSION", qa.build.SEGMENT_VERSION)
    again = Index(seeds=index.settings.seeds, index=index.settings.index)
    assert again.refresh() is True  # before: the old spans were reused and nothing was rebuilt
    assert manifest(again)["encoded"] == n and manifest(again)["segment"] == qa.build.SEGMENT_VERSION


def test_an_empty_seeds_folder_or_one_without_a_searchable_word_still_answers(tmp_path):
    (tmp_path / "empty").mkdir()
    res = answer("Who spoke?", index=Index(seeds=tmp_path / "empty", index=tmp_path / "i1"))
    assert res.abstained and res.passages == () and "no articles" in str(res)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write(seeds, "stopwords.txt", "The. It is.")  # BM25 finds no word to index in it
    index = Index(seeds=seeds, index=tmp_path / "i2")
    hits = retrieve("What is it?", k=5, index=index)
    assert [h.text for h in hits] and all(h.text == "The. It is."[h.start:h.end] for h in hits)
    assert Index(seeds=seeds, index=tmp_path / "i2").refresh() is False  # and it loads back


def test_e5_off_builds_without_its_vectors_and_still_answers_with_the_rule_fitted_without_them(tmp_path, monkeypatch):
    index = make(tmp_path)
    index.refresh()
    assert index.state.e5 is not None and manifest(index)["e5"] is True
    on = retrieve("Which regiment did Zelensky commend?", k=3, index=index)
    monkeypatch.setenv("QA_E5", "off")
    assert index.refresh() is True  # its vectors dropped, nothing else encoded again
    assert index.state.e5 is None and manifest(index)["e5"] is False and manifest(index)["encoded"] == 0
    off = retrieve("Which regiment did Zelensky commend?", k=3, index=index)
    assert "225th Assault Regiment" in off[0].text and "225th Assault Regiment" in on[0].text
    assert [h.score for h in on] != [h.score for h in off]  # another rule scored them
