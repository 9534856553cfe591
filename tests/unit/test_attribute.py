import pytest

from qa import attribute, segment

# Every sentence of the seed article with quoted or reported speech, and its speaker.
SEED_SPEAKERS = {
    "Ukrainian President Volodymyr Zelensky confirmed": "Volodymyr Zelensky",
    '"We continue to carry out active operations': "Volodymyr Zelensky",
    "He added that the operations aim": "Volodymyr Zelensky",
    '"Including our presence in the Kursk': "Volodymyr Zelensky",
    "He commended the 225th Assault Regiment": "Volodymyr Zelensky",
    'Russia is "bombing like crazy right now,"': "Donald Trump",
    '"Our main objective remains the same': "Volodymyr Zelensky",
    "Russian officials claim": "Russian officials",
    "However, geolocated footage and independent analysts have reported": "independent analysts",
    "The Institute for the Study of War noted": "Institute for the Study of War",
    "In the past 48 hours, however, some Russian sources have reported": "Russian sources",
    "Military analyst Emil Kastehelmi of the Black Bird Group said": "Emil Kastehelmi",
    '"The Ukrainians may be able t take': "Emil Kastehelmi",
    "He also questioned whether": "Emil Kastehelmi",
}


def test_every_speech_sentence_of_the_seed_has_its_speaker_and_no_other_sentence_has_one(seed_doc):
    spans = segment.segment(seed_doc.text)
    found = attribute.speakers(seed_doc.text, [(s.paragraph, s.start, s.end) for s in spans])
    got = {}
    for s, who in zip(spans, found):
        text = seed_doc.text[s.start:s.end]
        key = next((k for k in SEED_SPEAKERS if text.startswith(k)), None)
        if key is None:
            assert who is None, text
        else:
            got[key] = who
    assert got == SEED_SPEAKERS


@pytest.mark.parametrize("sentence, speaker", [
    ('"We will win," said Jane Smith.', "Jane Smith"),
    ("According to Prime Minister Keir Starmer, talks failed.", "Keir Starmer"),
    ("Dr. Ada Lovelace told reporters the engine works.", "Ada Lovelace"),
    ("Officials warned that roads would close.", "Officials"),
    ("The storm hit the coast on Tuesday.", None),
    ('The so-called "gray zone" lies east.', None),
])
def test_news_conventions_on_any_article(sentence, speaker):
    assert attribute.speaker_of(sentence) == speaker


def test_pronoun_and_unattributed_quote_continue_the_previous_speaker():
    text = 'Mayor Ana Lopez spoke first. "It is done," Lopez said.\n"We are proud." She added that more would come.'
    spans = [(1, 0, 28), (1, 29, 54), (2, 55, 70), (2, 71, len(text))]
    assert attribute.speakers(text, spans) == [None, "Ana Lopez", "Ana Lopez", "Ana Lopez"]


@pytest.mark.parametrize("sentence, speaker", [
    ('Its director, Lena Varga, called the decision "a fair compromise".', "Lena Varga"),
    ("The mayor of Springfield said the bridge would reopen.", "the mayor of Springfield"),
    ('"It will reopen," said the mayor of Springfield.', "the mayor of Springfield"),
    ("'It's the heart of the place,' said Jean Whitlock, 71, who organised the petition.", "Jean Whitlock"),
    ('"We switched off," said Carrow manager Paul Hendry.', "Paul Hendry"),
    ('"We are grateful," said Inspector Claire Dunn.', "Claire Dunn"),
    ("Peter Lindqvist, a geochemist who was not involved, cautioned that the method had problems.", "Peter Lindqvist"),
    ("The Federal Trade Commission declined to comment.", "Federal Trade Commission"),
    ("The court declined the request.", None),
])
def test_appositives_titles_and_british_quotes(sentence, speaker):
    assert attribute.speaker_of(sentence) == speaker


def test_the_office_and_she_resolve_to_who_was_named_before():
    text = ('The mayor of Brookfield said the gap was large. "I hate this vote," the mayor said.\n\n'
            'Ann Lee said costs rose. The Parks Board said it disagreed. "It is wrong," she said.')
    spans = [(s.paragraph, s.start, s.end) for s in segment.segment(text)]
    assert [text[a:b][:6] for _, a, b in spans] == ["The ma", '"I hat', "Ann Le", "The Pa", '"It is']
    assert attribute.speakers(text, spans) == ["the mayor of Brookfield", "the mayor of Brookfield", "Ann Lee",
                                               "Parks Board", "Ann Lee"]
