"""Greetings and thanks are answered as such, in the reader's language, and are not questions nothing answered."""

from __future__ import annotations

import pytest

from bot.chat.messages import available
from bot.language.small_talk import GREETING, THANKS, small_talk

SPOKEN = available()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", (GREETING, "en")),
        ("Merhaba!", (GREETING, "tr")),
        ("selamlar 👋", (GREETING, "tr")),
        ("tesekkurler", (THANKS, "tr")),
        ("السلام عليكم", (GREETING, "ar")),
        ("grazie mille 🙏", (THANKS, "it")),
        ("Tak for hjælpen!", (THANKS, "da")),
        ("Здравствуйте", (GREETING, "ru")),
        ("how are you", (GREETING, "en")),
        ("hi, thanks a lot", (THANKS, "en")),
        ("hi there", (GREETING, "en")),
        ("hey, thanks", (THANKS, "en")),
        ("thank you very much", (THANKS, "en")),
        ("how are you doing", (GREETING, "en")),
    ],
)
def test_a_message_that_only_greets_or_thanks_is_small_talk_in_its_language(text: str, expected: tuple[str, str]) -> None:
    assert small_talk(text, [None], SPOKEN) == expected


@pytest.mark.parametrize(
    "text", ["hi, what is compound interest", "merhaba maaş ne kadar", "thanks, and the fees?", "are you", "ok", "maaş"]
)
def test_a_message_that_asks_anything_is_no_small_talk(text: str) -> None:
    assert small_talk(text, [None], SPOKEN) is None


def test_an_english_greeting_is_answered_in_the_readers_own_language() -> None:
    assert small_talk("hello", ["tr"], SPOKEN) == (GREETING, "tr")
