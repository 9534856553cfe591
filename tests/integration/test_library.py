"""The library, speakers, citations, spelling and settings, through the CLI in-process and through Python."""

from __future__ import annotations

import json
import shutil

import pytest

from qa import Index, retrieve
from qa.cite import citation
from qa.cli import main
from qa.spelling import suggest
from qa.speakers import quotes, resolve, speakers
from tests.support import SEED_ID, write

pytestmark = pytest.mark.integration


def run(capsys, *argv, index):
    code = main([*argv, "--seeds", str(index.settings.seeds), "--index", str(index.settings.index)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_qa_list_shows_id_title_source_sentences_and_speakers(seed_index, capsys):
    code, out, err = run(capsys, "list", "--json", index=seed_index)
    assert code == 0
    (article,) = json.loads(out)
    assert article["id"] == SEED_ID and article["sentences"] == 21 and article["source"] == f"{SEED_ID}.txt"
    assert article["title"] == "Ukrainian President Volodymyr Zelensky confirmed for the first…"
    assert article["speakers"][0] == {"name": "Volodymyr Zelensky", "quotes": 6}
    code, out, err = run(capsys, "list", index=seed_index)
    assert out.startswith(f"{SEED_ID}\tUkrainian President") and "21 sentences" in out and "1 article in" in err


def test_speakers_and_their_quotes_in_article_order(seed_index, capsys):
    found = {s.name: s.quotes for s in speakers(seed_index)}
    assert found["Volodymyr Zelensky"] == 6 and found["Emil Kastehelmi"] == 3
    assert resolve(seed_index, "kastehelmi") == "Emil Kastehelmi"
    said = quotes(seed_index, "Zelensky")
    assert [p.sentence for p in said] == sorted(p.sentence for p in said) and len(said) == 6
    assert all(p.speaker == "Volodymyr Zelensky" and p.text == seed_index.document(SEED_ID).text[p.start:p.end] for p in said)
    code, out, _ = run(capsys, "speakers", index=seed_index)
    assert code == 0 and out.splitlines()[0].split() == ["6", "Volodymyr", "Zelensky"]
    code, out, _ = run(capsys, "quotes", "Emil Kastehelmi", "--json", index=seed_index)
    assert code == 0 and [p["text"][:30] for p in json.loads(out)] == [
        "Military analyst Emil Kastehel", '"The Ukrainians may be able t ', "He also questioned whether the"]
    code, _, err = run(capsys, "quotes", "Nobody Atall", index=seed_index)
    assert code == 2 and "no speaker named 'Nobody Atall'" in err


def test_a_citation_counts_the_sentence_within_its_paragraph(seed_index):
    (hit,) = retrieve("Which regiment did Zelensky commend?", k=1, index=seed_index)
    assert (hit.paragraph, hit.sentence, hit.sentence_in_paragraph) == (4, 7, 2)
    assert citation(hit) == (f"“{hit.text}” — Volodymyr Zelensky, Ukrainian President Volodymyr Zelensky confirmed "
                             "for the first…, paragraph 4, sentence 2")


def test_spelling_suggestions_come_from_the_index_vocabulary(seed_index, capsys):
    assert suggest("zelenksy regimnet", seed_index) == "zelensky regiment"
    assert suggest("Which regiment did Zelensky commend?", seed_index) is None  # every word known
    assert (suggest("Who won the Super Bowl?", seed_index) or "Who won").startswith("Who won")  # short words stay
    code, out, _ = run(capsys, "ask", "Who won the Super Bowl?", index=seed_index)
    assert out.startswith("The articles do not cover this question.")  # a far-fetched correction is not shown
    code, out, _ = run(capsys, "ask", "zelenksy regimnet", index=seed_index)
    assert code == 0 and out.startswith("Showing results for “zelensky regiment”\n\n")
    assert "“He commended the 225th" in out  # the corrected question finds the regiment


def test_k_is_limited_in_the_cli_as_in_python(seed_index, capsys):
    for k in ("0", "1000", "x"):
        code, _, err = run(capsys, "ask", "Where is Demidovka?", "-k", k, index=seed_index)
        assert code == 2 and "k must be a whole number from 1 to 100" in err
    code, out, _ = run(capsys, "ask", "Where is Demidovka?", "-k", "1", "--json", index=seed_index)
    assert code == 0 and len(json.loads(out)["passages"]) == 1


@pytest.mark.slow  # builds its own index
def test_remove_deletes_the_file_and_reindexes_and_an_unknown_id_exits_2(tmp_path, seed_dir, capsys):
    seeds = tmp_path / "seeds"
    shutil.copytree(seed_dir, seeds)
    write(seeds, "floods.txt", "Floods close the coast road\n\nThe river rose overnight, police said.\n")
    index = Index(seeds=seeds, index=tmp_path / "index")
    assert len(index.documents) == 2 and index.document("floods").title == "Floods close the coast road"
    code, _, err = run(capsys, "remove", "nope", index=index)
    assert code == 2 and "unknown article id 'nope'; known: 000_9c80ba997a9c7279, floods" in err
    code, out, _ = run(capsys, "remove", "floods", index=index)
    assert code == 0 and "removed floods (floods.txt); 1 article left" in out
    assert not (seeds / "floods.txt").exists()
    assert [d.id for d in Index(seeds=seeds, index=tmp_path / "index").documents] == [SEED_ID]


@pytest.mark.slow  # builds its own index
def test_qa_add_a_file(tmp_path, capsys):
    seeds = tmp_path / "seeds"
    article = write(tmp_path, "quarry.txt", "Quarry blasts to stop\n\nBlasting at the quarry will stop in June, the owner said.\n")
    code = main(["add", str(article), "--seeds", str(seeds), "--index", str(tmp_path / "index")])
    assert code == 0 and "added quarry: Quarry blasts to stop (1 sentence)" in capsys.readouterr().out
    assert (seeds / "quarry.txt").read_bytes() == article.read_bytes()


@pytest.mark.slow  # builds its own index
def test_qa_ask_in_a_folder_with_seeds_uses_it_and_prints_no_library_progress_bars(tmp_path, monkeypatch, cli):
    # In-process; the same from a cold process, through the `qa` script: test_cli.py.
    (tmp_path / "seeds").mkdir()
    write(tmp_path / "seeds", "quarry.txt", "Quarry blasts to stop\n\nBlasting at the quarry will stop in June, the owner said.\n")
    for name in ("QA_SEEDS", "QA_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("ask", "When will the blasting stop?")
    assert code == 0, err
    assert out.startswith("“Blasting at the quarry will stop in June, the owner said.” — owner, "
                          "Quarry blasts to stop, paragraph 1, sentence 1")
    assert (tmp_path / "index" / "CURRENT").exists()  # built in the current folder: the index was made on this start
    assert "Loading weights" not in err and "it/s" not in err, err
