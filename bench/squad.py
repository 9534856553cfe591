"""The SQuAD benchmark behind ``qa eval``: ReQA-style sentence retrieval and abstention on SQuAD dev,
through the product's own path.

The SQuAD articles are written as documents into a seeds folder and indexed by ``Index`` exactly
as a user's articles are, so the figures are what a user gets. Baselines run in the same process
on the same sentences. Nothing here trains on the dev set: weights and the threshold were chosen
on the even-numbered articles, and figures are reported for the odd ones as well as for all.

It reads the checkout around it (``seeds/``, ``bench/seed_questions.json``, ``bench/paraphrases/``)
and the data beside it (``../shared/data``), so it lives here, not in the package; the measures
it uses are the package's (``qa.evaluate``). ``qa eval`` imports it from a source checkout
(``qa.evaluate.driver()``); the other bench scripts import it as ``squad``.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.errors import QAError
from qa.evaluate import (
    Question,
    dense_rank,
    encode_cached,
    full_ranks,
    overlap,
    per_article_ranks,
    rank_first,
    ranks,
    second_stage,
    split,
    subset,
    token_f1,
)
from qa.evaluate import abstention as abstained_on
from qa.index import Index
from qa.lexical import Lexical
from qa.retrieve import fuse

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SEEDS = REPO / "seeds"
SEED_QUESTIONS = REPO / "bench" / "seed_questions.json"
PARAPHRASES = REPO / "bench" / "paraphrases"
FILES = ("squad-dev-v1.1.json", "squad-dev-v2.0-derived.json")


def write_seeds(data_file: Path, folder: Path) -> list[dict]:
    """One .txt article per SQuAD title: a ``title:`` line, then one paragraph per line."""
    articles = json.loads(data_file.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True, exist_ok=True)
    for n, art in enumerate(articles):
        body = "\n".join(p["context"].replace("\n", " ") for p in art["paragraphs"])
        path = folder / f"{n:02d}_{art['title']}.txt"
        text = f"title: {art['title'].replace('_', ' ')}\n{body}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return articles


def questions(articles: list[dict], index: Index, answerable: bool = True) -> list[Question]:
    """The questions, each with the pooled rows of its gold sentences (empty for impossible ones)."""
    state = index.state
    by_id = {d.id: d for d in state.documents}
    out = []
    for n, art in enumerate(articles):
        doc_id = f"{n:02d}_{art['title']}"
        doc = by_id[doc_id]
        rows = state.rows_of(doc_id)
        starts, ends = state.start[rows], state.end[rows]
        offset = doc.body_start
        for p in art["paragraphs"]:
            for qa in p["qas"]:
                if qa.get("is_impossible", False) == answerable:
                    continue
                gold = set()
                for a in qa["answers"]:
                    at = offset + a["answer_start"]
                    hit = np.flatnonzero((starts <= at) & (at < ends))
                    if not len(hit):  # the answer starts in the space between two sentences
                        hit = np.flatnonzero(starts > at)[:1]
                    gold.update(int(rows[h]) for h in hit)
                out.append(Question(qa["question"], doc_id, n, frozenset(gold), tuple(a["text"] for a in qa["answers"])))
            offset += len(p["context"]) + 1
    return out


def _settings(settings: Settings | None, model: str | None) -> Settings:
    """The settings every index of the run is made with: the model and store of ``qa eval``'s flags."""
    if settings is None:
        return Settings.from_env(model=model)
    return replace(settings, model=model) if model else settings


def _index(settings: Settings, seeds: Path, index: Path) -> Index:
    return Index(settings=replace(settings, seeds=seeds, index=index))


def run(cache: Path, data: Path = DATA, progress=print, model: str | None = None,
        settings: Settings | None = None) -> dict:
    """The whole evaluation; returns the report (also written to cache/report.json and report.md).

    Every index it builds, SQuAD's and the seed article's, uses ``settings`` (the model and store
    of ``qa eval --model --store``; ``model`` overrides the settings' model)."""
    from qa.embed import embedder

    settings = _settings(settings, model)
    missing = [f for f in FILES if not (data / f).is_file()]
    if missing:
        raise QAError(f"{data.resolve()} does not hold {', '.join(missing)}: pass --data FOLDER with the SQuAD dev "
                      f"files (see ../shared/data/README.md)")
    t0 = time.perf_counter()
    cache.mkdir(parents=True, exist_ok=True)
    articles = write_seeds(data / "squad-dev-v1.1.json", cache / "seeds")
    index = _index(settings, cache / "seeds", cache / "index")
    progress("indexing SQuAD v1.1 dev through the product's ingest path (cached after the first run)")
    index.refresh(progress=True)
    state = index.state
    qs = [q for q in questions(articles, index) if q.gold]
    items = [(q.text, q.gold) for q in qs]
    progress(f"{len(state):,} sentences, {len(qs):,} questions; encoding questions")
    qvecs = encode_cached(index, [q.text for q in qs], cache, "questions")  # the base model, as sentences are
    tvecs = encode_cached(index, [q.text for q in qs], cache, "questions-tuned", embedder(index.settings.model, True))
    report: dict = {"sentences": len(state), "questions": len(qs), "articles": len(state.documents)}

    progress("baselines: BM25 (bm25s) and MiniLM on the sentence alone, every row scored")
    texts = state.texts()
    t = time.perf_counter()
    bm25 = Lexical.build(texts)
    plain_bm25 = np.stack([bm25.scores(q.text)[0] for q in qs])
    report["bm25"] = split(full_ranks(plain_bm25, qs), qs) | {"seconds": round(time.perf_counter() - t, 1)}
    svecs = encode_cached(index, texts, cache, "sentences")
    t = time.perf_counter()
    plain_dense = qvecs @ svecs.T
    report["minilm sentence"] = split(full_ranks(plain_dense, qs), qs) | {"seconds": round(time.perf_counter() - t, 1)}
    report["ablation"] = ablation(state, qs, qvecs, plain_dense, plain_bm25, progress)
    del plain_dense, plain_bm25

    def own(i):
        return state.rows_of(qs[i].doc)

    progress("first stage (base question encoder, as before the second stage), pooled and per article")
    r, _, ms = ranks(state, items, qvecs, rank_first)
    report["first stage (pooled)"] = split(r, qs) | {"ms": ms}
    r, _, _ = ranks(state, items, qvecs, rank_first, own)
    report["first stage (per article)"] = split(r, qs)
    progress("first stage with the tuned question encoder")
    r, _, ms = ranks(state, items, tvecs, rank_first)
    report["first stage, tuned questions (pooled)"] = split(r, qs) | {"ms": ms}
    progress("second stage (the product's retrieve()), pooled and per article")
    r, _, ms = ranks(state, items, tvecs, second_stage(index.calibration))
    report["ours (pooled)"] = split(r, qs) | {"ms": ms}
    if state.e5 is not None:
        progress("second stage without e5 (QA_E5=off), pooled")
        r, _, ms = ranks(replace(state, e5=None), items, tvecs, second_stage(index.calibration))
        report["ours without e5 (pooled)"] = split(r, qs) | {"ms": ms}
    r, own_top, _ = ranks(state, items, tvecs, second_stage(index.calibration), own)
    report["ours (per article)"] = split(r, qs)
    report["minilm sentence (per article)"] = split(per_article_ranks(qvecs @ svecs.T, qs, state), qs)
    report["bm25 (per article)"] = split(per_article_ranks(np.stack([bm25.scores(q.text)[0] for q in qs]), qs, state), qs)

    report["answer phrase"] = phrase_report(state, qs, tvecs, index.calibration, progress)
    report["paraphrases"] = paraphrase_report(index, articles, cache, progress)
    report["abstention"] = abstention(index, articles, qs, qvecs, tvecs, own_top, cache, data, progress)
    report["seed questions"] = seed_questions(cache, settings)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    (cache / "report.json").write_text(json.dumps(report, indent=1))
    (cache / "report.md").write_text(markdown(report))
    return report


def phrase_report(state, qs: list[Question], tvecs: np.ndarray, calibration, progress) -> dict:
    """How often the answer phrase (qa/phrase.py) is shown on the odd articles' questions whose top
    sentence is right, and how often it is the answer: its words overlap a gold answer's by a
    token F1 of at least 0.5. Measured for every question type the phrase can handle, shown or not."""
    from qa.phrase import answer_span
    from qa.rerank import question_type

    progress("answer phrase: odd articles, top sentence right")
    rank = second_stage(calibration)
    by_type: dict[str, list[int]] = {}
    for i, q in enumerate(qs):
        if q.article % 2 == 0:
            continue
        ids, _ = rank(state, q.text, tvecs[i], None)
        qtype = question_type(q.text)
        if not len(ids) or int(ids[0]) not in q.gold or qtype == "other":
            continue
        sentence = state.text(int(ids[0]))
        span = answer_span(q.text, sentence, types=(qtype,))
        row = by_type.setdefault(qtype, [0, 0, 0])
        row[0] += 1
        if span:
            row[1] += 1
            row[2] += max(token_f1(sentence[span[0]:span[1]], a) for a in q.answers) >= 0.5
    return {t: {"questions": n, "shown": shown / n if n else 0.0, "precision": right / shown if shown else None}
            for t, (n, shown, right) in by_type.items()}


def paraphrase_items(name: str, articles: list[dict] | None, state) -> list[tuple[str, frozenset, float]]:
    """(question, gold rows, word overlap) of a hand-written paraphrase file; gold is the sentence
    of ours that holds the labelled answer sentence, or that it holds (splitters differ)."""
    path = PARAPHRASES / f"{name}.json"
    if not path.exists():
        return []
    out, texts = [], state.texts()
    for item in json.loads(path.read_text(encoding="utf-8")):
        if articles is None:
            rows = np.arange(len(state))
        else:
            rows = state.rows_of(f"{item['article']:02d}_{articles[item['article']]['title']}")
        answer = item["answer_sentence"]
        gold = frozenset(int(r) for r in rows for t in [texts[int(r)]]
                         if answer in t or (t in answer and len(t) >= 0.5 * len(answer)))
        if gold:
            out.append((item["question"], gold, overlap(item["question"], answer)))
    return out


def paraphrase_report(index: Index, articles, cache: Path, progress) -> dict:
    """The hand-written paraphrase sets (bench/paraphrases): dense alone, first stage, second stage,
    on all of each set and on its questions that share no content word with the answer."""
    from qa.embed import query_encoder

    progress("paraphrases: seed (its own index), odd and even SQuAD (pooled)")
    seed_index = _index(index.settings, SEEDS, cache / "seed-index")
    seed_index.refresh()
    out = {}
    for name, idx, arts in (("seed", seed_index, None), ("odd", index, articles), ("even", index, articles)):
        st = idx.state
        items = paraphrase_items(name, arts, st)
        if not items:
            continue
        qtexts = [q for q, _, _ in items]
        base = query_encoder(idx.settings.model, tuned=False).encode(qtexts)
        tuned = idx.query_encoder.encode(qtexts)
        pairs = [(q, g) for q, g, _ in items]
        zero = np.array([o == 0 for _, _, o in items])
        dense_t = np.array([dense_rank(st, v, g) for v, (_, g) in zip(tuned, pairs)])
        dense_b = np.array([dense_rank(st, v, g) for v, (_, g) in zip(base, pairs)])
        first, _, _ = ranks(st, pairs, base, rank_first)
        second, _, _ = ranks(st, pairs, tuned, second_stage(idx.calibration))
        rows = {"dense alone (base)": dense_b, "dense alone (tuned questions)": dense_t, "first stage": first,
                "second stage (ours)": second}
        if st.e5 is not None:
            rows["second stage without e5"] = ranks(replace(st, e5=None), pairs, tuned,
                                                    second_stage(idx.calibration))[0]
        out[name] = {"questions": len(items), "mean overlap": float(np.mean([o for *_, o in items])),
                     "zero overlap": int(zero.sum()),
                     "rows": {k: {"r@1": float(np.mean(v == 1)), "r@3": float(np.mean((v > 0) & (v <= 3))),
                                  "zero r@1": float(np.mean(v[zero] == 1)) if zero.any() else None,
                                  "zero r@3": float(np.mean((v[zero] > 0) & (v[zero] <= 3))) if zero.any() else None}
                              for k, v in rows.items()}}
    return out


def ablation(state, qs: list[Question], qvecs: np.ndarray, plain_dense: np.ndarray, plain_bm25: np.ndarray,
             progress) -> dict:
    """Each signal's share of the fused score, every row scored (pooled), with the production formula."""
    progress("ablation: the fused score built up one signal at a time")
    sent_lex, para_lex = state.bm25
    dense = qvecs @ np.asarray(state.vectors).T
    ctx_bm25 = np.stack([sent_lex.scores(q.text)[0] for q in qs])
    para_bm25 = np.stack([para_lex.scores(q.text)[0] for q in qs])[:, state.para]
    zero = np.zeros_like(dense)
    variants = {
        "dense, sentence read with title and speaker": dense,
        "+ BM25 of the sentence": fuse(dense, ctx_bm25, zero),
        "+ BM25 of its paragraph (ours)": fuse(dense, ctx_bm25, para_bm25),
        "ours without title and speaker context": fuse(plain_dense, plain_bm25, para_bm25),
    }
    return {name: split(full_ranks(m, qs), qs)["all"] for name, m in variants.items()}


ONE_ARTICLE = (1, 13, 27, 41)  # odd (held-out) articles indexed alone
FIVE_ARTICLES = (3, 15, 25, 35, 45)


def abstention(index, articles, qs, qvecs, tvecs, own_top, cache, data, progress) -> dict:
    """Off-topic, answerable and impossible questions, at index sizes from one article to 48: with
    the second stage and each index's own calibrated threshold (ours), with the rule's floor alone
    (no calibration), and with the first stage at its fixed 0.5 (before)."""
    from qa.answerable import bank_vectors, calibrate, decision_for

    rule = decision_for(index.state)
    bank = bank_vectors(index.settings.model)
    state = index.state
    rng = np.random.default_rng(0)
    case: dict = {}

    def measure(name, st, calib, answerable, offtopic):
        """answerable/offtopic: lists of (question, base vector, tuned vector)."""
        row = abstained_on(st, calib, answerable, offtopic, rule.threshold)
        case[name] = row
        progress(f"  {name}: off-topic abstained {row['off-topic abstained']:.1%}, "
                 f"answerable abstained {row['answerable abstained']:.1%}")

    def squad(i):
        return (qs[i].text, qvecs[i], tvecs[i])

    by_article: dict[int, list[int]] = {}
    for i, q in enumerate(qs):
        by_article.setdefault(q.article, []).append(i)
    doc_ids = [d.id for d in state.documents]

    progress("abstention: the seed article alone (off-topic: every SQuAD question)")
    from qa.embed import embedder, query_encoder

    seed_index = _index(index.settings, SEEDS, cache / "seed-index")
    seed_index.refresh()
    seed_q = [q for q, _ in json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))] + \
        [q for q, _, _ in paraphrase_items("seed", None, seed_index.state)]
    base_seed = query_encoder(index.settings.model, tuned=False).encode(seed_q)
    tuned_seed = query_encoder(index.settings.model).encode(seed_q)
    seed_items = list(zip(seed_q, base_seed, tuned_seed))
    measure("seed article (1)", seed_index.state, seed_index.calibration, seed_items, [squad(i) for i in range(len(qs))])
    for n in ONE_ARTICLE:
        sub, _ = subset(state, [doc_ids[n]])
        others = rng.choice([i for i in range(len(qs)) if qs[i].article != n], 1000, replace=False)
        measure(f"{doc_ids[n]} (1)", sub, calibrate(sub, bank), [squad(i) for i in by_article[n]],
                [squad(int(i)) for i in others])
    sub, _ = subset(state, [doc_ids[n] for n in FIVE_ARTICLES])
    inside = [i for n in FIVE_ARTICLES for i in by_article[n]]
    others = rng.choice([i for i in range(len(qs)) if qs[i].article not in FIVE_ARTICLES], 1000, replace=False)
    measure("five odd articles (5)", sub, calibrate(sub, bank), [squad(i) for i in inside], [squad(int(i)) for i in others])
    pooled_sample = rng.choice(len(qs), 2000, replace=False)
    measure("all SQuAD dev (48)", state, index.calibration, [squad(int(i)) for i in pooled_sample], seed_items)

    progress("abstention: SQuAD v2.0 impossible questions against their own article")
    v2 = json.loads((data / "squad-dev-v2.0-derived.json").read_text(encoding="utf-8"))["data"]
    doc_of = {a["title"]: f"{n:02d}_{a['title']}" for n, a in enumerate(articles)}
    impossible = [(qa["question"], doc_of[a["title"]]) for a in v2 for p in a["paragraphs"] for qa in p["qas"]
                  if qa.get("is_impossible")]
    ivecs = encode_cached(index, [q for q, _ in impossible], cache, "impossible-tuned", embedder(index.settings.model, True))
    th = rule.threshold
    _, imp_top, _ = ranks(state, [(q, frozenset()) for q, _ in impossible], ivecs, second_stage(index.calibration),
                          lambda i: state.rows_of(impossible[i][1]))
    v2_titles = {doc_of[a["title"]] for a in v2}
    in_v2 = np.array([q.doc in v2_titles for q in qs])
    return {"sizes": case, "impossible": {
        "questions": len(impossible), "threshold": round(th, 4),
        "impossible abstained": float(np.mean(imp_top < th)),
        "answerable of the same articles abstained": float(np.mean(own_top[in_v2] < th))}}


def seed_questions(cache: Path, settings: Settings | None = None) -> dict:
    """Questions written by hand about the seed article, each with the sentence that answers it,
    asked of the seed article's index built with ``settings`` (its model; default: the environment's)."""
    from qa.answer import evidence, threshold
    from qa.retrieve import retrieve

    index = _index(settings or Settings.from_env(), SEEDS, cache / "seed-index")
    pairs = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    first = top3 = answered = 0
    for q, gold in pairs:
        hits = retrieve(q, k=3, index=index)
        first += hits[0].sentence == gold
        top3 += gold in [h.sentence for h in hits]
        answered += evidence(hits[0]) >= threshold(index)
    n = len(pairs)
    return {"questions": n, "first": first / n, "top 3": top3 / n, "answered (not abstained)": answered / n}


def markdown(report: dict) -> str:
    lines = [f"ReQA, SQuAD v1.1 dev: {report['sentences']:,} sentences, {report['questions']:,} questions, "
             f"{report['articles']} articles.", "",
             "| retriever | MRR | R@1 | R@5 | R@10 | MRR odd (held out) | R@1 odd | ms/question |",
             "|---|---|---|---|---|---|---|---|"]
    for name in ("bm25", "minilm sentence", "first stage (pooled)", "first stage, tuned questions (pooled)",
                 "ours (pooled)", "ours without e5 (pooled)",
                 "bm25 (per article)", "minilm sentence (per article)", "first stage (per article)",
                 "ours (per article)"):
        if name not in report:
            continue
        m, o = report[name]["all"], report[name]["odd (held out)"]
        ms = f"{report[name]['ms']:.1f}" if "ms" in report[name] else ""
        lines.append(f"| {name} | {m['mrr']:.3f} | {m['r@1']:.3f} | {m['r@5']:.3f} | {m['r@10']:.3f} | {o['mrr']:.3f} "
                     f"| {o['r@1']:.3f} | {ms} |")
    lines += ["", "ms/question: ranking only (the question's encoding, the same for every row, is in bench/perf.py).",
              "", "Ablation of the first stage, pooled, every row scored with its formula:", "",
              "| variant | MRR | R@1 | R@10 |", "|---|---|---|---|"]
    for name, m in report["ablation"].items():
        lines.append(f"| {name} | {m['mrr']:.3f} | {m['r@1']:.3f} | {m['r@10']:.3f} |")
    para = report.get("paraphrases", {})
    if para:
        lines += ["", "Hand-written paraphrase questions (bench/paraphrases; seed on its own index, SQuAD pooled):", "",
                  "| set | questions | mean overlap | method | R@1 | R@3 | zero-overlap R@1 | zero-overlap R@3 |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, p in para.items():
            for method, m in p["rows"].items():
                z1 = f"{m['zero r@1']:.3f}" if m["zero r@1"] is not None else ""
                z3 = f"{m['zero r@3']:.3f}" if m["zero r@3"] is not None else ""
                lines.append(f"| {name} | {p['questions']} ({p['zero overlap']} zero) | {p['mean overlap']:.2f} | "
                             f"{method} | {m['r@1']:.3f} | {m['r@3']:.3f} | {z1} | {z3} |")
    ph = report.get("answer phrase", {})
    if ph:
        lines += ["", "Answer phrase (qa/phrase.py) on the odd articles' questions whose top sentence is right:", "",
                  "| question type | questions | phrase shown | of those, the answer (token F1 >= 0.5) |", "|---|---|---|---|"]
        for t, m in ph.items():
            prec = f"{m['precision']:.1%}" if m["precision"] is not None else ""
            lines.append(f"| {t} | {m['questions']:,} | {m['shown']:.1%} | {prec} |")
    a = report["abstention"]
    lines += ["", "Abstention at each index size (ours: the second stage's confidence, against this index's "
              "calibration; no calibration: the same rule with average calibration figures; before: the first stage "
              "at 0.5):", "",
              "| index (articles) | off-topic abstained | answerable abstained | off-topic, no calibration | "
              "answerable, no calibration | off-topic, before | answerable, before |", "|---|---|---|---|---|---|---|"]
    for name, r in a["sizes"].items():
        before = [k for k in r if k.startswith("off-topic abstained (before")][0]
        lines.append(f"| {name} ({r['off-topic']:,} off-topic / {r['answerable']:,} answerable) | "
                     f"{r['off-topic abstained']:.1%} | {r['answerable abstained']:.1%} "
                     f"| {r['off-topic abstained (no calibration)']:.1%} | {r['answerable abstained (no calibration)']:.1%} "
                     f"| {r[before]:.1%} | {r[before.replace('off-topic', 'answerable')]:.1%} |")
    imp = a["impossible"]
    lines += ["", f"SQuAD v2.0 impossible questions ({imp['questions']:,}) asked of their own article: "
              f"{imp['impossible abstained']:.1%} abstained; answerable questions of the same articles "
              f"{imp['answerable of the same articles abstained']:.1%} abstained (threshold {imp['threshold']:.3f}).", "",
              "Hand-written questions about the seed article ({questions}): answering sentence first {first:.0%}, "
              "in the top 3 {top 3:.0%}, answered {answered (not abstained):.0%}.".format(**report["seed questions"]), "",
              f"Took {report['seconds']:.0f} s."]
    return "\n".join(lines) + "\n"
