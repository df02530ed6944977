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
