from qa import segment
from qa.ingest import parse


def sentences_of(doc):
    return [doc.text[s.start:s.end] for s in segment.segment(doc.text, doc.body_start)]


def test_seed_is_split_into_its_21_sentences_and_9_paragraphs(seed_doc):
    spans = segment.segment(seed_doc.text)
    assert len(spans) == 21
    assert [s.paragraph for s in spans][-1] == 9
    assert all(seed_doc.text[s.start:s.end] == seed_doc.text[s.start:s.end].strip() for s in spans)


def test_abbreviation_does_not_end_a_sentence(seed_doc):
    trump = [s for s in sentences_of(seed_doc) if "Donald Trump" in s]
    assert trump == ['Russia is "bombing like crazy right now," U.S. President Donald Trump said Monday, expressing '
                     "frustration over Moscow's actions as Washington pushes for a ceasefire."]


def test_a_quotation_of_two_sentences_stays_with_its_introduction(seed_doc):
    (s,) = [s for s in sentences_of(seed_doc) if "Well done" in s]
    assert s.startswith("He commended the 225th Assault Regiment")
    assert s.endswith('"Well done, guys! I\'m proud of each and every one who is fighting for Ukraine!"')


def test_split_inside_an_open_quote_is_rejoined():
    doc = parse("a.txt", b'She said: "We lost. We will not lose again." Then she left.')
    assert sentences_of(doc) == ['She said: "We lost. We will not lose again."', "Then she left."]


def test_blank_line_blocks_are_paragraphs_when_the_text_is_hard_wrapped():
    text = "First line\nwraps here.\n\nSecond paragraph. Two sentences."
    assert [(s.paragraph, text[s.start:s.end]) for s in segment.segment(text)] == [
        (1, "First line\nwraps here."), (2, "Second paragraph."), (2, "Two sentences.")]


# -- issue 11, reproduction 1: one long paragraph must not cost the square of its length ----------
import time

import pytest

from tests.support.bench import bench_script

bench_segment = bench_script("segment")  # bench/segment.py: the same text the bench times


def cpu(fn, *args):
    started = time.thread_time()
    out = fn(*args)
    return time.thread_time() - started, out


def test_segmentation_time_per_byte_stays_flat_from_10kb_to_a_long_paragraph():
    # Before: 10 KB 0.14 s, 80 KB 6.3 s (45x the time for 8x the text). Per byte it must stay flat.
    small = bench_segment.one_paragraph(10 * 1024)
    large = bench_segment.one_paragraph(320 * 1024)
    segment.segment(small)  # warm pysbd
    t_small = min(cpu(segment.segment, small)[0] for _ in range(3))
    t_large, spans = cpu(segment.segment, large)
    assert len(spans) > 2000
    per_byte_ratio = (t_large / len(large)) / (t_small / len(small))
    assert per_byte_ratio < 2.0, f"{t_small:.3f}s for 10 KB, {t_large:.3f}s for 320 KB"


def test_windowed_splitting_gives_the_same_sentences_as_one_pysbd_call_on_a_normal_paragraph():
    import pysbd

    text = bench_segment.one_paragraph(12_000)
    whole = [s.strip() for s in pysbd.Segmenter(language="en", clean=False).segment(text) if s.strip()]
    ours = [text[a:b] for a, b in segment.sentences(text, 0, len(text))]
    assert ours == whole  # (the seed has no quotation longer than a sentence, so nothing is re-joined)


def test_a_quotation_that_spans_windows_stays_one_sentence():
    quote = 'She said: "' + "We lost the match today. " * 100 + 'We go home." Then she left. '
    text = quote * 3
    got = [text[a:b] for a, b in segment.sentences(text, 0, len(text))]
    assert got == [quote.split(" Then")[0], "Then she left."] * 3


def test_the_2mb_one_paragraph_article_is_refused_within_seconds_with_a_clear_reason():
    text = "The board said the test passed today. " * 55000  # 2 MB: the reported article
    seconds, err = cpu(lambda: pytest.raises(segment.TooLong, segment.segment, text, 0, segment.Budget()))
    assert seconds < 10
    assert "5,000 sentences" in str(err.value)


def test_every_span_is_exact_text_for_a_long_paragraph_with_no_sentence_ends():
    text = ("word " * 3000).strip()  # 15 KB and no full stop: cut at spaces, never mid-word
    spans = segment.sentences(text, 0, len(text))
    assert "".join(text[a:b] + " " for a, b in spans).strip() == text
    assert all(b - a <= segment.WINDOW for a, b in spans)
