"""Taught questions as content: `questions.yml` names paragraphs the way an owner can read and keep."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.articles import HIGHLIGHTS, KnowledgeBase, Located
from bot.content.parsing import load_knowledge_base
from bot.content.taught import (
    TAUGHT_FILE,
    Asked,
    ParagraphRef,
    TaughtEntry,
    dump_taught,
    locate,
    read_taught,
    reference,
)
from bot.search.index_cache import content_fingerprint


def never_guess(_: str) -> str | None:
    return None


@pytest.fixture
def folder(tmp_path: Path, seeds_dir: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(seeds_dir, copy)
    return copy


def load(folder: Path) -> KnowledgeBase:
    return load_knowledge_base(folder, never_guess)


def teach(folder: Path, text: str) -> None:
    (folder / TAUGHT_FILE).write_text(text, encoding="utf-8")


SALARY = """\
- article: account-manager
  lang: tr
  section: Hesap Yöneticisi Rolleri Örnekleri
  paragraph: Indeed.com'a göre, ABD'deki hesap yöneticileri için maaş aralığı yılda…
  questions:
    - ne kadar kazanırım
    - {question: how much does it pay, lang: en}
- no answer: true
  questions:
    - konut kredisi faizi ne
"""


def test_taught_questions_point_to_their_paragraph_and_no_answer_to_none(folder: Path) -> None:
    teach(folder, SALARY)
    kb = load(folder)
    assert kb.issues == []
    salary = Located("account-manager", "tr", 2, 4)
    assert [(p.question, p.lang, p.target) for p in kb.taught] == [
        ("ne kadar kazanırım", "tr", salary),
        ("how much does it pay", "en", salary),
        ("konut kredisi faizi ne", None, None),
    ]


def test_a_paragraph_is_found_after_its_later_sentences_and_neighbours_change(folder: Path) -> None:
    teach(folder, SALARY)
    article = folder / "account-manager.tr.md"
    text = article.read_text(encoding="utf-8")
    text = text.replace("Bir şirket, başlangıçta", "Yeni bir paragraf.\n\nBir şirket, başlangıçta")
    text = text.replace("Chicago, San Francisco", "Chicago, Boston")
    article.write_text(text, encoding="utf-8")
    kb = load(folder)
    assert kb.issues == []
    assert kb.taught[0].target == Located("account-manager", "tr", 2, 5)


def test_an_edited_opening_still_names_its_paragraph(folder: Path) -> None:
    teach(folder, SALARY.replace("maaş aralığı yılda", "maaş aralığı her yıl"))
    assert load(folder).taught[0].target == Located("account-manager", "tr", 2, 4)


def test_highlights_are_named_by_the_word_highlights(folder: Path) -> None:
    teach(folder, "- {article: account-manager, lang: da, section: x, paragraph: highlights, questions: [kort fortalt]}\n")
    assert load(folder).taught[0].target == Located("account-manager", "da", HIGHLIGHTS, 0)


def test_an_entry_whose_paragraph_has_gone_is_a_warning_naming_its_line(folder: Path) -> None:
    teach(folder, SALARY + "- {article: account-manager, lang: tr, section: x, paragraph: Bu paragraf yok artık, questions: [a]}\n"
          "- {article: no-such-article, lang: tr, section: x, paragraph: y, questions: [b]}\n")
    kb = load(folder)
    messages = [str(issue) for issue in kb.issues]
    assert len(messages) == 2
    assert "line 11: no paragraph of account-manager.tr.md begins 'Bu paragraf yok artık'" in messages[0]
    assert "correct the entry or remove it" in messages[0]
    assert "line 12: no article 'no-such-article' in language 'tr'" in messages[1]
    assert len(kb.taught) == 3 and len(kb.articles) == 5


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- just a question\n", "expected a mapping"),
        ("- {article: account-manager, lang: tr, paragraph: x}\n", "`questions` should be a list"),
        ("- {lang: tr, questions: [a]}\n", "missing article, paragraph"),
        ("- {article: a, lang: turkish, paragraph: x, questions: [a]}\n", "not a language code"),
        ("- {no answer: true, questions: [[nested]]}\n", "neither text nor"),
    ],
)
def test_a_malformed_entry_is_ignored_with_its_reason(folder: Path, text: str, reason: str) -> None:
    teach(folder, SALARY + text)
    kb = load(folder)
    assert len(kb.taught) == 3
    assert len(kb.issues) == 1 and reason in kb.issues[0].reason and "line 11" in kb.issues[0].reason


def test_a_misspelt_key_of_an_entry_is_named_with_its_line(folder: Path) -> None:
    """`questions2:` would otherwise be dropped without a word, and the questions under it never taught."""
    teach(folder, SALARY + "- no answer: true\n  questions: [a]\n  questions2: [b]\n")
    kb = load(folder)
    assert len(kb.taught) == 4
    assert [issue.reason for issue in kb.issues] == [
        "line 11: `questions2` ignored: an entry has `questions` and either `article`, `lang`, `section`, `paragraph` or "
        "`no answer`"
    ]


def test_a_file_that_is_not_yaml_is_named_with_the_line_of_its_mistake(folder: Path) -> None:
    teach(folder, SALARY + "- no answer: true\n  questions: [a, b\n- no answer: true\n")
    (issue,) = load(folder).issues
    assert issue.skipped and "(line 13), while parsing a flow sequence opened on line 12" in issue.reason


@pytest.mark.parametrize(
    "text",
    [
        "{not: [closed\n",
        "just: a mapping\n",
        "- &a {no answer: true, questions: [x]}\n- *a\n",
        "- {no answer: true, questions: [x]}\n---\n- {no answer: true, questions: [y]}\n",
        "- !!python/object/apply:os.system [echo]\n",
        "- {no answer: true, questions: !!python/name:os.system x}\n",
        "- {no answer: true, questions: " + "[" * 2000 + "]" * 2000 + "}\n",
    ],
)
def test_an_unreadable_file_is_skipped_and_the_articles_still_load(folder: Path, text: str) -> None:
    teach(folder, text)
    kb = load(folder)
    assert kb.taught == [] and len(kb.articles) == 5
    assert [issue.path.name for issue in kb.issues] == [TAUGHT_FILE]


def test_writing_what_was_read_changes_nothing(folder: Path) -> None:
    kb = load(folder)
    article = kb.translations("account-manager")["ru"]
    entries = [
        TaughtEntry((Asked("сколько платят"), Asked("what's the pay", "en")), reference(article, 2, 4)),
        TaughtEntry((Asked("ипотека"),), None),
    ]
    teach(folder, dump_taught(entries))
    again, issues = read_taught(folder, 1_000_000)
    assert issues == []
    assert [(e.questions, e.answer) for e in again] == [(e.questions, e.answer) for e in entries]
    assert dump_taught(again) == (folder / TAUGHT_FILE).read_text(encoding="utf-8")
    assert locate(again[0].answer, load(folder)) == Located("account-manager", "ru", 2, 4)


def test_a_reference_names_a_paragraph_by_heading_and_opening_words(folder: Path) -> None:
    article = load(folder).translations("account-manager")["it"]
    ref = reference(article, 0, 0)
    assert ref == ParagraphRef("account-manager", "it", article.sections[0].heading, ref.opening)
    assert ref.opening.endswith("…") and len(ref.opening.split()) == 12


def test_editing_taught_questions_changes_the_content_fingerprint(folder: Path) -> None:
    before = content_fingerprint(folder)
    teach(folder, SALARY)
    assert content_fingerprint(folder) != before


def test_a_question_with_an_emoji_is_written_as_typed_and_read_back(folder: Path) -> None:
    entries = [TaughtEntry((Asked("maaş 💰 ne kadar"), Asked("yes"), Asked("12")), None)]
    teach(folder, dump_taught(entries))
    assert "  - maaş 💰 ne kadar\n" in (folder / TAUGHT_FILE).read_text(encoding="utf-8")
    again, issues = read_taught(folder, 1_000_000)
    assert issues == [] and [e.questions for e in again] == [e.questions for e in entries]
