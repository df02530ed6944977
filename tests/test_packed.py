"""The word tables kept in arrays answer as the dicts and tuples they replace, before and after the cache's round trip."""

from __future__ import annotations

import pickle
import random
from bisect import bisect_left

from bot.language.packed import PackedStrings, StringIds, StringToIds

WORDS = ["maaş", "aralığı", "зарплата", "راتب", "løn", "stipendio", "", "a", "maaşı", "ma"]


def _round_trip(value: object) -> object:
    """As the index cache stores it: pickled with its arrays out of band, then read back from those buffers."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    return pickle.loads(data, buffers=[bytes(b.raw()) for b in buffers])


def test_packed_strings_are_the_strings_in_order_and_bisect_as_a_sorted_list() -> None:
    ordered = sorted(WORDS)
    for packed in (PackedStrings(ordered), _round_trip(PackedStrings(ordered))):
        assert isinstance(packed, PackedStrings)
        assert list(packed) == ordered and len(packed) == len(ordered)
        assert [packed[i] for i in range(-1, len(ordered))] == [ordered[-1], *ordered]
        for probe in [*WORDS, "maa", "zz", "л", "ا"]:
            assert bisect_left(packed, probe) == bisect_left(ordered, probe)


def test_string_ids_answer_as_a_dict_of_each_string_to_its_place() -> None:
    rng = random.Random(2)
    words = list(dict.fromkeys([*WORDS, *("".join(rng.choice("abcçş") for _ in range(rng.randint(1, 6))) for _ in range(500))]))
    expected = {word: i for i, word in enumerate(words)}
    for ids in (StringIds(words), _round_trip(StringIds(words))):
        assert isinstance(ids, StringIds)
        assert list(ids) == list(expected) and len(ids) == len(expected)
        assert list(ids.names) == words
        for probe in [*words, "missing", "maaşı ", "MAAŞ", "çççççççç"]:
            assert (probe in ids) == (probe in expected)
            assert ids.get(probe) == expected.get(probe)
            assert ids.get(probe, -5) == expected.get(probe, -5)


def test_string_to_ids_answers_as_a_dict_of_tuples() -> None:
    table = {"araligi": (3, 7), "maasi": (1,), "zarplata": (), "løn": (2, 4, 9)}
    for packed in (StringToIds(table), _round_trip(StringToIds(table))):
        assert isinstance(packed, StringToIds)
        assert dict(packed.items()) == table and list(packed) == list(table)
        assert packed.get("missing", ()) == () and "missing" not in packed and "løn" in packed
        assert packed["araligi"] == (3, 7)
