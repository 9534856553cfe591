import pytest

from qa import answer
from tests.support import unmark

pytestmark = pytest.mark.integration


def test_answer_quotes_with_attribution(seed_index):
    res = answer("Which regiment did Zelensky commend?", index=seed_index)
    assert not res.abstained
    md = str(res)
    first = md.split("\n\n")[0]
    assert "**commended**" in first and "**Regiment**" in first
    assert "**Volodymyr Zelensky**" in first and "paragraph 4" in first
    quoted = first.split("\n")[0][len("> "):]
    assert unmark(quoted) == res.passages[0].text


def test_off_topic_question_is_not_answered_but_shows_the_nearest_passage(seed_index):
    res = answer("Who won the Super Bowl in 2016?", index=seed_index)
    assert res.abstained and len(res.passages) == 1
    assert str(res).startswith("**The articles do not cover this question.** Closest, but not an answer:")


def test_follow_ups_resolve_pronouns_against_the_previous_answer(seed_index):
    from qa.answer import converse

    talk = ["Who is Emil Kastehelmi?"]
    quoted = [answer(talk[0], k=1, index=seed_index).passages[0].sentence]
    for _ in range(2):  # the article quotes him three times: one new sentence per "what else"
        talk.append("What else did he say?")
        res = converse(talk, k=1, index=seed_index)
        assert res.searched == "What else did Emil Kastehelmi say?" and not res.abstained
        assert res.passages[0].speaker == "Emil Kastehelmi" and res.passages[0].sentence not in quoted
        quoted.append(res.passages[0].sentence)
    assert sorted(quoted) == [18, 19, 20]
    res = converse(talk + ["What else did he say?"], k=1, index=seed_index)
    assert res.abstained and str(res) == "**The articles quote nothing else from Emil Kastehelmi.**"
    res = converse(talk + ["What else did he say?", "Who is he?"], k=1, index=seed_index)  # the speaker is kept
    assert res.searched == "Who is Emil Kastehelmi?" and res.passages[0].speaker == "Emil Kastehelmi"
    res = converse(["What did Trump say about Russia?", "What did he say?"], index=seed_index)
    assert [p.speaker for p in res.passages] == ["Donald Trump"]
