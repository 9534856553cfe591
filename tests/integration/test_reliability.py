"""Bad input everywhere it enters, files that break, and writers killed mid-write."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import Index, QuestionError, answer, retrieve
from qa.index import load_generation
from tests.support import write

pytestmark = pytest.mark.integration

NASTY_QUESTIONS = [
    "x" * 100_000, "y" * 10_000_000, "\x00\x01\x02 Who did Zelensky commend?", "a\udc80b",
    "\u200b\u200c\u200d\u2060\ufeff", "\u202eWho did Zelensky commend?\u202c", "😀" * 500,
    "e" + "\u0301" * 1500, "من الذي أشاد به زيلينسكي؟", "**bold** <script>alert(1)</script> [x](javascript:alert(1))",
]


@pytest.mark.parametrize("question", NASTY_QUESTIONS, ids=lambda q: repr(q[:12]))
def test_hostile_questions_get_an_answer_or_a_clear_error_never_an_echo(seed_index, question):
    try:
        res = answer(question, index=seed_index)
    except QuestionError as exc:
        assert len(str(exc)) < 200 and question not in str(exc)
        return
    md = str(res)
    assert "<script>" not in md and "](javascript" not in md
    for p in res.passages:
        assert p.text == seed_index.document(p.doc).text[p.start:p.end]


def test_control_and_invisible_characters_do_not_change_the_answer(seed_index):
    plain = retrieve("Who did Zelensky commend?", k=1, index=seed_index)[0]
    noisy = retrieve("\x00Who did\u200b Zelensky\u202e commend?\x07", k=1, index=seed_index)[0]
    assert plain == noisy


words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@pytest.mark.slow  # 60 questions asked
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.one_of(words, st.text(max_size=50), st.binary(max_size=30).map(lambda b: b.decode("latin-1"))))
def test_any_question_is_answered_verbatim_or_refused_with_question_error(seed_index, q):
    try:
        hits = retrieve(q, k=5, index=seed_index)
    except QuestionError:
        return
    for h in hits:
        assert h.text == seed_index.document(h.doc).text[h.start:h.end]


@pytest.mark.slow  # builds its own index
def test_odd_articles_index_or_are_skipped_by_name_and_the_others_are_unaffected(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write(seeds, "good.txt", "The mayor said the bridge will reopen in May.")
    write(seeds, "latin.txt", "Le maire a déclaré que le pont rouvrira.".encode("latin-1"))
    write(seeds, "utf16.txt", "Officials said the dam held.".encode("utf-16"))
    write(seeds, "empty.txt", b"")
    write(seeds, "binary.txt", bytes(range(256)) * 10)
    write(seeds, "huge.txt", b"word " * (5 * 1024 * 1024))
    write(seeds, "script.html", "<p>Voters queued.</p><script>alert(1)</script>")
    write(seeds, "raw.md", "Turnout rose.\n\n<script>alert(1)</script>\n\n<b>Bold</b> claim.")
    index = Index(seeds=seeds, index=tmp_path / "index")
    index.refresh()
    ids = sorted(d.id for d in index.documents)
    assert ids == ["good", "latin", "raw", "script", "utf16"]
    assert {w.split(":")[0].removeprefix("skipped ") for w in index.warnings} == {"empty.txt", "binary.txt", "huge.txt"}
    assert "alert" not in index.document("script").text and "alert" not in index.document("raw").text
    assert index.document("latin").text == "Le maire a déclaré que le pont rouvrira."
    assert retrieve("When will the bridge reopen?", k=1, index=index)[0].doc == "good"


@pytest.mark.parametrize("damage", ["truncate-faiss", "flip-vectors", "flip-bm25", "drop-passages", "bad-manifest",
                                    "wrong-count", "garbage-current"])
@pytest.mark.slow  # builds its own index, twice
def test_a_damaged_index_is_detected_in_one_line_and_rebuilt(tmp_path, seed_dir, caplog, damage):
    index = Index(seeds=seed_dir, index=tmp_path / "index")
    index.refresh()
    gen = index.state.generation
    if damage == "truncate-faiss":
        (gen / "faiss.index").write_bytes((gen / "faiss.index").read_bytes()[:-7])
    elif damage == "flip-vectors":
        data = bytearray((gen / "vectors.npy").read_bytes())
        data[-5] ^= 0xFF
        (gen / "vectors.npy").write_bytes(bytes(data))
    elif damage == "flip-bm25":
        data = bytearray((gen / "bm25-sentences" / "data.csc.index.npy").read_bytes())
        data[-3] ^= 0xFF
        (gen / "bm25-sentences" / "data.csc.index.npy").write_bytes(bytes(data))
    elif damage == "drop-passages":
        (gen / "passages.json").unlink()
    elif damage == "bad-manifest":
        (gen / "manifest.json").write_text("{not json")
    elif damage == "wrong-count":
        m = json.loads((gen / "manifest.json").read_text())
        m["count"] += 1
        (gen / "manifest.json").write_text(json.dumps(m))
    else:
        (tmp_path / "index" / "CURRENT").write_text("../../etc")
    again = Index(seeds=seed_dir, index=tmp_path / "index")
    assert again.refresh() is True
    assert retrieve("Which regiment did Zelensky commend?", k=1, index=again)[0].paragraph == 4
    if damage != "garbage-current":
        assert len([r for r in caplog.records if "rebuilding" in r.getMessage()]) == 1


@pytest.mark.slow  # builds its own index, twice
def test_current_cannot_point_outside_the_index_folder(tmp_path, seed_dir):
    index = Index(seeds=seed_dir, index=tmp_path / "index")
    index.refresh()
    (tmp_path / "index" / "CURRENT").write_text(str(index.state.generation.resolve()))  # absolute: refused
    assert Index(seeds=seed_dir, index=tmp_path / "index").refresh() is True


WRITER = textwrap.dedent("""
    import sys, itertools
    from pathlib import Path
    from qa import Index
    seeds, index = Path(sys.argv[1]), Path(sys.argv[2])
    ix = Index(seeds=seeds, index=index)
    ix.refresh()
    print("ready", flush=True)
    for n in itertools.count():
        (seeds / "note.txt").write_text(f"Update number {n}: the council met again.")
        ix.refresh()
""")


@pytest.mark.slow
def test_a_writer_killed_at_random_points_always_leaves_a_loadable_index(tmp_path, seed_dir):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write(seeds, "base.txt", "The council approved the budget on Monday.")
    root = tmp_path / "index"
    rng = random.Random(7)
    generations = set()
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(seeds), str(root)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        current = (root / "CURRENT").read_text().strip()
        state = load_generation(root / current)  # raises if what CURRENT names is incomplete or damaged
        generations.add(current)
        assert state.documents[0].id == "base"
    assert len(generations) >= 3  # the kills really landed between different writes
    (seeds / "note.txt").unlink()
    assert Index(seeds=seeds, index=root).refresh() is True


@pytest.mark.slow  # two indexing processes
def test_two_processes_indexing_one_folder_at_once_leave_one_good_index(tmp_path, seed_dir):
    code = "import sys; from qa import Index; Index(seeds=sys.argv[1], index=sys.argv[2]).refresh(); print('ok')"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(seed_dir), str(tmp_path / "index")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    index = Index(seeds=seed_dir, index=tmp_path / "index")
    assert index.refresh() is False
    gens = [p for p in (tmp_path / "index").iterdir() if p.name.startswith("gen-")]
    assert len(gens) == 1  # the second waited for the lock, then found the index built


@pytest.mark.slow  # a 3,000-sentence upload
def test_questions_are_answered_from_the_old_index_while_an_upload_is_indexed(tmp_path, seed_dir):
    import threading

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for f in seed_dir.iterdir():
        (seeds / f.name).write_bytes(f.read_bytes())
    index = Index(seeds=seeds, index=tmp_path / "index")
    index.refresh()
    big = "\n".join(f"Report {n}: the harbour authority said cargo volume {n} rose in week {n % 52}." for n in range(3000))
    done = threading.Event()
    during, errors = [], []

    def add():
        try:
            index.add("harbour.txt", ("title: Harbour report\n" + big).encode())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=add)
    worker.start()
    while not done.is_set():
        hit = retrieve("Which regiment did Zelensky commend?", k=1, index=index)[0]
        during.append((done.is_set(), [d.id for d in index.state.documents], hit.paragraph))
    worker.join()
    assert not errors
    answered_during_build = [d for finished, d, _ in during if not finished and d == ["000_9c80ba997a9c7279"]]
    assert len(answered_during_build) >= 3  # served from the old index, not blocked behind the build
    assert all(p == 4 for *_, p in during)
    assert retrieve("cargo volume 2734", k=1, index=index)[0].doc == "harbour"
