"""PDF, Word and web pages, each end to end: made or served here, added, indexed, quoted by retrieve()."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from qa import Index, retrieve
from qa.cli import main
from tests.support import PAGES
from tests.support.documents import make_docx, make_pdf

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # every test here builds its own index of made or fetched articles


def test_a_pdf_made_here_is_indexed_and_quoted_with_its_title_and_speaker(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "harbour.pdf").write_bytes(make_pdf())
    index = Index(seeds=seeds, index=tmp_path / "index")
    doc = index.document("harbour")
    assert (doc.title, doc.title_from, doc.author) == ("Harbour wall to be rebuilt", "pdf", "Sam Reid")
    hits = retrieve("How much of the wall did the sea take?", k=1, index=index)
    assert hits[0].text.startswith('"The sea took forty metres of the wall in one night," said harbour master Rui Tavares.')
    assert hits[0].text == doc.text[hits[0].start:hits[0].end]
    assert (hits[0].speaker, hits[0].title, hits[0].paragraph) == ("Rui Tavares", "Harbour wall to be rebuilt", 2)


def test_a_docx_made_here_is_indexed_and_quoted(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "orchard.docx").write_bytes(make_docx())
    index = Index(seeds=seeds, index=tmp_path / "index")
    doc = index.document("orchard")
    assert doc.title == "Orchard saved by a village vote" and doc.author == "Mina Osei"
    assert doc.text[doc.body_start:].startswith("Residents of Hallow voted")  # the heading is the title, not paragraph 1
    hits = retrieve("How old are the trees?", k=1, index=index)
    assert hits[0].text.startswith('"Those trees are older than anyone living here," said parish councillor Joan Ashby.')
    assert hits[0].speaker == "Joan Ashby" and hits[0].paragraph == 2


class _Pages(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def pages():
    """The saved pages, served on 127.0.0.1 only."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Pages, directory=str(PAGES)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_qa_add_url_saves_the_main_text_with_its_metadata_and_answers_from_it(pages, tmp_path, capsys):
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    for page in ("tamar-bridge.html", "night-bakery.html"):
        assert main(["add", f"{pages}/{page}", "--seeds", str(seeds), "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "added tamar-bridge-" in out and "Tamar swing bridge to reopen in May" in out
    saved = sorted(p.name for p in seeds.iterdir())
    assert len(saved) == 2 and all(n.endswith(".txt") for n in saved)
    index = Index(seeds=seeds, index=index_dir)
    bridge = next(d for d in index.documents if d.id.startswith("tamar-bridge-"))
    assert (bridge.title, bridge.author, bridge.date) == ("Tamar swing bridge to reopen in May", "Jo Bloggs", "2026-03-02")
    assert bridge.source == f"{pages}/tamar-bridge.html"
    body = bridge.text[bridge.body_start:]
    for left_out in ("Subscribe today", "About time!", "All rights reserved", "Most read", "dataLayer"):
        assert left_out not in body  # menus, comments, footers and scripts are not the article
    hits = retrieve("Who is proud of the crews?", k=1, index=index)
    assert hits[0].text.startswith('"We are proud of the crews, who worked through two winters on the river," said Lena Varga')
    assert hits[0].speaker == "Lena Varga" and hits[0].title == "Tamar swing bridge to reopen in May"
    hits = retrieve("When does the bakery light come on?", k=1, index=index)
    assert hits[0].text.startswith("Every night at two o'clock") and hits[0].title == "The bakery that never sleeps"
    # the saved file is the article: quotes index the file itself
    path = seeds / f"{bridge.id}.txt"
    assert path.read_text(encoding="utf-8")[hits[0].start:hits[0].end] != "" and bridge.text == path.read_text(encoding="utf-8")


def test_qa_add_of_a_missing_page_or_file_exits_2_and_adds_nothing(pages, tmp_path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    assert main(["add", f"{pages}/no-such-page.html", "--seeds", str(seeds), "--index", str(tmp_path / "i")]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["add", str(tmp_path / "nothing.pdf"), "--seeds", str(seeds), "--index", str(tmp_path / "i")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert list(seeds.iterdir()) == []


def test_the_library_refuses_local_pages_unless_the_operator_allows_them(pages, tmp_path, monkeypatch):
    from qa.fetch import FetchError
    from qa.library import add

    monkeypatch.delenv("QA_FETCH_LOCAL", raising=False)
    (tmp_path / "seeds").mkdir()
    index = Index(seeds=tmp_path / "seeds", index=tmp_path / "index")
    with pytest.raises(FetchError, match="loopback"):
        add(index, f"{pages}/tamar-bridge.html")  # what the page will call for a visitor's URL
    assert list((tmp_path / "seeds").iterdir()) == []
    monkeypatch.setenv("QA_FETCH_LOCAL", "1")
    assert add(index, f"{pages}/tamar-bridge.html").title == "Tamar swing bridge to reopen in May"
