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
