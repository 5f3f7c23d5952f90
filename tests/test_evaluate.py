import pytest

from zsiw.evaluate import classification_scores, iob_strings, main_score, span_scores


def test_span_f1_hand_made_iob_example():
    # gold spans: s1 [1,2], [4]; s2 [0]        -> 3 gold spans
    # pred spans: s1 [1,2] (exact), [4,5] (too long: wrong); s2 [0] (exact), [2] (spurious)
    gold = [[0, 1, 2, 0, 1, 0], [1, 0, 0]]
    pred = [[0, 1, 2, 0, 1, 2], [1, 0, 1]]
    scores = span_scores(gold, pred)
    # tp = 2, fp = 2, fn = 1 -> P = 0.5, R = 2/3, F1 = 4/7
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(4 / 7)
    assert main_score(scores) == scores["f1"]


def test_span_f1_counts_an_orphan_inside_tag_as_a_span():
    # CoNLL convention: an I after O opens a span; here it matches the gold span exactly.
    assert span_scores([[0, 1, 2]], [[0, 2, 2]])["f1"] == pytest.approx(1.0)
    assert span_scores([[0, 0]], [[0, 0]])["f1"] == 0.0  # no spans at all


def test_iob_strings_accept_ints_and_names():
    assert iob_strings([0, 1, 2]) == ["O", "B-T", "I-T"]
    assert iob_strings(["O", "B", "I"]) == ["O", "B-T", "I-T"]


def test_classification_accuracy_and_macro_f1():
    scores = classification_scores([0, 0, 1, 1], [0, 1, 1, 1])
    assert scores["accuracy"] == pytest.approx(0.75)
    # class 0: P=1, R=0.5, F1=2/3; class 1: P=2/3, R=1, F1=0.8
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert main_score(scores) == scores["accuracy"]
