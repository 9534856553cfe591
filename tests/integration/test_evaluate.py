"""The evaluation harness measures what it claims: gold sentences really contain the answers."""

import json

import pytest

from qa import Index
from qa.evaluate import DATA, questions, write_seeds

pytestmark = [pytest.mark.integration, pytest.mark.slow,  # a SQuAD article indexed
              pytest.mark.skipif(not (DATA / "squad-dev-v1.1.json").exists(), reason="../shared/data is not here")]


def test_squad_articles_go_through_ingest_and_every_gold_sentence_holds_its_answer(tmp_path):
    data = json.loads((DATA / "squad-dev-v1.1.json").read_text())
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"data": data["data"][:1]}))
    articles = write_seeds(one, tmp_path / "seeds")
    index = Index(seeds=tmp_path / "seeds", index=tmp_path / "index")
    index.refresh()
    doc = index.documents[0]
    assert doc.title == "Super Bowl 50" and doc.id == "00_Super_Bowl_50"
    qs = questions(articles, index)
    assert len(qs) == sum(len(p["qas"]) for p in articles[0]["paragraphs"])
    answers = {qa["question"]: [a["text"] for a in qa["answers"]] for p in articles[0]["paragraphs"] for qa in p["qas"]}
    state = index.state
    for q in qs:
        assert q.gold, q.text
        texts = [state.text(r) for r in q.gold]
        assert any(a in t for a in answers[q.text] for t in texts), q.text
