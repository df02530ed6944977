"""Each normalisation step, per language, in one table per step."""

from __future__ import annotations

import sys
import unicodedata

import pytest
import wordfreq

from bot.language.analysis import Analyzer
from bot.language.frequencies import WordFrequencies
from bot.language.textnorm import asked, clean, fold, lower, normalize, unshouted, well_formed


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("HESAP YÖNETİCİSİ", "tr", "hesap yöneticisi"),
        ("MAAŞ ARALIĞI", "tr", "maaş aralığı"),
        ("ISTANBUL", "tr", "ıstanbul"),
        ("ISTANBUL", "it", "istanbul"),
        ("ЗАРПЛАТА", "ru", "зарплата"),
        ("LØNINTERVALLET", "da", "lønintervallet"),
    ],
)
def test_lower_follows_the_language(text: str, lang: str, expected: str) -> None:
    assert lower(text, lang) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("maaş", "maas"),
        ("aralığı", "araligi"),
        ("yöneticisi", "yoneticisi"),
        ("løn", "lon"),
        ("højere", "hojere"),
        ("får", "far"),
        ("næste", "naeste"),
        ("perché", "perche"),
        ("è", "e"),
        ("ещё", "еще"),
        ("найти", "найти"),
        ("الإدارة", "الاداره"),
        ("أعلى", "اعلي"),
        ("٤٥", "45"),
    ],
)
def test_fold_removes_what_people_leave_out_when_typing(word: str, expected: str) -> None:
    assert fold(word) == expected


def test_arabic_tashkeel_and_tatweel_do_not_split_words() -> None:
    assert normalize("مُدِيـــرُ الحِسَاب", "ar") == ["مدير", "الحساب"]


def test_clean_composes_decomposed_letters() -> None:
    assert clean("I\u0307") == "İ"
    assert lower(clean("I\u0307STANBUL"), "tr") == "istanbul"


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("ma\u200baş ara\u200dlığı", "tr", ["maaş", "aralığı"]),
        ("ma\u00adaş\u2060 ne\ufeffdir", "tr", ["maaş", "nedir"]),
        ("\u200fمدير\u200c الحساب\u202c", "ar", ["مدير", "الحساب"]),
        ("ｍａａｓ ＡＲＡＬＩＧＩ", "tr", ["maas", "aralıgı"]),
        ("ＨＥＳＡＰ YÖNETİCİSİ", "tr", ["hesap", "yöneticisi"]),
        ("ﬁnanza", "it", ["finanza"]),
        ("ﻣﺪﻳﺮ", "ar", ["مدير"]),
        ("maaş\ud800 nedir\udfff", "tr", ["maaş", "nedir"]),
        ("løn ıstanbul йод", "da", ["løn", "ıstanbul", "йод"]),
    ],
)
def test_invisible_and_compatibility_characters_do_not_change_the_words(text: str, lang: str, expected: list[str]) -> None:
    assert normalize(text, lang) == expected


def test_every_format_character_is_invisible_to_matching() -> None:
    """Every format character of this Python's Unicode tables, not only the common ones, is dropped."""
    format_characters = [chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"]
    assert len(format_characters) > 150
    assert [char for char in format_characters if clean(f"a{char}b") != "ab"] == []


def test_well_formed_text_can_be_encoded() -> None:
    assert well_formed("maaş\ud800").encode() == "maaş\ufffd".encode()
    assert well_formed("\ud83d\ude00 ok") == "\U0001f600 ok"
    assert well_formed("plain") == "plain"


def test_apostrophes_and_hyphens_separate_words() -> None:
    assert normalize("Cos'è un Account Manager-ruolo?", "it") == ["cos", "è", "un", "account", "manager", "ruolo"]


def test_a_names_suffixes_after_an_apostrophe_are_no_words_in_turkish() -> None:
    """ "ABD'deki" is "ABD" inflected and "P'dir" is "P is": their suffixes are no words a question could be found by."""
    assert normalize("ABD'deki maaşlar, A − P’dir", "tr") == ["abd", "maaşlar", "a", "p"]
    assert normalize("l'interesse", "it") == ["l", "interesse"]


@pytest.mark.parametrize(
    ("lang", "inflected", "base"),
    [
        ("tr", "aralığı", "aralık"),
        ("tr", "ekibiyle", "ekibi"),
        ("ru", "менеджера", "менеджер"),
        ("ru", "зарплаты", "зарплата"),
        ("it", "promozioni", "promozione"),
        ("da", "forfremmelser", "forfremmelse"),
        ("ar", "الحسابات", "حساب"),
    ],
)
def test_inflections_share_a_term(lang: str, inflected: str, base: str) -> None:
    analyzer = Analyzer(lang)
    assert analyzer.term(inflected) == analyzer.term(base)


def test_danish_compounds_split_into_known_words() -> None:
    danish = Analyzer("da")
    assert danish.compound_parts("lønintervallet") == ("løn", "intervallet")
    assert danish.compound_parts("salgsteamet") == ("salg", "teamet")
    assert danish.compound_parts("løn") == ()
    assert "ingen" not in danish.compound_parts("stillingen")
    assert Analyzer("it").compound_parts("fidelizzazione") == ()


def test_question_words_weigh_less_than_content_words() -> None:
    turkish = Analyzer("tr")
    assert turkish.importance("nedir") == 0.0
    assert turkish.importance("maaş") > turkish.importance("hesap") > 0


@pytest.mark.parametrize(
    ("lang", "word"),
    [("tr", "maaş"), ("tr", "ve"), ("ar", "راتب"), ("it", "stipendio"), ("da", "løn"), ("ru", "зарплата"), ("ru", "45")],
)
def test_compact_frequencies_agree_with_wordfreq(lang: str, word: str) -> None:
    assert WordFrequencies.of(lang).zipf(word) == wordfreq.zipf_frequency(word, lang, wordlist="small")


def test_a_word_typed_without_diacritics_is_as_common_as_the_word_it_stands_for() -> None:
    turkish = WordFrequencies.of("tr")
    assert turkish.zipf("kac") == turkish.zipf("kaç") > 4
    assert "kaç" in turkish and "qqxq" not in turkish
    assert turkish.zipf("qqxq") == 0.0


def test_a_language_wordfreq_lacks_has_no_frequencies_rather_than_failing() -> None:
    assert WordFrequencies.of("zz").zipf("anything") == 0.0


def test_a_word_the_content_owner_lists_as_a_synonym_is_never_a_stop_word() -> None:
    """stopwordsiso's Italian list carries "città"; a synonym group says it matters here."""
    assert Analyzer("it").token("città").stop
    assert not Analyzer("it", keep=["città"]).token("città").stop


def test_a_question_typed_in_capitals_is_read_in_small_letters_and_emphasis_stays() -> None:
    assert unshouted("INTERESSE COMPOSTO?", "it") == "interesse composto?"
    assert unshouted("BİLEŞİK FAİZ NEDİR", "tr") == "bileşik faiz nedir"
    assert unshouted("how is compound interest CALCULATED", "en") == "how is compound interest CALCULATED"
    assert unshouted("ETF", "en") == "ETF"
    assert unshouted("صندوق الاستثمار", "ar") == "صندوق الاستثمار"


def test_of_a_long_message_the_question_is_read_and_a_short_one_whole() -> None:
    story = "Merhaba, uzun zamandır düşünüyorum ve birikimlerimi değerlendirmek istiyorum. " * 4

    def asks(sentence: str) -> bool:
        return sentence != "Nasılsınız?"

    question = "Bileşik faiz nedir? Nasıl hesaplanır?"
    assert asked("Nasılsınız? " + story + question, 40, 300, asks) == question
    unasked = asked("Nasılsınız? " + story + "Bileşik faizi anlatır mısın", 40, 300, asks)
    assert unasked.endswith(". Bileşik faizi anlatır mısın") and len(unasked) <= 300 and len(unasked.split()) <= 40
    assert asked("Merhaba. Maaş ne kadar?", 40, 300, asks) == "Merhaba. Maaş ne kadar?"
