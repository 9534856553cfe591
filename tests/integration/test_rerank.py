"""The second stage on the real shipped weights: the tuned question encoder, the ranking rule, the
per-index abstention and the answer phrase. No stand-ins: these load what `pip install .` ships."""

import json

import numpy as np
import pytest

from qa import answer, retrieve
from qa.answer import ABSTAIN_BELOW, threshold
from qa.evaluate import PARAPHRASES, SEED_QUESTIONS, paraphrase_items

pytestmark = pytest.mark.integration

OFF_TOPIC = ["Who won Super Bowl 50?", "What is the boiling point of water?", "How many moons does Jupiter have?",
             "Which team won the Champions League final?", "What did the central bank decide about interest rates?",
             "Who directed the film that won best picture?", "When was the Magna Carta signed?",
             "What is the recipe for a sourdough starter?"]


def test_the_question_weights_ship_checksummed_and_move_questions_not_sentences():
    from qa.embed import QUESTION_WEIGHTS, embedder, query_encoder

    recipe = json.loads((QUESTION_WEIGHTS / "recipe.json").read_text())
    assert recipe["split"].startswith("even") and recipe["bytes"] < 50_000_000
    q = ["Which regiment did Zelensky commend?"]
    tuned, base = query_encoder("all-MiniLM-L6-v2").encode(q), query_encoder("all-MiniLM-L6-v2", tuned=False).encode(q)
    assert 0.5 < float(tuned[0] @ base[0]) < 0.9999  # moved, but still the same space
    assert float(base[0] @ embedder("all-MiniLM-L6-v2").encode(q)[0]) > 0.9999


def test_the_shipped_bank_vectors_are_the_question_encoders_own():
    from qa.answerable import bank, bank_vectors
    from qa.embed import query_encoder

    shipped = bank_vectors("all-MiniLM-L6-v2")
    assert shipped.shape == (len(bank()), 384)
    assert np.allclose(shipped[:8], query_encoder("all-MiniLM-L6-v2").encode(list(bank()[:8])), atol=1e-5)


def test_the_shipped_bank_e5_vectors_are_e5s_own():
    from qa import e5
    from qa.answerable import SHIPPED_E5, bank, remember_bank_e5

    shipped = np.load(SHIPPED_E5, allow_pickle=False)
    assert shipped.shape == (len(bank()), e5.DIM)
    # the engine's sums run in whatever order its threads finish: a busy machine moved them by up to 0.002
    assert np.allclose(shipped[:8], np.stack([e5._query(q) for q in bank()[:8]]), atol=5e-3)
    remember_bank_e5()
    assert e5.query(bank()[-1]) is e5._known[bank()[-1]]  # taken as shipped, not encoded again


def test_second_stage_scores_are_probabilities_beside_the_first_stage_score(seed_index):
    hits = retrieve("Which regiment did Zelensky commend?", k=5, index=seed_index)
    assert hits[0].text.startswith("He commended the 225th Assault Regiment")
    assert all(0 < h.score < 1 and 0 < h.confidence < 1 and h.fused is not None for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    first = retrieve("Which regiment did Zelensky commend?", k=5, index=seed_index, rerank=False)
    assert all(h.fused is None and h.confidence is None for h in first)
    fused = {h.sentence: h.fused for h in hits}  # the second stage keeps the first stage's score beside its own
    assert any(h.sentence in fused for h in first)
    for h in first:
        if h.sentence in fused:
            assert h.score == pytest.approx(fused[h.sentence], abs=1e-5)


def _seed_ranks(seed_index, rerank):
    items = paraphrase_items("seed", None, seed_index.state)
    out = []
    for q, gold, _ in items:
        rows = [int(np.flatnonzero((seed_index.state.start == h.start))[0]) for h in retrieve(q, k=3, index=seed_index,
                                                                                             rerank=rerank)]
        out.append(next((i + 1 for i, r in enumerate(rows) if r in gold), 0))
    return np.array(out)


@pytest.mark.slow  # every seed paraphrase, both stages
def test_on_the_seed_paraphrases_the_second_stage_beats_the_first(seed_index):
    """Questions in other words than their answer (bench/paraphrases/seed.json, hand-written)."""
    assert (PARAPHRASES / "seed.json").exists()
    second, first = _seed_ranks(seed_index, True), _seed_ranks(seed_index, False)
    assert len(second) >= 40
    assert np.mean(second == 1) >= np.mean(first == 1) and np.mean(second == 1) >= 0.5
    assert np.mean((second > 0) & (second <= 3)) >= 0.7


@pytest.mark.slow  # every seed question answered
def test_a_one_article_index_is_calibrated_and_abstains_on_off_topic(seed_index):
    cal = seed_index.calibration
    assert cal is not None and cal.questions >= 300
    assert seed_index.state.manifest["calibration"]["high"] == [round(h, 5) for h in cal.high]
    assert 0 < threshold(seed_index) < 1 and threshold(seed_index, rerank=False) == ABSTAIN_BELOW
    for q in OFF_TOPIC:
        assert answer(q, index=seed_index).abstained, q
    answered = [not answer(q, index=seed_index).abstained for q, _ in json.loads(SEED_QUESTIONS.read_text())]
    assert np.mean(answered) >= 0.95


@pytest.mark.slow  # every seed paraphrase answered or not
def test_questions_in_other_words_than_the_article_are_mostly_answered_on_a_one_article_index(seed_index):
    """Before the topic signal (the question against the whole article) this index called 65% of
    these "not covered"; with it 37.5% (qa/answerable.py)."""
    items = json.loads((PARAPHRASES / "seed.json").read_text())
    answered = [not answer(item["question"], index=seed_index).abstained for item in items]
    assert len(answered) >= 40 and np.mean(answered) >= 0.55


def test_the_topic_signal_is_the_questions_cosine_with_the_articles_mean_vector(seed_index):
    from qa.answerable import SIGNALS, signals
    from qa.rerank import rescore
    from qa.retrieve import candidates

    st, q = seed_index.state, "What did the leader in Kyiv openly admit about his army?"
    v = seed_index.query_encoder.encode([q])[0]
    r = rescore(st, q, candidates(st, q, v, 3, None), 3, v)
    mean = st.vectors[st.rows_of(st.documents[0].id)].mean(0)
    topic = signals(r, st, v)[:, SIGNALS.index("topic")]
    assert np.allclose(topic, float(mean @ v / np.linalg.norm(mean)), atol=1e-5) and 0.2 < topic[0] < 1
    # made by the build and saved with the rows, so serving never reads the vectors for them
    from qa.generation import load_generation

    assert st.doc_centroids is not None
    assert np.array_equal(load_generation(st.generation).doc_centroids, st.doc_centroids)


def test_the_second_stage_reads_each_candidate_with_e5_as_well(seed_index):
    from qa import e5
    from qa.generation import RowFile
    from qa.rerank import E5_FEATURES, FEATURES, rescore
    from qa.retrieve import candidates

    st, q = seed_index.state, "Which unit did the president praise?"
    assert st.e5 is not None and st.e5.dtype == np.float16 and isinstance(st.e5, RowFile)  # read per row, not held
    v = seed_index.query_encoder.encode([q])[0]
    r = rescore(st, q, candidates(st, q, v, 5, None), 5, v)
    assert r.x.shape[1] == len(FEATURES) + len(E5_FEATURES)
    direct = e5.passages([st.text(int(row)) for row in r.rows]).astype(np.float32) @ e5.query(q)
    assert np.allclose(r.column("e5"), direct, atol=2e-3)
    assert np.allclose(r.column("e5_rel"), r.column("e5") - r.column("e5").max(), atol=1e-6)


def test_answerability_reads_e5s_cosines_with_the_best_sentence_and_with_the_whole_article(seed_index):
    from qa import e5
    from qa.answerable import E5_SIGNALS, SIGNALS, decision_for, signals
    from qa.generation import load_generation
    from qa.rerank import rescore
    from qa.retrieve import candidates

    st, q = seed_index.state, "What did the leader in Kyiv openly admit about his army?"
    v = seed_index.query_encoder.encode([q])[0]
    r = rescore(st, q, candidates(st, q, v, 3, None), 3, v)
    s = signals(r, st, v)
    assert s.shape == (3, len(SIGNALS) + len(E5_SIGNALS))
    col = (SIGNALS + E5_SIGNALS).index
    assert np.allclose(s[:, col("e5")], r.column("e5")) and np.all(s[:, col("e5_best")] >= s[:, col("e5")] - 1e-6)
    rows = st.rows_of(st.documents[0].id)
    mean = np.asarray(st.e5[rows], np.float32).mean(0)
    assert np.allclose(s[:, col("e5_topic")], float(mean @ e5.query(q) / np.linalg.norm(mean)), atol=2e-3)
    # the article's e5 vector is made by the build and saved with the rows, never read from e5.npy when serving
    assert np.array_equal(load_generation(st.generation).e5_centroids, st.e5_centroids)
    # the calibration holds a bank figure for each signal, and the rule read with e5 says how sure it is
    assert len(seed_index.calibration.high) == len(SIGNALS) + len(E5_SIGNALS)
    assert 0 < decision_for(st).confidence(s, seed_index.calibration)[0] < 1


@pytest.mark.slow  # builds its own index, twice
def test_a_changed_bank_or_rule_recalibrates_the_index(seed_dir, tmp_path, monkeypatch):
    from qa import Index
    import qa.answerable

    index = Index(seeds=seed_dir, index=tmp_path / "i")
    assert index.refresh() and not index.refresh()
    monkeypatch.setattr(qa.answerable, "bank_key", lambda: "another")
    assert index.refresh()  # rebuilt for the calibration alone
    assert index.state.manifest["calibration"]["bank"] == "another"


def test_the_answer_phrase_is_marked_inside_the_quote_and_given_by_offsets(seed_index, seed_doc):
    hit = retrieve("When did Zelensky make the acknowledgment?", k=1, index=seed_index)[0]
    assert hit.answer == "Monday"
    assert seed_doc.text[hit.answer_start:hit.answer_end] == hit.answer
    assert hit.start <= hit.answer_start < hit.answer_end <= hit.end
    md = str(answer("When did Zelensky make the acknowledgment?", index=seed_index))
    assert "***Monday***" in md
