"""The calibrated decision's three outcomes, on candidates' probabilities as the searcher hands them over."""

from bot.search.calibration import Calibration, decide

CALIBRATION = Calibration()


def test_a_sure_first_candidate_is_answered_alone() -> None:
    decision = decide([0.97, 0.6, 0.5], True, CALIBRATION)
    assert decision.answer and decision.offered == () and decision.chosen == 0


def test_a_close_runner_up_is_offered_with_the_answer_and_a_far_one_is_not() -> None:
    decision = decide([0.6, 0.05, 0.4], True, CALIBRATION)
    assert decision.answer and decision.offered == (2,)


def test_no_answer_offers_the_plausible_candidates_likeliest_first() -> None:
    decision = decide([0.3, 0.1, 0.4, 0.17], False, CALIBRATION)
    assert not decision.answer and decision.offered == (2, 0)


def test_no_answer_whose_first_candidate_is_implausible_offers_nothing() -> None:
    """A runner-up's probability reads its place beside the first (same section, same article): for a question nothing
    answers ("futbol maçı kaç kaç bitti"), the first's neighbours come out near 0.15 all the same."""
    assert decide([0.01, 0.07, 0.15], False, CALIBRATION).offered == ()


def test_a_likelier_runner_up_is_answered_and_the_first_by_rank_offered_before_the_others() -> None:
    """The rank score and the probabilities disagree: the reader gets the likelier reading and, one tap away, the
    other one first."""
    decision = decide([0.22, 0.34, 0.31, 0.24], True, CALIBRATION)
    assert decision.answer and decision.chosen == 1 and decision.offered == (0, 2)


def test_across_languages_the_first_stays_the_answer_unless_a_taught_question_points_elsewhere() -> None:
    assert decide([0.6, 0.7], True, CALIBRATION, across=True).chosen == 0
    assert decide([0.6, 0.7], True, CALIBRATION, across=True, taught=[False, True]).chosen == 1
