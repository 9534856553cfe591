"""Attribution precision and recall on hand-labelled news sentences, before and after.

    python bench/attribution.py            # the code as it is, and as it was at BASELINE
    python bench/attribution.py --errors   # also list every wrong or missed speaker

Articles are under bench/attribution/{dev,held_out}/, one sentence a line as ``SPEAKER | sentence``
(``-`` for narration), a blank line between paragraphs; see bench/attribution/README.md. The text
is put together exactly as an article file would be and goes through the product's own segmenter
and ``attribute.speakers``; each labelled sentence is scored by the speaker of the segment that
holds its first character.

precision: right speakers / sentences given a speaker; recall: right speakers / sentences that
have one. A speaker is right when it matches the label case-insensitively, with a leading "the",
"a", "an" or "one" ignored.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from qa import attribute, segment  # noqa: E402

HERE = ROOT / "bench" / "attribution"
BASELINE = "1f5bb55"  # main before issue 12: the attribution rules as they were


@dataclass(frozen=True)
class Labelled:
    article: str
    text: str
    start: int
    speaker: str | None


def load(path: Path) -> tuple[str, list[Labelled]]:
    paragraphs, labels, pos, out = [], [], 0, []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        sentences = []
        for line in block.strip().splitlines():
            who, _, sentence = line.partition(" | ")
            sentences.append((None if who.strip() == "-" else who.strip(), sentence.strip()))
        paragraphs.append(sentences)
    text = ""
    for n, sentences in enumerate(paragraphs):
        if n:
            text += "\n\n"
        for m, (who, sentence) in enumerate(sentences):
            if m:
                text += " "
            out.append(Labelled(path.stem, sentence, len(text), who))
            text += sentence
    return text, out


def norm(name: str | None) -> str | None:
    if not name:
        return None
    words = name.lower().replace("’", "'").strip(" .,'\"").split()
    while words and words[0] in ("the", "a", "an", "one"):
        words = words[1:]
    return " ".join(words) or None


def baseline_module() -> types.ModuleType | None:
    try:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE}:src/qa/attribute.py"],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("attribute_baseline")
    exec(compile(source, f"{BASELINE}:src/qa/attribute.py", "exec"), module.__dict__)  # our own code, from git
    return module


def score(module, folder: Path, errors: list | None = None) -> dict:
    tp = predicted = gold = narration_wrong = n = articles = 0
    for path in sorted(folder.glob("*.txt")):
        articles += 1
        text, labelled = load(path)
        spans = segment.segment(text)
        found = module.speakers(text, [(s.paragraph, s.start, s.end) for s in spans])
        for lab in labelled:
            n += 1
            at = next(i for i, s in enumerate(spans) if s.start <= lab.start < max(s.end, s.start + 1))
            got, want = norm(found[at]), norm(lab.speaker)
            predicted += got is not None
            gold += want is not None
            tp += got is not None and got == want
            narration_wrong += want is None and got is not None
            if errors is not None and got != want:
                errors.append(f"{path.stem}: want {lab.speaker!r} got {found[at]!r}: {lab.text[:90]}")
    return {"articles": articles, "sentences": n, "speech": gold, "precision": tp / predicted if predicted else 0.0,
            "recall": tp / gold if gold else 0.0, "narration_given_a_speaker": narration_wrong}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--errors", action="store_true", help="list the wrong and missed speakers of the current code")
    args = ap.parse_args()
    old = baseline_module()
    print("| set | code | articles | labelled sentences | with a speaker | precision | recall | narration given a speaker |")
    print("|---|---|---|---|---|---|---|---|")
    errs: list[str] = []
    for name in ("dev", "held_out"):
        folder = HERE / name
        for label, module in ((f"before ({BASELINE})", old), ("after", attribute)):
            if module is None:
                print(f"| {name} | {label} | (git history unavailable) |||||")
                continue
            r = score(module, folder, errs if (args.errors and module is attribute) else None)
            print(f"| {name} | {label} | {r['articles']} | {r['sentences']} | {r['speech']} | {r['precision']:.3f} | "
                  f"{r['recall']:.3f} | {r['narration_given_a_speaker']} |")
    for e in errs:
        print(e)


if __name__ == "__main__":
    main()
