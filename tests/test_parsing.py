"""Reading real-world article files: quirks handled, broken files reported and skipped."""

from __future__ import annotations

import html
import random
import re
from pathlib import Path

from bot.content.articles import KnowledgeBase
from bot.content.inline import link_targets
from bot.content.parsing import _heading, inline_text, load_knowledge_base

from .conftest import WriteFile


def never_guess(_: str) -> str | None:
    return None


def load(folder: Path) -> KnowledgeBase:
    return load_knowledge_base(folder, never_guess)


def test_seed_articles_all_load_with_sections_and_highlights(seeds_dir: Path) -> None:
    kb = load(seeds_dir)
    assert kb.issues == []
    assert kb.languages == ["ar", "da", "it", "ru", "tr"]
    assert set(kb.translations("account-manager")) == {"ar", "da", "it", "ru", "tr"}
    for article in kb.articles:
        assert [len(s.paragraphs) for s in article.sections] == [1, 3, 6]
        assert len(article.highlights) == 3


def test_heading_without_space_is_a_heading(seeds_dir: Path) -> None:
    kb = load(seeds_dir)
    assert kb.translations("account-manager")["tr"].highlights_heading == "Öne çıkanlar"
    assert kb.translations("account-manager")["da"].highlights_heading == "Højdepunkter"


def test_front_matter_entities_are_unescaped(seeds_dir: Path) -> None:
    italian = load(seeds_dir).translations("account-manager")["it"]
    assert "dell'account" in italian.description
    assert "&#39;" not in italian.description


def test_links_read_as_their_text(seeds_dir: Path) -> None:
    italian = load(seeds_dir).translations("account-manager")["it"]
    paragraph = italian.sections[2].paragraphs[0]
    assert "ritorno sull'investimento per" in paragraph
    assert "/returnoninvestment" not in paragraph and "[" not in paragraph


def test_a_paragraphs_link_targets_are_kept_beside_its_text(seeds_dir: Path) -> None:
    """The reader sees the link's text; where it points says which other article the paragraph relates to."""
    italian = load(seeds_dir).translations("account-manager")["it"]
    assert italian.sections[2].links == ((0, "/returnoninvestment"),)
    assert italian.sections[0].links == ()


def test_inline_markdown_is_reduced_to_what_a_reader_sees() -> None:
    assert inline_text("**Bold** and *it* with `code`, ![alt](x.png) <b>tag</b> &amp; [link](/x)") == (
        "Bold and it with code, alt tag & link"
    )


def test_a_star_in_a_formula_and_an_underscore_in_a_name_stay_as_written() -> None:
    """A lone `*` is closed only by a lone `*`, an underscore inside a word is part of it: the formula and the
    emphasis a writer meant both reach the reader (the formula lost its star and the bold kept one before)."""
    text = "formül 2*3=6 ve **gerçekten kalın** ve _italik_, file_name ve __init__, ***ikisi birden***"
    assert inline_text(text) == "formül 2*3=6 ve gerçekten kalın ve italik, file_name ve init, ikisi birden"


def test_emphasis_inside_emphasis_shows_no_stars() -> None:
    assert inline_text("*a **key** word* and **a *key* word**") == "a key word and a key word"


_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_LINK_TARGET = re.compile(r"(?<!!)\[[^\]]+\]\(\s*<?([^)\s>]+)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS = re.compile(
    r"(?<!\*)\*\*\*(?!\*)(?=\S)(.+?)(?<=[^\s*])\*\*\*(?!\*)"
    r"|(?<!\*)\*\*(?!\*)(?=\S)(.+?)(?<=[^\s*])\*\*(?!\*)"
    r"|(?<![_\w])__(?!_)(?=\S)(.+?)(?<=[^\s_])__(?![_\w])"
    r"|(?<!\*)\*(?!\*)(?=\S)(.+?)(?<=[^\s*])\*(?!\*)"
    r"|(?<![_\w])_(?!_)(?=\S)(.+?)(?<=[^\s_])_(?![_\w])"
    r"|`(?=\S)(.+?)(?<=\S)`"
)
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?!#)\s*(.*?)(?:\s+#+)?\s*$")
"""How inline markdown and headings are read, as patterns: right on every input, but in time quadratic in a line of
unclosed marks (see `bot.content.inline`)."""


def emphasis_by_patterns(text: str, depth: int = 0) -> str:
    """Each emphasis as its text, read again inside (not inside code) down to two levels more."""

    def inner(match: re.Match[str]) -> str:
        group = next(group for group in match.groups() if group is not None)
        code = match.lastindex == len(match.groups())
        return group if code or depth == 2 else emphasis_by_patterns(group, depth + 1)

    return _EMPHASIS.sub(inner, text)


def inline_text_by_patterns(markdown: str) -> str:
    text = _LINK.sub(r"\1", _IMAGE.sub(r"\1", markdown))
    text = _TAG.sub("", _AUTOLINK.sub(r"\1", text))
    return " ".join(html.unescape(emphasis_by_patterns(text)).split())


def test_inline_markdown_and_headings_read_as_the_patterns_read_them() -> None:
    """The linear reading gives what the patterns gave, on lines made of every mark they treat."""
    pieces = [*"*_`[]()!<>ab \n\t\u00a0#", "**", "__", "http:", "https:", "mailto:", "&amp;", "<b>", "](", "![", "##"]
    draw = random.Random(21)
    for _ in range(20_000):
        chosen = draw.sample(pieces, draw.randint(2, len(pieces)))
        line = "".join(draw.choice(chosen) for _ in range(draw.randint(0, 24)))
        assert inline_text(line) == inline_text_by_patterns(line), line
        assert link_targets(line) == _LINK_TARGET.findall(line), line
        first = line.split("\n")[0].rstrip()
        heading = _HEADING.match(first)
        assert _heading(first) == (heading and (len(heading[1]), heading[2])), line


def test_closing_bullet_list_is_the_highlights_whatever_its_heading(write: WriteFile, content: Path) -> None:
    write(
        "topic.de.md",
        """
        ---
        title: Thema
        ---
        # Thema
        ## Erster Teil
        Ein Absatz.

        - nicht die Highlights, denn es folgt noch Text

        Noch ein Absatz.

        ##   Das Wichtigste   ##
        * eins

        * zwei
        """,
    )
    article = load(content).articles[0]
    assert article.highlights == ("eins", "zwei")
    assert article.highlights_heading == "Das Wichtigste"
    assert article.sections[0].paragraphs == (
        "Ein Absatz.",
        "Noch ein Absatz.",
        "• nicht die Highlights, denn es folgt noch Text",
    )


def test_language_from_front_matter_then_file_name_then_text(write: WriteFile, content: Path) -> None:
    write("a.md", "---\ntitle: A\nlang: it\n---\n## S\nTesto.\n")
    write("b.da.md", "---\ntitle: B\n---\n## S\nTekst.\n")
    write("c.md", "---\ntitle: C\n---\n## S\nMetin.\n")
    write("d.da.md", "---\ntitle: D\nlang: xx\n---\n## S\nTekst.\n")
    kb = load_knowledge_base(content, lambda text: "tr")
    assert {a.key: a.lang for a in kb.articles} == {"a": "it", "b": "da", "c": "tr", "d": "da"}
    assert any("detected as 'tr'" in issue.reason for issue in kb.issues)
    assert any("lang 'xx' is not a language code" in issue.reason for issue in kb.issues)


def test_turkish_file_without_language_in_its_name_is_detected_as_turkish(
    write: WriteFile, content: Path, seeds_dir: Path
) -> None:
    from bot.language.langdetect import guess_article_language

    turkish = (seeds_dir / "account-manager.tr.md").read_text(encoding="utf-8")
    write("anything.md", turkish)
    kb = load_knowledge_base(content, guess_article_language)
    assert [a.lang for a in kb.articles] == ["tr"]


def test_translations_grouped_by_translation_key(write: WriteFile, content: Path) -> None:
    write("salary.it.md", "---\ntitle: Stipendio\ntranslationKey: pay\n---\n## S\nTesto.\n")
    write("loen.da.md", "---\ntitle: Løn\ntranslationKey: pay\n---\n## S\nTekst.\n")
    assert set(load(content).translations("pay")) == {"it", "da"}


def test_broken_files_are_skipped_with_a_reason_and_the_rest_loads(write: WriteFile, content: Path) -> None:
    write("good.it.md", "---\ntitle: Buono\n---\n## Sezione\nUn paragrafo.\n")
    write("yaml.it.md", "---\ntitle: [unclosed\n---\n## S\nTesto.\n")
    write("empty.it.md", "---\ntitle: Vuoto\n---\n\n")
    write("headings.it.md", "---\ntitle: Titoli\n---\n# Titolo\n## Solo titoli\n")
    write("unclosed.it.md", "---\ntitle: Aperto\ntranslationKey: aperto\n\n# Aperto\n## Sezione\nUn paragrafo.\n")
    (content / "latin1.it.md").write_bytes("---\ntitle: x\n---\n## S\ncaff\xe8\n".encode("latin-1"))
    kb = load(content)
    assert [a.key for a in kb.articles] == ["good"]
    reasons = {issue.path.name: issue.reason for issue in kb.issues if issue.skipped}
    assert set(reasons) == {"yaml.it.md", "empty.it.md", "headings.it.md", "unclosed.it.md", "latin1.it.md"}
    assert "never closed" in reasons["unclosed.it.md"]
    assert "YAML" in reasons["yaml.it.md"]
    assert "no body" in reasons["empty.it.md"]
    assert "no paragraphs" in reasons["headings.it.md"]
    assert "UTF-8" in reasons["latin1.it.md"]


def test_same_article_twice_keeps_the_first_and_says_so(write: WriteFile, content: Path) -> None:
    write("a.it.md", "---\ntitle: Uno\n---\n## S\nTesto uno.\n")
    write("b.it.md", "---\ntitle: Due\ntranslationKey: a\n---\n## S\nTesto due.\n")
    kb = load(content)
    assert [a.title for a in kb.articles] == ["Uno"]
    assert any(i.skipped and "same article" in i.reason for i in kb.issues)


def test_missing_content_folder_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    kb = load(tmp_path / "nope")
    assert len(kb.articles) == 0 and kb.issues[0].skipped


def test_synonyms_figures_section_lists_each_languages_words_and_names_what_it_ignores(write: WriteFile, content: Path) -> None:
    write("a.it.md", "---\ntitle: Uno\n---\n## S\nTesto uno.\n")
    write(
        "synonyms.yml",
        "it:\n  - stipendio, paga\nfigures:\n  it: stipendio, paga\n  da: [løn, 'pris, koster']\n  figure: prezzo\n",
    )
    kb = load(content)
    assert kb.synonyms == {"it": [("stipendio", "paga")]}
    assert kb.figure_words == {"it": ("stipendio", "paga"), "da": ("løn", "pris", "koster")}
    listed = [(i.reason, i.skipped) for i in kb.issues if i.path.name == "synonyms.yml"]
    assert listed == [("figures: 'figure' is not a language code; ignored", False)]
    write("synonyms.yml", "figures: [prezzo]\n")
    listed = [i.reason for i in load(content).issues if i.path.name == "synonyms.yml"]
    assert listed == ["figures: expected a mapping of language codes to words; ignored"]


def test_the_seed_content_lists_the_words_of_its_subject_that_ask_for_a_figure(seeds_dir: Path) -> None:
    """Pay and prices are the seed article's subject, so its content folder names them, not the language data."""
    figures = load(seeds_dir).figure_words
    assert set(figures) == {"ar", "da", "en", "it", "ru", "tr"}
    assert "maaş" in figures["tr"] and "salary" in figures["en"]
