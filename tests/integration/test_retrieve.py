import pytest

from qa import QuestionError, retrieve
from qa.config import MAX_QUESTION_CHARS
from tests.support import SEED_ID

pytestmark = pytest.mark.integration


def test_the_regiment_question_quotes_the_regiment_sentence_with_its_speaker(seed_index):
    hits = retrieve("Which regiment did Zelensky commend?", k=3, index=seed_index)
    top = hits[0]
    assert top.text.startswith("He commended the 225th Assault Regiment deployed near Belgorod")
    assert (top.speaker, top.paragraph, top.doc) == ("Volodymyr Zelensky", 4, SEED_ID)
    assert top.sentence == 7 and top.sentence_in_paragraph == 2
    assert top.title == "Ukrainian President Volodymyr Zelensky confirmed for the first…"  # a label from the lede, not the id
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_every_passage_is_the_exact_document_text_at_its_offsets(seed_index):
    hits = retrieve("Russia Ukraine Belgorod Kursk Zelensky Trump", k=100, index=seed_index)
    assert len(hits) == 21
    text = seed_index.document(SEED_ID).text
    for h in hits:
        assert h.text == text[h.start:h.end]


def test_result_is_a_frozen_dataclass_with_to_dict(seed_index):
    p = retrieve("Who is Emil Kastehelmi?", k=1, index=seed_index)[0]
    assert p.to_dict()["speaker"] == "Emil Kastehelmi"
    with pytest.raises(AttributeError):
        p.text = "changed"


@pytest.mark.parametrize("question, message", [
    ("", "empty"), ("   \n\t", "empty"), (None, "no question"), (42, "must be text"),
    ("x" * (MAX_QUESTION_CHARS + 1), "characters long"), ("a\ud800b", "surrogates"), ("\u200b\u202e", "empty"),
])
def test_bad_questions_raise_a_value_error_a_person_can_act_on(seed_index, question, message):
    with pytest.raises(QuestionError, match=message):
        retrieve(question, index=seed_index)
    assert issubclass(QuestionError, ValueError)


def test_bad_k_and_unknown_documents_are_errors(seed_index):
    with pytest.raises(QuestionError, match="k must be"):
        retrieve("Belgorod?", k=0, index=seed_index)
    with pytest.raises(QuestionError, match="unknown document"):
        retrieve("Belgorod?", docs=["nope"], index=seed_index)
