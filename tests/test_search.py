"""Matching questions to paragraphs the way readers type them, in every seed language."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.chat.messages import available, message
from bot.chat.render import reader_language, shown_text
from bot.content.parsing import load_knowledge_base
from bot.language.langdetect import guess_article_language
from bot.search.embedding import MODEL_NAME
from bot.search.index import build_index
from bot.search.index_cache import Semantic, load_index
from bot.search.searcher import Conversation, Searcher
from bot.search.tuning import RankingConfig

from .conftest import DATA, SEEDS, SHARED_VECTORS, WriteFile, unit_id
from .query_vectors import RememberedQueries


def searcher_over(content: Path) -> Searcher:
    """A searcher over the articles the test wrote, built in-process with no language guessing."""
    return Searcher(build_index(load_knowledge_base(content, lambda _: None)))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("maaş aralığı nedir", {"P9"}),
        ("maas araligi nedir", {"P9"}),
        ("MAAŞ ARALIĞI", {"P9"}),
        ("hesap yönetcisi nedir", {"P1"}),
        ("نطاق الرواتب", {"P9"}),
        ("مُدِيرُ الحِسَاب ومهامه", {"P2", "P3", "P4"}),
        ("fascia di stipedio", {"P9"}),
        ("perche fidelizzare i clienti", {"P5"}),
        ("hvordan far man en hojere lon", {"P8"}),
        ("løninterval", {"P9"}),
        ("salgsteam", {"P7"}),
        ("зарплта менеджера", {"P9", "P8"}),
        ("отдел продаж менеджеры", {"P7"}),
    ],
)
def test_finds_the_paragraph_despite_case_accents_typos_and_inflection(
    searcher: Searcher, question: str, expected: set[str]
) -> None:
    assert unit_id(searcher, searcher.answer(question)) in expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("cosa fa un account manager", {"P2", "P3", "P4"}),
        ("che cos'è un account manager", {"P1"}),
        ("hvad gør en account manager", {"P2", "P3", "P4"}),
        ("чем занимается менеджер по работе с клиентами", {"P2", "P3", "P4"}),
        ("hesap yöneticisi ne yapar", {"P2", "P3", "P4"}),
        ("hesap yoneticisi ne yapar", {"P2", "P3", "P4"}),
        ("che significa account manager", {"P1"}),
        ("hvad betyder account manager", {"P1"}),
    ],
)
def test_question_that_restates_a_heading_gets_that_section(searcher: Searcher, question: str, expected: set[str]) -> None:
    assert unit_id(searcher, searcher.answer(question)) in expected


@pytest.mark.parametrize(
    "question",
    [
        "özet",
        "ملخص",
        "riassunto",
        "opsummering",
        "кратко",
        "summary please",
        "Mette in risalto",
        "riassumimi l'articolo",
        "giv mig et kort resumé",
        "vigtigste punkter",
    ],
)
def test_summary_requests_get_the_highlights(searcher: Searcher, question: str) -> None:
    answer = searcher.answer(question)
    assert answer.kind == "highlights"
    assert answer.text.count("•") == 3


def test_a_word_of_a_summary_phrase_alone_asks_no_summary(searcher: Searcher) -> None:
    """ "самое важное" (the most important) asks for the key points; "важно" (important) in a question does not."""
    answer = searcher.answer("почему важно удерживать клиентов")
    assert answer.kind == "paragraph" and unit_id(searcher, answer) in {"P5", "P6"}


@pytest.mark.parametrize(
    "question",
    [
        "yarın hava nasıl olacak",
        "كيف سيكون الطقس غدا",
        "ricetta della pizza margherita",
        "hvordan bliver vejret i morgen",
        "рецепт пиццы",
        "dolar kuru ne kadar",
        "какой сегодня курс доллара",
        "<b>x</b> & <script>",
    ],
)
def test_out_of_scope_questions_get_no_answer_and_suggestions(searcher: Searcher, question: str) -> None:
    """ "No answer", with the paragraphs that might be meant when there are any (the dollar rate and the salary
    paragraph's figures in dollars), else the sections worth asking about."""
    answer = searcher.answer(question)
    assert answer.kind == "none"
    assert answer.text == "" and shown_text(answer)
    assert 1 <= len(answer.alternatives) <= 2 if answer.alternatives else 1 <= len(answer.suggestions) <= 3
    assert not (answer.alternatives and answer.suggestions)


@pytest.mark.parametrize(
    ("question", "shouting"),
    [
        ("stipendio di un account manager", "STIPENDIO DI UN ACCOUNT MANAGER"),
        ("hesap yöneticisi ne iş yapar", "HESAP YÖNETİCİSİ NE İŞ YAPAR"),
        ("что делает менеджер по работе с клиентами", "ЧТО ДЕЛАЕТ МЕНЕДЖЕР ПО РАБОТЕ С КЛИЕНТАМИ"),
    ],
)
def test_a_question_typed_in_capitals_gets_the_answer_it_gets_in_small_letters(
    searcher: Searcher, question: str, shouting: str
) -> None:
    small, shouted = searcher.answer(question), searcher.answer(shouting)
    assert unit_id(searcher, shouted) == unit_id(searcher, small)
    assert [a.text for a in shouted.alternatives] == [a.text for a in small.alternatives]


def test_a_question_after_a_long_story_is_answered(searcher: Searcher) -> None:
    """The question comes last, after more words than are read: it is what is read, and the log keeps the message."""
    story = "Merhaba, yeni mezunum ve kariyerimi planlamaya çalışıyorum, ailem de bana bir şeyler söyledi ama anlayamadım. "
    message = story * 4 + "Hesap yöneticisi maaşı ne kadar?"
    answer = searcher.answer(message)
    assert answer.kind == "paragraph" and "45.000 ila 85.000" in answer.text and answer.question == message
    opened = "Merhaba, nasılsınız? " + story * 3 + "Bir hesap yöneticisinin maaş aralığını merak ediyorum, lütfen."
    assert "45.000 ila 85.000" in searcher.answer(opened).text


def test_a_follow_up_is_read_on_the_subject_of_the_last_answer(searcher: Searcher) -> None:
    """ "and the salary?" names no subject: after a question on account managers it asks for their salary (it got
    "no answer"); a question naming a topic, or opening otherwise, is read as it is."""
    conversation = Conversation()
    searcher.answer("what does an account manager do", conversation=conversation)
    answer = searcher.answer("and the salary?", conversation=conversation)
    assert answer.kind == "paragraph" and "Indeed.com" in answer.text
    italian = searcher.rankers["it"]
    subjects = frozenset(italian.analyzer.term(word) for word in ("account", "manager"))
    assert italian.follows_up("e lo stipendio?", subjects) and italian.follows_up("E invece i requisiti?", subjects)
    assert not italian.follows_up("stipendio?", subjects) and not italian.follows_up("e cos'è un account manager?", subjects)
    assert not italian.follows_up("è vero che guadagna tanto?", subjects)


@pytest.mark.parametrize("message", ["a", "y", "la", "no"])
def test_a_message_of_stop_words_and_single_letters_keeps_a_readers_conversation_in_their_language(
    searcher: Searcher, message: str
) -> None:
    """ "a" and "la" are Portuguese and Spanish words too, but say nothing: a Turkish reader's chat stays Turkish."""
    conversation = Conversation("tr")
    answer = searcher.answer(message, hint="tr", conversation=conversation)
    assert answer.kind == "none" and answer.read_as is None and conversation.language in searcher.languages


@pytest.mark.parametrize("question", ["a", "A", "e", "и", "A?"])
def test_a_question_of_one_letter_gets_no_answer(searcher: Searcher, question: str) -> None:
    """One letter is a formula's variable, a preposition, an initial or a stray key, never a question: "a" was answered
    with the salary paragraph at full confidence (its Italian translation has "a seconda del tipo")."""
    assert searcher.answer(question).kind == "none"


@pytest.mark.parametrize("question", ["blorf quux", "asdf qwerty", "xyzzy", "", "🙂🙂"])
def test_a_question_in_no_language_gets_no_answer_in_the_readers_language(searcher: Searcher, question: str) -> None:
    """lingua calls "blorf quux" Danish with a clear lead; the reader is told in the language the bot speaks to them in.

    Their choice, else their last question's, else their app's, else the
    default (English, which the content lacks: its "no answer" names none of
    the content's sections).
    """

    def told(**preferences: object) -> tuple[str, str, int]:
        answer = searcher.answer(question, **preferences)
        assert (answer.kind, shown_text(answer)) == ("none", message(answer.language, "no_answer"))
        return answer.language, len(answer.suggestions)

    assert told(language="it", hint="tr", conversation=Conversation("ru")) == ("it", 3)
    assert told(hint="tr", conversation=Conversation("ru")) == ("ru", 3)
    assert told(hint="tr") == ("tr", 3)
    assert told(hint="de") == ("en", 0)


@pytest.mark.parametrize(
    ("question", "lang"), [("hvad er blorf", "da"), ("hvordan bliver vejret i morgen", "da"), ("рецепт пиццы", "ru")]
)
def test_an_unanswered_question_in_a_content_language_keeps_it_whatever_the_reader_chose(
    searcher: Searcher, question: str, lang: str
) -> None:
    answer = searcher.answer(question, language="it")
    assert (answer.kind, answer.language) == ("none", lang)


def test_answer_names_article_section_and_paragraph(searcher: Searcher) -> None:
    answer = searcher.answer("maaş aralığı nedir")
    assert answer.article.title == "Muhasebe Müdürü"
    assert answer.section_heading == "Hesap Yöneticisi Rolleri Örnekleri"
    assert answer.text.startswith("Indeed.com'a göre")
    assert 0.6 <= answer.score <= 1
    assert {"maas", "aralik"} <= answer.matched_terms


def test_no_answer_is_said_in_the_question_language(searcher: Searcher) -> None:
    assert shown_text(searcher.answer("рецепт пиццы")) == "Я не нашёл ответа на этот вопрос в базе знаний."


def test_summary_follows_the_article_of_the_conversation(write: WriteFile, content: Path) -> None:
    write(
        "coffee.it.md",
        "---\ntitle: Caffè\n---\n## Tostatura\nIl caffè viene tostato a 200 gradi.\n## Punti\n- tostato\n- macinato\n",
    )
    write(
        "tea.it.md",
        "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n## Punti\n- verde\n- infuso\n",
    )
    searcher = searcher_over(content)
    conversation = Conversation()
    assert searcher.answer("infusione del tè verde", conversation=conversation).article.title == "Tè"
    summary = searcher.answer("riassunto", conversation=conversation)
    assert summary.kind == "highlights" and summary.article.title == "Tè"


def test_many_articles_are_told_apart_by_their_words(write: WriteFile, content: Path) -> None:
    write("coffee.it.md", "---\ntitle: Caffè\n---\n## Tostatura\nIl caffè viene tostato a 200 gradi.\n")
    write("tea.it.md", "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n")
    write("bread.it.md", "---\ntitle: Pane\n---\n## Lievitazione\nIl pane lievita per dodici ore al fresco.\n")
    searcher = searcher_over(content)
    assert searcher.answer("quanto lievita il pane").article.title == "Pane"
    assert searcher.answer("tostatura caffe").article.title == "Caffè"


def test_a_derived_word_finds_the_word_it_is_built_on(write: WriteFile, content: Path) -> None:
    """Snowball stems "memnun" to "memn" but "memnuniyeti" to "memnuniyet"; the words as written still meet."""
    write("service.tr.md", "---\ntitle: Hizmet\n---\n## Müşteriler\nİyi bir ekip müşterilerin memnun kalmasını sağlar.\n")
    write("office.tr.md", "---\ntitle: Ofis\n---\n## Toplantılar\nHaftalık toplantılar pazartesi sabahı yapılır.\n")
    searcher = searcher_over(content)
    answer = searcher.answer("müşteri memnuniyeti", language="tr")
    assert answer.kind == "paragraph" and answer.article.title == "Hizmet"


def test_a_question_matching_a_highlight_gets_the_paragraph_it_restates(write: WriteFile, content: Path) -> None:
    """The highlight says it in fewer words, so it matches best; the reader still asked about the point, not for a summary."""
    write(
        "job.da.md",
        "---\ntitle: Job\n---\n## Krav\nDe fleste har en kandidatgrad i økonomi og nogle års erfaring med kunder.\n"
        "## Arbejdstid\nMan arbejder fra ni til fem på kontoret i Aarhus.\n"
        "## Højdepunkter\n- En uddannelse i økonomi og erfaring med kunder.\n- Arbejdstiden er fra ni til fem.\n",
    )
    answer = searcher_over(content).answer("kræver det en uddannelse", language="da")
    assert (answer.kind, answer.section_heading) == ("paragraph", "Krav")


ACCOUNT_MANAGER = """\
    ---
    title: Account manager
    ---
    # Account manager
    ## What is an account manager?
    An account manager is an employee who looks after the daily business of a client.
    ## What an account manager does
    An account manager meets clients every week, answers their questions and plans the next orders with them.
    ## Account manager roles
    Companies use account managers to keep the clients they have: keeping a client costs less than finding a new one, and a client who feels heard stays longer and buys more.

    Most account managers have a degree in business or finance and some years of experience in sales.
    ## Highlights
    - Companies use account managers to keep their clients.
    - Most have a degree in business or finance.
    """


def test_a_question_naming_only_the_topic_gets_the_opening_paragraph(write: WriteFile, content: Path) -> None:
    """Every section names the topic; asking about the topic itself is answered where the article introduces it."""
    write("job.en.md", ACCOUNT_MANAGER)
    searcher = searcher_over(content)
    for question in ("account manager definition", "account managers", "what is an account manager"):
        answer = searcher.answer(question, language="en")
        assert (answer.kind, answer.section_heading) == ("paragraph", "What is an account manager?"), question


@pytest.mark.parametrize(
    "question",
    [
        "perché le aziende hanno bisogno di un account manager",
        "perche le aziende assumono account manager",
        "зачем компании нанимают менеджеров по работе с клиентами",
        "hvorfor bruger virksomheder account managers",
    ],
)
def test_the_topic_in_every_heading_does_not_pick_the_section(searcher: Searcher, question: str) -> None:
    """Every seed heading names the account manager, so naming it restates each alike; "companies" decides.

    The highlight "companies use account managers to ..." restates that
    paragraph, and counts for it. The rule is lexical, so it is read here
    without the semantic signal, which alone gets the Russian one wrong (the
    duties paragraph, as similar in meaning).
    """
    lexical = Searcher(searcher.index, config=RankingConfig(disabled=frozenset({"semantic"})))
    answer = lexical.answer(question)
    assert answer.kind == "paragraph" and unit_id(searcher, answer) == "P5"


def test_a_question_about_a_section_still_gets_it(write: WriteFile, content: Path) -> None:
    write("job.en.md", ACCOUNT_MANAGER)
    answer = searcher_over(content).answer("what does an account manager do", language="en")
    assert (answer.kind, answer.section_heading) == ("paragraph", "What an account manager does")


def test_a_misspelt_question_word_does_not_make_a_question_out_of_scope(searcher: Searcher) -> None:
    """ "сколко" is one letter off "сколько" (how much); it must not weigh like an unknown topic."""
    answer = searcher.answer("сколко зарабатывает менеджер")
    assert answer.kind == "paragraph" and unit_id(searcher, answer) in {"P8", "P9"}


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("questions.jsonl", 0.9),
        ("questions_fresh.jsonl", 0.85),
        ("questions_blind.jsonl", 0.85),
        ("questions_blind2.jsonl", 0.85),
        ("questions_blind3.jsonl", 0.8),
        ("questions_blind4.jsonl", 0.75),
        ("questions_blind5.jsonl", 0.8),
        ("questions_blind6.jsonl", 0.8),
        ("questions_blind7.jsonl", 0.7),
        ("questions_blind8.jsonl", 0.8),
        ("questions_blind9.jsonl", 0.8),
        ("questions_blind10.jsonl", 0.8),
        ("questions_blind11.jsonl", 0.8),
        ("questions_blind12.jsonl", 0.8),
    ],
)
def test_own_question_sets_stay_accurate(searcher: Searcher, name: str, floor: float) -> None:
    """A regression guard over questions written for this project (none from the eval's dev set).

    `questions.jsonl` guided the method's development; each later set was
    written to check that the method generalises to questions it was not
    developed on, scored once untouched (see the README), and only then
    used. The floors sit a few questions under today's scores, so a change
    that costs answers on any set fails here.
    """
    cases = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]
    right = 0
    for case in cases:
        answer = searcher.answer(case["question"])
        got = unit_id(searcher, answer)
        right += answer.language == case["lang"] and (got in case["expect"] if case["expect"] else got == "none")
    assert right / len(cases) >= floor


def test_synonyms_let_readers_use_their_own_words(write: WriteFile, content: Path) -> None:
    write(
        "pay.it.md",
        "---\ntitle: Paga\n---\n## Stipendio\nLo stipendio medio è di 30.000 euro.\n## Orari\nSi lavora dalle nove alle cinque.\n",
    )
    write("synonyms.yml", "it:\n  - stipendio, guadagna, retribuzione\n")
    searcher = searcher_over(content)
    answer = searcher.answer("quanto guadagna")
    assert answer.kind == "paragraph" and answer.section_heading == "Stipendio"


def test_a_specific_word_does_not_spread_to_a_common_word_of_its_group(write: WriteFile, content: Path) -> None:
    """ "mansioni" (duties) and "fare" (to do) are listed together for "cosa fa"; a paragraph saying "fare" in passing is not about duties."""
    write(
        "job.it.md",
        "---\ntitle: Tecnico\n---\n## Il lavoro\nIl tecnico ripara le macchine e controlla gli impianti ogni mattina.\n\n"
        "Per fare carriera bisogna fare corsi e fare esperienza.\n## Orari\nSi lavora dalle nove alle cinque.\n",
    )
    write("synonyms.yml", "it:\n  - mansioni, compiti, ripara, controlla, fare\n")
    answer = searcher_over(content).answer("mansioni del tecnico", language="it")
    assert (answer.kind, answer.paragraph) == ("paragraph", 0)


def test_a_synonym_reaches_words_built_on_it(write: WriteFile, content: Path) -> None:
    """ "laureati" (graduates) is found through "laurea" although Snowball stems the two apart."""
    write(
        "study.it.md",
        "---\ntitle: Studi\n---\n## Titoli\nServe un diploma universitario in economia.\n## Orari\nSi lavora dalle nove alle cinque.\n",
    )
    write("synonyms.yml", "it:\n  - diploma, laurea\n")
    searcher = searcher_over(content)
    answer = searcher.answer("bisogna essere laureati", language="it")
    assert answer.kind == "paragraph" and answer.section_heading == "Titoli"


def test_a_listed_synonym_is_not_split_as_a_compound(write: WriteFile, content: Path) -> None:
    """ "videregående" (higher, of education) is no "vid" + "ere" + "gående"; the owner listed it with "uddannelse"."""
    write(
        "job.da.md",
        "---\ntitle: Job\n---\n## Krav\nDe fleste har en uddannelse i økonomi.\n## Tider\nMan arbejder fra ni til fem.\n",
    )
    write("synonyms.yml", "da:\n  - uddannelse, videregående\n")
    answer = searcher_over(content).answer("skal man have en videregående uddannelse", language="da")
    assert (answer.kind, answer.section_heading) == ("paragraph", "Krav")


def test_a_word_sharing_only_a_stem_with_a_synonym_is_not_taken_for_it(write: WriteFile, content: Path) -> None:
    """ "principali" (main) and "principiante" (beginner) stem alike, but a reader asking about one means no other."""
    write(
        "job.it.md",
        "---\ntitle: Lavoro\n---\n## Livelli\nSi comincia come junior nel reparto.\n## Orari\nSi lavora dalle nove alle cinque.\n",
    )
    write("synonyms.yml", "it:\n  - junior, principiante\n")
    searcher = searcher_over(content)
    assert searcher.answer("quali sono i principali", language="it").kind == "none"
    assert searcher.answer("posto da principiante", language="it").section_heading == "Livelli"


PAY = (
    "---\ntitle: Paga\n---\n## Variabili\nLo stipendio varia, e chi ha più esperienza ha uno stipendio più alto.\n"
    "## Cifre\nSecondo un sondaggio nazionale lo stipendio degli impiegati va da 25.000 a 40.000 euro.\n"
)
"""Both paragraphs speak of pay, the shorter one twice; only the second states the amount."""


def test_how_much_questions_prefer_the_paragraph_that_states_the_figure(write: WriteFile, content: Path) -> None:
    write("pay.it.md", PAY)
    searcher = searcher_over(content)
    assert searcher.answer("quanto è lo stipendio", language="it").section_heading == "Cifre"
    assert searcher.answer("chi ha più esperienza", language="it").section_heading == "Variabili"


def test_words_the_content_owner_lists_under_figures_ask_for_the_figure(write: WriteFile, content: Path) -> None:
    """Pay is this content's subject, not the language's: "stipendio" alone asks for the amount only once
    `synonyms.yml` lists it under `figures`; the English words listed there count in every language."""
    write("pay.it.md", PAY)
    assert searcher_over(content).answer("stipendio", language="it").section_heading == "Variabili"
    write("synonyms.yml", "figures:\n  it: stipendio, paga\n")
    assert searcher_over(content).answer("stipendio", language="it").section_heading == "Cifre"
    write("synonyms.yml", "figures:\n  en: salary\n")
    italian = searcher_over(content).rankers["it"]
    assert italian.read("what salary").wants_figure and not italian.read("stipendio").wants_figure


def test_a_borrowed_name_does_not_make_a_question_out_of_scope(write: WriteFile, content: Path) -> None:
    """Turkish readers call a "hesap yöneticisi" an "account manager", the name the Italian version uses."""
    write("job.tr.md", "---\ntitle: Hesap yöneticisi\n---\n## Eğitim\nÇoğu hesap yöneticisinin üniversite diploması vardır.\n")
    write("job.it.md", "---\ntitle: Account manager\n---\n## Studi\nQuasi ogni account manager ha una laurea.\n")
    searcher = searcher_over(content)
    answer = searcher.answer("account manager olmak için üniversite diploması şart mı", language="tr")
    assert (answer.language, answer.kind, answer.section_heading) == ("tr", "paragraph", "Eğitim")
    assert searcher.answer("account manager pizza tarifi", language="tr").kind == "none"


def test_one_unknown_word_beside_the_article_topic_does_not_reject_the_question(write: WriteFile, content: Path) -> None:
    """ "carriera" runs through the article; "possibilità" is not in it. A word found once in passing proves less."""
    write(
        "job.it.md",
        "---\ntitle: Lavoro\n---\n## Carriera\nLa carriera comincia come assistente.\n\n"
        "Dopo cinque anni la carriera porta alla direzione.\n## Orari\nSi lavora dalle nove alle cinque, con una pausa.\n",
    )
    searcher = searcher_over(content)
    answer = searcher.answer("ci sono possibilità di carriera", language="it")
    assert (answer.kind, answer.section_heading) == ("paragraph", "Carriera")
    assert searcher.answer("pausa caffè al bar", language="it").kind == "none"


def test_synonyms_do_not_blur_words_the_content_has(write: WriteFile, content: Path) -> None:
    write(
        "work.da.md", "---\ntitle: Salg\n---\n## Team\nSalgsteamet sidder i Aarhus.\n## Roller\nEn sælger taler med kunderne.\n"
    )
    write("synonyms.yml", "da:\n  - salgsteamet, sælger\n")
    searcher = searcher_over(content)
    assert searcher.answer("salgsteamet").section_heading == "Team"
    assert searcher.answer("sælger").section_heading == "Roller"


def test_bad_synonyms_file_is_reported_not_fatal(write: WriteFile, content: Path) -> None:
    write("a.it.md", "---\ntitle: A\n---\n## S\nTesto.\n")
    write("synonyms.yml", "it: [unclosed\n")
    kb = load_knowledge_base(content, lambda _: None)
    assert [a.key for a in kb.articles] == ["a"]
    assert any(i.path.name == "synonyms.yml" and "YAML" in i.reason for i in kb.issues)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("maas araligi nedir", "maaş aralığı nedir"),
        ("universite diplomasi gerekir mi", "üniversite diploması gerekir mi"),
        ("hvordan far man en hojere lon", "hvordan får man en højere løn"),
        ("perche e importante la fidelizzazione", "perché è importante la fidelizzazione"),
        ("повышение", "повышение"),
        ("مدير الحساب", "مُدِيرُ الحِسَاب"),
        ("ЗАРПЛАТА МЕНЕДЖЕРОВ", "зарплата менеджеров"),
    ],
)
def test_typing_without_diacritics_or_in_capitals_finds_the_same(searcher: Searcher, typed: str, meant: str) -> None:
    assert unit_id(searcher, searcher.answer(typed)) == unit_id(searcher, searcher.answer(meant)) != "none"


def test_summary_request_is_recognised_whatever_the_hint(searcher: Searcher) -> None:
    answer = searcher.answer("ozet", hint="da", conversation=Conversation(language="da"))
    assert answer.kind == "highlights" and answer.language == "tr"


def test_arabic_and_written_onto_a_word_finds_the_word(write: WriteFile, content: Path) -> None:
    """Snowball stems "والمبيعات" (and the sales) to "والمبيعا", not "مبيع" as "المبيعات"; the "و" is tried off the word."""
    write(
        "job.ar.md",
        "---\ntitle: وظيفة\n---\n## الفريق\nيعمل الموظف مع فريق المبيعات كل يوم.\n## الدوام\nيبدأ الدوام في التاسعة صباحا.\n",
    )
    answer = searcher_over(content).answer("والمبيعات", language="ar")
    assert (answer.kind, answer.section_heading) == ("paragraph", "الفريق")


def test_a_listed_word_means_what_its_group_says_though_it_shares_a_stem(write: WriteFile, content: Path) -> None:
    """Snowball stems "tjener" (earns) and "tjenester" (services) alike; the owner listed "tjener" with "løn" (pay)."""
    write(
        "job.da.md",
        "---\ntitle: Job\n---\n## Om jobbet\nLønnen følger overenskomsten og stiger lidt hvert år.\n"
        "## Om firmaet\nVi tilbyder mange tjenester til vores kunder hver dag.\n",
    )
    write("synonyms.yml", "da:\n  - løn, tjener, tjene\n")
    answer = searcher_over(content).answer("hvad tjener man", language="da")
    assert (answer.kind, answer.section_heading) == ("paragraph", "Om jobbet")


@pytest.mark.parametrize("question", ["what is the capital of France", "weather tomorrow", "pizza recipe"])
def test_a_question_in_the_app_language_the_content_lacks_is_told_so_in_it(searcher: Searcher, question: str) -> None:
    """lingua knows only the content's languages and takes English for Italian; the English reader is answered in English."""
    answer = searcher.answer(question, hint="en")
    assert (answer.kind, answer.language, shown_text(answer)) == ("none", "en", message("en", "no_answer"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [("how much does an account manager earn", {"P9"}), ("what qualifications does an account manager need", {"P8"})],
)
def test_a_question_in_a_language_the_content_lacks_is_answered_from_the_articles(
    searcher: Searcher, question: str, expected: set[str]
) -> None:
    """No English article: the meaning finds the paragraph in any language, and the reader gets it in their chosen one."""
    answer = searcher.answer(question, language="ru", hint="en")
    assert (answer.kind, answer.language, answer.read_as) == ("paragraph", "ru", "en")
    assert unit_id(searcher, answer) in expected
    assert shown_text(answer, reader_language(answer, "ru")).startswith(message("ru", "read_as_en") + "\n")
    anywhere = searcher.answer(question)
    assert anywhere.kind == "paragraph" and anywhere.read_as == "en" and anywhere.language in searcher.languages
    assert shown_text(anywhere).startswith(message("en", "read_as_en") + "\n")


@pytest.mark.parametrize(
    ("question", "read_as", "language"),
    [
        ("What is an account manager?", "en", None),
        ("what does an account manager do", "en", None),
        ("lønintervallet for account managers", None, "da"),
        ("hvad tjener en account manager i London", None, "da"),
    ],
)
def test_a_question_whose_words_answer_in_a_content_language_is_still_read_in_the_language_it_is_written_in(
    searcher: Searcher, question: str, read_as: str | None, language: str | None
) -> None:
    """ "account manager" is in the Danish article too; an English question that borrows it is English (the rest of
    its words are), a Danish one that borrows a word or two stays Danish."""
    answer = searcher.answer(question)
    assert answer.kind == "paragraph" and answer.read_as == read_as
    assert language is None or answer.language == language


def test_an_english_question_whose_words_answer_in_a_content_language_is_answered_on_them_before_vectors_exist() -> None:
    """A bot that has just started embeds its paragraphs in the background: until then meaning cannot weigh a question
    read as English, and one whose words answer in Danish gets the Danish paragraph, not "no answer"."""
    index = load_index(SEEDS, None, guess_article_language)
    searcher = Searcher(index, default_language="en", reply_languages=available())
    answer = searcher.answer("What is an account manager?")
    assert answer.kind == "paragraph" and answer.language in searcher.languages and answer.read_as is None


def test_a_reader_of_a_language_the_content_lacks_keeps_reading_answers_in_one_translation(searcher: Searcher) -> None:
    """Asked apart, these two are nearest in different translations; in one conversation the second answer stays in the
    first's language, rather than moving the reader from one language to another question by question."""
    first, second = "how much does an account manager earn", "what qualifications does an account manager need"
    assert searcher.answer(first, hint="en").language != searcher.answer(second, hint="en").language
    conversation = Conversation()
    answers = [searcher.answer(question, hint="en", conversation=conversation) for question in (first, second)]
    assert answers[0].language == answers[1].language and [a.read_as for a in answers] == ["en", "en"]
    assert conversation.language == "en"


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("wie viel verdient ein Account Manager im Jahr", "de"),
        ("¿cuánto gana un account manager al año?", "es"),
        ("combien gagne un account manager par an", "fr"),
        ("quanto ganha um account manager por ano", "pt"),
    ],
)
def test_readers_of_every_language_the_bot_speaks_are_answered_across_languages(
    searcher: Searcher, question: str, read_as: str
) -> None:
    """No German, Spanish, French or Portuguese article: each reader's question is read as written, not as the
    content language lingua knows nearest (Danish, Italian), and the note over the answer says so in their language
    (the paragraph is in a translation they may not read)."""
    answer = searcher.answer(question, hint=read_as)
    assert (answer.kind, answer.read_as) == ("paragraph", read_as)
    assert "Indeed.com" in answer.text
    assert shown_text(answer).startswith(message(read_as, f"read_as_{read_as}") + "\n")


def test_a_question_in_a_language_the_content_lacks_is_not_answered_below_the_floor_of_similarity(searcher: Searcher) -> None:
    """Everyday questions nothing answers ("how do I fix my bike") reach a paragraph of any knowledge base at this
    model's lowest similarities across languages: below `across_floor` the reply is "no answer", whatever the
    decision would say."""
    question = "how much does an account manager earn in a year"
    assert searcher.answer(question, hint="en").kind == "paragraph"
    strict = Searcher(
        searcher.index,
        default_language="en",
        reply_languages=available(),
        embedder=searcher.embedder,
        config=RankingConfig(across_floor=0.99),
    )
    answer = strict.answer(question, hint="en")
    assert (answer.kind, answer.language) == ("none", "en")


@pytest.mark.parametrize(
    "question", ["why do companies need account managers", "what is the difference between account manager and sales rep"]
)
def test_an_answer_across_languages_offers_its_alternatives_in_its_own_language(searcher: Searcher, question: str) -> None:
    """No language chosen and none the content has: the paragraphs offered with the answer are in the answer's language,
    not each in the translation the meaning found nearest (a Danish answer with an Italian button)."""
    answer = searcher.answer(question)
    assert answer.read_as == "en" and answer.alternatives
    assert {alternative.article.lang for alternative in answer.alternatives} == {answer.language}


def test_an_answer_across_languages_is_not_moved_to_a_translation_shaped_otherwise(tmp_path: Path) -> None:
    """The Italian translation joins two paragraphs of the salary's section into one, so its fifth paragraph there is
    another (on promotion): an English reader who chose Italian, whose question the meaning finds in another
    translation's salary paragraph, gets that paragraph where it was found rather than the Italian fifth."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)
    italian = content / "account-manager.it.md"
    section = "## Esempi di ruoli di Account Manager\n\n"
    head, body = italian.read_text(encoding="utf-8").split(section, 1)
    first, rest = body.split("\n\n", 1)
    italian.write_text(head + section + first + " " + rest, encoding="utf-8")
    index = load_index(content, None, guess_article_language, semantic=Semantic(SHARED_VECTORS, embed_limit=10_000))
    queries = RememberedQueries(SHARED_VECTORS / f"{MODEL_NAME}-questions.npz")
    searcher = Searcher(index, default_language="en", reply_languages=available(), embedder=queries)
    answer = searcher.answer("which american cities have the most account manager jobs", language="it")
    assert answer.read_as == "en" and answer.language != "it"
    assert "Chicago" in answer.text and "Indeed.com" in answer.text


def test_a_question_in_a_language_the_bot_speaks_but_the_content_lacks_is_answered_across_languages(tmp_path: Path) -> None:
    """Content without its Arabic translation: an Arabic reader's question, in a script no content language reads, is
    read as Arabic, answered from another translation, and told so in Arabic, whether the bot's default language is
    one of the content's or not."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content, ignore=lambda _, names: [name for name in names if name.endswith(".ar.md")])
    index = load_index(content, None, guess_article_language, semantic=Semantic(SHARED_VECTORS, embed_limit=10_000))
    queries = RememberedQueries(SHARED_VECTORS / f"{MODEL_NAME}-questions.npz")
    for default in ("it", "en"):
        searcher = Searcher(index, default_language=default, reply_languages=available(), embedder=queries)
        answer = searcher.answer("كم راتب مدير الحساب")
        assert answer.read_as == "ar" and answer.kind == "paragraph" and "Indeed.com" in answer.text, default
        assert answer.language == default if default in searcher.languages else answer.language in searcher.languages
        assert shown_text(answer).startswith(message("ar", "read_as_ar") + "\n")


def test_a_paragraph_only_one_translation_has_does_not_come_first_across_languages(tmp_path: Path) -> None:
    """The Danish translation opens its first section with a note the others lack, so each of its paragraphs there sits
    one place on and its last is held by Danish alone: an English question on pay is still answered with the salary
    paragraph, not "no answer" behind a position that one chance-high translation put first."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)
    danish = content / "account-manager.da.md"
    text = danish.read_text(encoding="utf-8")
    cut = text.index("\n\n", text.index("\n## ") + 4) + 2
    note = "Bemærk: Denne artikel blev senest opdateret i marts, og tallene i eksemplerne er afrundede.\n\n"
    danish.write_text(text[:cut] + note + text[cut:], encoding="utf-8")
    index = load_index(content, None, guess_article_language, semantic=Semantic(SHARED_VECTORS, embed_limit=10_000))
    queries = RememberedQueries(SHARED_VECTORS / f"{MODEL_NAME}-questions.npz")
    searcher = Searcher(index, default_language="en", reply_languages=available(), embedder=queries)
    answer = searcher.answer("how much does an account manager earn")
    assert answer.read_as == "en" and answer.kind == "paragraph" and "Indeed.com" in answer.text


def test_a_question_in_a_content_language_keeps_it_whatever_the_app_language(searcher: Searcher) -> None:
    answer = searcher.answer("chi ha vinto la partita ieri", hint="en")
    assert (answer.kind, answer.language) == ("none", "it")
    assert searcher.answer("maas", hint="en").kind == "paragraph"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ماهو مدير الحساب", "ما هو مدير الحساب"),
        ("скока получает менеджер", "сколько получает менеджер"),
        ("чё делает менеджер по работе с клиентами", "что делает менеджер по работе с клиентами"),
        ("ليه الشركات تحتاج مدير حساب", "لماذا الشركات تحتاج مدير حساب"),
    ],
)
def test_question_words_as_people_type_them_weigh_like_the_written_ones(searcher: Searcher, typed: str, written: str) -> None:
    """ "ماهو" for "ما هو" (what is), "скока" for "сколько" (how much), the dialects' "ليه" for "لماذا" (why): not topic
    words the article lacks."""
    casual, careful = searcher.answer(typed), searcher.answer(written)
    assert (casual.kind, casual.section, casual.paragraph, casual.score) == (
        careful.kind,
        careful.section,
        careful.paragraph,
        careful.score,
    )


@pytest.mark.parametrize(("question", "lang"), [("bir", "tr"), ("ne", "tr"), ("che cosa", "it"), ("и в на", "ru"), ("og", "da")])
def test_a_question_of_the_commonest_words_alone_gets_no_answer(searcher: Searcher, question: str, lang: str) -> None:
    """Every paragraph has "bir" (one) or "и в на" (and, in, on): they ask nothing, by their words or their meaning."""
    answer = searcher.answer(question, hint=lang)
    assert answer.kind == "none"


def test_a_stop_word_that_names_something_is_still_searched(searcher: Searcher) -> None:
    """Stop-word lists carry nouns: "город" (city) is one of stopwordsiso's Russian words, and the article tells where they work."""
    assert searcher.answer("город", hint="ru").kind == "paragraph"


@pytest.mark.parametrize("question", ["what", "help", "who are you"])
def test_a_few_common_words_in_a_language_the_content_lacks_are_no_question_for_the_articles(
    searcher: Searcher, question: str
) -> None:
    """Their meaning is as near a paragraph as any; nothing in them asks about one."""
    answer = searcher.answer(question, hint="en")
    assert (answer.kind, answer.language) == ("none", "en")


def test_buttons_outlive_teaching_and_edits_inside_paragraphs_but_not_a_moved_paragraph(tmp_path: Path) -> None:
    """A button names a paragraph by its place: teaching a question or a synonym, or rewording a paragraph, leaves every
    place naming the same paragraph, so readers' buttons keep working; a paragraph put above another does not."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)

    def generation() -> str:
        return load_index(content, None, guess_article_language).generation

    before = generation()
    (content / "questions.yml").write_text("- no answer: true\n  questions: [konut kredisi faizi]\n", encoding="utf-8")
    (content / "synonyms.yml").write_text("tr:\n  - maaş, ücret\n", encoding="utf-8")
    turkish = content / "account-manager.tr.md"
    turkish.write_text(turkish.read_text(encoding="utf-8").replace("Indeed.com'a göre", "Indeed.com verilerine göre"), encoding="utf-8")
    assert generation() == before
    turkish.write_text(turkish.read_text(encoding="utf-8").replace("Indeed.com verilerine", "Yeni paragraf.\n\nIndeed.com verilerine"), encoding="utf-8")
    assert generation() != before


def test_a_no_answer_is_said_in_the_readers_app_language_when_the_question_reads_as_much_in_it(searcher: Searcher) -> None:
    """An English reader's "how do I cook pasta" reads as Italian too ("do", "i", "pasta"), and nothing answers it:
    they are told so in English. A question clearly Italian keeps Italian whoever asks it."""
    english = searcher.answer("how do I cook pasta", hint="en")
    assert (english.kind, english.language) == ("none", "en")
    italian = searcher.answer("come si cucina la pasta al dente", hint="en")
    assert (italian.kind, italian.language) == ("none", "it")
