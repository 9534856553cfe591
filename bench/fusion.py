"""Fit the second stage's ranking rule (qa/models/second-stage.json) on the even SQuAD dev articles.

Training questions, all from even-numbered articles: SQuAD's own; copies of them with the content
words they share with the answer sentence removed (so the rule cannot learn that overlap is all
that matters); and the hand-written even-article paraphrases (bench/paraphrases/even.json).
Each question's first-stage candidates (the best SECOND_STAGE by the fused score, pooled over
all 48 articles) are labelled 1 for a gold sentence, 0 otherwise, and a logistic regression
(scikit-learn) is fitted on qa.rerank.FEATURES. Printed: R@1 and MRR on the odd (held-out)
articles, the odd and seed paraphrases, first stage against second.

    python bench/fusion.py [--model news-minilm] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def load(model: str, cache: Path, data: Path):
    from squad import questions, write_seeds
    from qa.index import Index

    articles = write_seeds(data / "squad-dev-v1.1.json", cache / "seeds")
    index = Index(seeds=cache / "seeds", index=cache / ("index" if model == "all-MiniLM-L6-v2" else f"index-{model}"),
                  model=model)
    index.refresh(progress=True)
    qs = [q for q in questions(articles, index) if q.gold]
    return articles, index, qs


def encode(index, texts: list[str]) -> np.ndarray:
    from qa.embed import embedder

    return embedder(index.settings.model, True).encode(texts) if texts else np.zeros((0, 384), np.float32)


def gather(state, items, qvecs, rows_of=None):
    """Features and labels of every question's second-stage candidates; also the first stage's ranks."""
    from qa.rerank import SECOND_STAGE, features, shortlist
    from qa.retrieve import candidates

    X, y, group, first = [], [], [], []
    for i, (q, doc, gold) in enumerate(items):
        rows = rows_of(doc) if rows_of else None
        sig = candidates(state, q, qvecs[i], SECOND_STAGE, rows)
        sub = shortlist(sig, SECOND_STAGE)
        X.append(features(state, q, sub, qvecs[i]))
        lab = np.isin(sub.rows, list(gold)).astype(np.int8)
        y.append(lab)
        group.append(np.full(len(sub.rows), i))
        hit = np.flatnonzero(lab)
        first.append(hit[0] + 1 if len(hit) else 0)
    return np.concatenate(X), np.concatenate(y), np.concatenate(group), np.array(first)


def ranks_of(scores: np.ndarray, y: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, np.int64)
    for i in range(n):
        m = group == i
        s, lab = scores[m], y[m]
        if lab.any():
            best = s[lab == 1].max()
            out[i] = int((s > best).sum()) + 1
    return out


def summary(ranks: np.ndarray) -> str:
    r = np.asarray(ranks)
    rr = np.where(r > 0, 1.0 / np.maximum(r, 1), 0)
    return f"R@1 {np.mean(r == 1):.3f} R@3 {np.mean((r > 0) & (r <= 3)):.3f} MRR {rr.mean():.3f} (n={len(r)})"


def main(argv=None) -> int:
    from sklearn.linear_model import LogisticRegression

    from qa.embed import embedder
    from qa.evaluate import encode_cached as _encode_cached
    from squad import SEEDS, paraphrase_items
    from qa.index import Index
    from qa.rerank import FEATURES, Rule
    from train_encoder import masked

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "eval")
    ap.add_argument("--write", action="store_true", help="write src/qa/models/second-stage.json")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--masked-weight", type=float, default=0.0, help="weight of a masked copy in the ranking fit")
    ap.add_argument("--answerable-only", action="store_true", help="keep the ranking rule, refit answerability")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    articles, index, qs = load(args.model, args.cache, args.data)
    state = index.state
    if args.answerable_only:
        out = ROOT / "src" / "qa" / "models" / "second-stage.json"
        fitted = json.loads(out.read_text())
        qv = _encode_cached(index, [q.text for q in qs], args.cache, "questions-tuned", embedder(args.model, True))
        fitted["answerable"] = fit_answerable(index, qs, qv)
        out.write_text(json.dumps(fitted, indent=1) + "\n")
        return 0
    texts = state.texts()
    qv = _encode_cached(index, [q.text for q in qs], args.cache, "questions-tuned", embedder(args.model, True))
    even = [(q.text, q.doc, q.gold, qv[i]) for i, q in enumerate(qs) if q.article % 2 == 0]
    odd = [(q.text, q.doc, q.gold, qv[i]) for i, q in enumerate(qs) if q.article % 2 == 1]
    masks = [(m, d, g) for t, d, g, _ in even for m in [masked(t, texts[min(g)])] if m]
    mv = encode(index, [m for m, _, _ in masks])
    para_even = [(q, "", g) for q, g, _ in paraphrase_items("even", articles, state)]
    para_odd = [(q, "", g) for q, g, _ in paraphrase_items("odd", articles, state)]
    pev, pov = encode(index, [q for q, _, _ in para_even]), encode(index, [q for q, _, _ in para_odd])
    print(f"{len(even)} even, {len(odd)} odd, {len(masks)} masked copies, {len(para_even)} even / {len(para_odd)} odd "
          f"paraphrases; {time.perf_counter() - t0:.0f}s", flush=True)

    train_items = [(t, d, g) for t, d, g, _ in even] + masks + para_even * 3
    train_vecs = np.concatenate([np.stack([v for *_, v in even]), mv] + [pev] * 3)
    X, y, g, _ = gather(state, train_items, train_vecs)
    # Masked copies (the question without the words it shares with its answer) are not used by the
    # rule by default: at weight 0.3 they taught it that coverage of the question is evidence
    # *against* a sentence (its coefficient turned negative), and "Who did Zelensky commend?" lost
    # its answer, which shares "commend" with it, to a sentence that shares nothing. The even
    # paraphrases carry the low-overlap cases instead.
    n_real = len(even)
    weight = np.where(g < n_real, 1.0, np.where(g < n_real + len(masks), args.masked_weight, 1.0))
    mean, scale = X.mean(0), X.std(0) + 1e-9
    clf = LogisticRegression(C=args.C, max_iter=3000).fit((X - mean) / scale, y, sample_weight=weight)
    rank_rule = Rule(mean, scale, clf.coef_[0], float(clf.intercept_[0]))
    print("coef:", dict(zip(FEATURES, np.round(clf.coef_[0], 3))))

    def report(label, items, vecs, rows_of=None, st=state):
        if not items:
            return {}
        X, y, g, first = gather(st, items, vecs, rows_of)
        second = ranks_of(rank_rule.logit(X), y, g, len(items))
        dense = ranks_of(X[:, 0], y, g, len(items))
        print(f"{label:28s} first {summary(first)} | second {summary(second)} | dense {summary(dense)}", flush=True)
        return {"first": first.tolist(), "second": second.tolist()}

    report("even masked (train)", masks[:2000], mv[:2000])
    report("SQuAD odd pooled", [(t, d, gg) for t, d, gg, _ in odd], np.stack([v for *_, v in odd]))
    report("odd paraphrases pooled", para_odd, pov)
    seed_file = ROOT / "bench" / "paraphrases" / "seed.json"
    if seed_file.exists():
        seed_index = Index(seeds=SEEDS, index=args.cache / f"seed-index-{args.model}", model=args.model)
        seed_index.refresh()
        ss = seed_index.state
        items = [(q, "", g) for q, g, _ in paraphrase_items("seed", None, ss)]
        report("seed paraphrases", items, encode(seed_index, [q for q, _, _ in items]), st=ss)
    fitted = {"features": list(FEATURES), "model": args.model, "rank": rank_rule.to_dict(),
              "fitted on": "even SQuAD v1.1 dev articles: questions, paraphrases x3, masked copies at weight "
                           f"{args.masked_weight}", "C": args.C}
    out = ROOT / "src" / "qa" / "models" / "second-stage.json"
    if args.write:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(fitted | {"answerable": None}, indent=1) + "\n")
        import qa.answerable
        import qa.rerank
        from qa.answerable import write_bank_vectors

        qa.rerank.rule.cache_clear()
        qa.answerable.bank_key.cache_clear()
        write_bank_vectors(args.model)
        fitted["answerable"] = fit_answerable(index, qs, qv)
        out.write_text(json.dumps(fitted, indent=1) + "\n")
        print(f"wrote {out}: answerable {fitted['answerable']}")
    return 0


MAX_WRONG = 0.05  # answerable questions wrongly called "not covered", at most, at the worst index size


def fit_answerable(index, qs, qv) -> dict:
    """The answerability rule of qa.answerable.Decision, from even articles only: at index sizes of
    1, 5 and 11 articles, answerable questions against their own article's index and off-topic ones
    (other even articles' questions) against it, each index calibrated with the bank as a built
    index is. A logistic regression on ANSWER_FEATURES; its threshold is the lowest probability
    that abstains on at least 99.5% of off-topic questions at every size."""
    from sklearn.linear_model import LogisticRegression

    from qa.answerable import ANSWER_FEATURES, answer_features, bank_vectors, calibrate, signals
    from qa.evaluate import subset
    from qa.rerank import Rule, rescore
    from qa.retrieve import candidates

    state = index.state
    rng = np.random.default_rng(1)
    doc_ids = [d.id for d in state.documents]
    even_idx = [i for i, q in enumerate(qs) if q.article % 2 == 0]
    by_article = {}
    for i in even_idx:
        by_article.setdefault(qs[i].article, []).append(i)
    bank = bank_vectors(index.settings.model)
    pools = [[n] for n in (0, 10, 20, 30, 40, 46)] + [[2, 14, 24, 34, 44], [4, 16, 28, 38, 42],
                                                       list(range(6, 48, 4))]

    def tops(sub, idx):
        out = []
        for i in idx:
            sig = candidates(sub, qs[i].text, qv[i], 1, None)
            out.append(signals(rescore(sub, qs[i].text, sig, 1, qv[i]))[0])
        return np.array(out)

    cases = []
    for pool in pools:
        sub, _ = subset(state, [doc_ids[n] for n in pool])
        cal = calibrate(sub, bank)
        inside = [i for n in pool for i in by_article[n]]
        inside = list(rng.choice(inside, min(600, len(inside)), replace=False))
        outside = list(rng.choice([i for i in even_idx if qs[i].article not in pool], 600, replace=False))
        cases.append((pool, cal, answer_features(tops(sub, inside), cal), answer_features(tops(sub, outside), cal)))
        print(f"pool {pool}: bank highs {np.round(cal.high, 3).tolist()}", flush=True)
    X = np.concatenate([np.concatenate([a, o]) for _, _, a, o in cases])
    y = np.concatenate([np.r_[np.ones(len(a)), np.zeros(len(o))] for _, _, a, o in cases])
    mean, scale = X.mean(0), X.std(0) + 1e-9
    clf = LogisticRegression(max_iter=3000, class_weight="balanced").fit((X - mean) / scale, y)
    rule = Rule(mean, scale, clf.coef_[0], float(clf.intercept_[0]))
    print("answerable coef:", dict(zip(ANSWER_FEATURES, np.round(clf.coef_[0], 3))))

    def prob(x):
        return 1 / (1 + np.exp(-rule.logit(x)))

    # The threshold: off-topic questions drawn from other SQuAD articles often find a sentence that
    # looks like an answer ("When was it founded?"), so at 99.5% of them abstained a third of the
    # answerable ones would be too. Chosen instead: the threshold that abstains on the most
    # off-topic questions at the worst size while abstaining on at most MAX_WRONG of the answerable
    # ones at the worst size. The curve is printed.
    best = None
    for t in np.round(np.arange(0.02, 0.99, 0.01), 2):
        off = min(np.mean(prob(o) < t) for _, _, _, o in cases)
        ans = max(np.mean(prob(a) < t) for _, _, a, _ in cases)
        if t * 100 % 5 == 0:
            print(f"threshold {t:.2f}: off-topic abstained >= {off:.3f} at every size, answerable abstained <= {ans:.3f}")
        if ans <= MAX_WRONG and (best is None or off > best[1]):
            best = (float(t), off, ans)
    threshold = best[0]
    print(f"chosen {best}")
    for pool, _, a, o in cases:
        print(f"pool {pool}: off-topic abstained {np.mean(prob(o) < threshold):.3f}, "
              f"answerable abstained {np.mean(prob(a) < threshold):.3f}", flush=True)
    high = np.mean([c.high for _, c, _, _ in cases], axis=0)
    return {"features": list(ANSWER_FEATURES), "rule": rule.to_dict(), "threshold": round(threshold, 4),
            "default high": [round(float(h), 5) for h in high],
            "fitted": "even articles; indexes of 1, 5 and 11 articles; threshold: >= 99.5% off-topic abstained at each"}


if __name__ == "__main__":
    sys.exit(main())
