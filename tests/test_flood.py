"""The per-user flood limit: a burst is cut off with one notice, and the window frees up again."""

from __future__ import annotations

from bot.config import FloodLimit
from bot.telegram.flood import Admission, FloodGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_gets_answers_then_one_notice_then_silence() -> None:
    guard = FloodGuard(FloodLimit(3, 60), Clock())
    assert [guard.admit(1) for _ in range(6)] == [Admission.ANSWER] * 3 + [Admission.NOTIFY] + [Admission.DROP] * 2


def test_users_are_limited_separately_and_the_window_slides() -> None:
    clock = Clock()
    guard = FloodGuard(FloodLimit(2, 10), clock)
    assert [guard.admit(1) for _ in range(3)] == [Admission.ANSWER, Admission.ANSWER, Admission.NOTIFY]
    assert guard.admit(2) is Admission.ANSWER
    clock.now = 10.5
    assert guard.admit(1) is Admission.ANSWER


def test_switched_off_admits_everything() -> None:
    guard = FloodGuard(FloodLimit(0, 0))
    assert all(guard.admit(1) is Admission.ANSWER for _ in range(1000))


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    guard = FloodGuard(FloodLimit(5, 1), clock)
    for user in range(FloodGuard.SWEEP_EVERY - 1):
        guard.admit(user)
    clock.now = 5
    guard.admit(-1)
    assert len(guard._recent) == 1
