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
    from qa.evaluate import questions, write_seeds
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

    X, y, group, first, cand_rows = [], [], [], [], []
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
        cand_rows.append(sub)
    return np.concatenate(X), np.concatenate(y), np.concatenate(group), np.array(first), cand_rows


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
    from qa.evaluate import SEEDS, _encode_cached, paraphrase_items
    from qa.index import Index
    from qa.rerank import FEATURES, Rule
    from train_encoder import masked

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "eval")
    ap.add_argument("--write", action="store_true", help="write src/qa/models/second-stage.json")
    ap.add_argument("--C", type=float, default=1.0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    articles, index, qs = load(args.model, args.cache, args.data)
    state = index.state
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
    X, y, g, first_tr, _ = gather(state, train_items, train_vecs)
    mean, scale = X.mean(0), X.std(0) + 1e-9
    clf = LogisticRegression(C=args.C, max_iter=2000).fit((X - mean) / scale, y)
    rank_rule = Rule(mean, scale, clf.coef_[0], float(clf.intercept_[0]))
    print("coef:", dict(zip(FEATURES, np.round(clf.coef_[0], 3))))

    def report(label, items, vecs, rows_of=None, st=state):
        if not items:
            return {}
        X, y, g, first, _ = gather(st, items, vecs, rows_of)
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
              "fitted on": "even SQuAD v1.1 dev articles: questions, masked copies, paraphrases x3", "C": args.C}
    out = ROOT / "src" / "qa" / "models" / "second-stage.json"
    if args.write:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(fitted | {"answerable": {"floor": 0.5, "quantile": 1.0, "margin": 0.0}}, indent=1) + "\n")
        import qa.rerank

        qa.rerank.rule.cache_clear()
        fitted["answerable"] = fit_answerable(index, qs, qv, even)
        out.write_text(json.dumps(fitted, indent=1) + "\n")
        print(f"wrote {out}: answerable {fitted['answerable']}")
    return 0


def fit_answerable(index, qs, qv, even) -> dict:
    """The floor, bank quantile and margin of qa.answerable.Decision, from even articles only: at
    index sizes of 1, 5 and 12 articles, answerable questions against their own article's index,
    off-topic ones (other even articles' questions) against it. Chosen: the rule that abstains on
    at least 99.5% of off-topic questions at every size and wrongly on the fewest answerable ones
    at the worst size."""
    from qa.answerable import bank_vectors, calibrate
    from qa.evaluate import rank_second, ranks, subset

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
    cases = []
    for pool in pools:
        sub, _ = subset(state, [doc_ids[n] for n in pool])
        tops = np.array(calibrate(sub, bank).tops)
        inside = [i for n in pool for i in by_article[n]]
        inside = list(rng.choice(inside, min(600, len(inside)), replace=False))
        outside = list(rng.choice([i for i in even_idx if qs[i].article not in pool], 600, replace=False))
        _, ans, _ = ranks(sub, [(qs[i].text, frozenset()) for i in inside], qv[inside], rank_second)
        _, off, _ = ranks(sub, [(qs[i].text, frozenset()) for i in outside], qv[outside], rank_second)
        cases.append((pool, tops, ans, off))
        print(f"pool {pool}: bank q99 {np.quantile(tops, .99):.3f}, off-topic q99.5 {np.quantile(off, .995):.3f}, "
              f"answerable q3 {np.quantile(ans, .03):.3f}", flush=True)
    best = None
    for quantile in (0.9, 0.95, 0.98, 0.99, 1.0):
        for margin in np.round(np.arange(-0.3, 0.31, 0.02), 2):
            for floor in np.round(np.arange(0.0, 0.61, 0.02), 2):
                ths = [max(floor, np.quantile(t, quantile) + margin) for _, t, _, _ in cases]
                off_rate = min(np.mean(off < th) for (_, _, _, off), th in zip(cases, ths))
                ans_rate = max(np.mean(ans < th) for (_, _, ans, _), th in zip(cases, ths))
                if off_rate >= 0.995 and (best is None or ans_rate < best[0]):
                    best = (ans_rate, off_rate, float(quantile), float(margin), float(floor))
    if best is None:
        raise SystemExit("no rule abstains on 99.5% of off-topic questions at every size")
    print(f"answerable: worst answerable abstained {best[0]:.3f}, worst off-topic abstained {best[1]:.3f}")
    return {"floor": best[4], "quantile": best[2], "margin": best[3],
            "fitted": "even articles; indexes of 1, 5 and 12 articles; off-topic >= 99.5% at every size"}


if __name__ == "__main__":
    sys.exit(main())
