"""Reading article files into `Article`s.

Content comes from people and converters, not from a schema validator, so the
reader is forgiving where the intent is clear (a heading typed `##Öne
çıkanlar`, entities such as `&#39;` in front matter, links that only make
sense on a website) and loud where it is not: a file it cannot use is skipped
with a `LoadIssue` naming the file and the reason, and the rest still loads.

It is also wary, since one file must not be able to take the bot down: a file
over `max_bytes` is not read at all (a 50 MB article took the start past four
minutes and 2 GB), YAML aliases are refused (ten lines of nested aliases,
a "billion laughs", expand to gigabytes once the front matter's values are
turned into text), and reading takes time linear in the file's size (a line
of unclosed marks took quadratic time: see `inline`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from ..config import DEFAULT_MAX_ARTICLE_BYTES
from ..language.languages import is_language_code, language_code
from .articles import Article, KnowledgeBase, LoadIssue, Section
from .files import Unreadable, content_files, read_text
from .inline import inline_text, link_targets
from .taught import TAUGHT_FILE, load_taught
from .yaml_files import TOO_DEEP, AliasRefused, NoAliasLoader, construct, read_yaml

log = logging.getLogger(__name__)

LanguageGuesser = Callable[[str], str | None]

_HEADING = re.compile(r" {0,3}(#{1,6})(?!#)\s*(.*)")
_BULLET = re.compile(r"^ {0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")


def _heading(line: str) -> tuple[int, str] | None:
    r"""A heading's level and text, without the closing `#`s some writers add (`## Title ##`); None for other lines.

    The closing `#`s are taken off here rather than by the pattern: a lazy
    `(.*?)(?:\s+#+)?` before the end tried the whitespace after each character
    again, and one heading with a long run of spaces inside took seconds.
    `line` has no trailing whitespace.
    """
    match = _HEADING.match(line)
    if not match:
        return None
    text = match.group(2)
    bare = text.rstrip("#")
    if bare != text and bare[-1:].isspace():
        text = bare.rstrip()
    return len(match.group(1)), text


@dataclass
class _Block:
    kind: str
    """"heading", "paragraph" or "list"."""
    text: str = ""
    level: int = 0
    items: list[list[str]] = field(default_factory=list)
    """A list's items, each as its lines: the bullet's and the indented ones that go on with it."""
    links: tuple[str, ...] = ()
    """A paragraph's link targets, which `inline_text` leaves out of its text."""


def _blocks(body: str) -> list[_Block]:
    """Split a markdown body into headings, paragraphs and bullet lists.

    A list goes on across blank lines while the next line is still a bullet,
    since converters often put a blank line between items.
    """
    blocks: list[_Block] = []
    lines: list[str] = []
    current_list: _Block | None = None

    def flush_paragraph() -> None:
        if lines:
            markdown = " ".join(lines)
            links = tuple(link_targets(markdown)) if "](" in markdown else ()
            blocks.append(_Block("paragraph", inline_text(markdown), links=links))
            lines.clear()

    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush_paragraph()
            continue
        heading = _heading(line)
        if heading and heading[1]:
            flush_paragraph()
            current_list = None
            blocks.append(_Block("heading", inline_text(heading[1]), level=heading[0]))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush_paragraph()
            if current_list is None or blocks[-1] is not current_list:
                current_list = _Block("list")
                blocks.append(current_list)
            current_list.items.append([inline_text(bullet.group(1))])
            continue
        if current_list is not None and blocks[-1] is current_list and raw[:1].isspace() and not lines:
            current_list.items[-1].append(inline_text(line))
            continue
        current_list = None
        lines.append(line.strip())
    flush_paragraph()
    return [b for b in blocks if b.text or b.items]


def plain_text(markdown: str) -> str:
    """What a reader sees of a piece of an article's body as written (a paragraph, a list): each paragraph's and each
    list item's text on a line of its own, read exactly as an article's are, headings left out."""
    lines: list[str] = []
    for block in _blocks(markdown):
        if block.kind == "paragraph":
            lines.append(block.text)
        elif block.kind == "list":
            lines += [" ".join(item) for item in block.items]
    return "\n".join(lines)


@dataclass
class _Draft:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    lists: list[list[str]] = field(default_factory=list)
    only_lists: bool = True
    links: list[tuple[int, str]] = field(default_factory=list)


def _structure(blocks: list[_Block], fallback_title: str) -> tuple[str, list[_Draft]]:
    """Group blocks into the H1 title and sections; text before any H2 gets the title as heading."""
    title = ""
    drafts: list[_Draft] = []
    for block in blocks:
        if block.kind == "heading":
            if block.level == 1 and not title:
                title = block.text
            else:
                drafts.append(_Draft(block.text))
            continue
        if not drafts:
            drafts.append(_Draft(title or fallback_title))
        draft = drafts[-1]
        if block.kind == "list":
            draft.lists.append([" ".join(lines) for lines in block.items])
        else:
            draft.links.extend((len(draft.paragraphs), target) for target in block.links)
            draft.paragraphs.append(block.text)
            draft.only_lists = False
    return title, drafts


def _split_highlights(drafts: list[_Draft]) -> tuple[list[Section], list[str], str]:
    """The closing all-bullets section is the highlights, whatever its heading says."""
    highlights: list[str] = []
    highlights_heading = ""
    if drafts and drafts[-1].only_lists and drafts[-1].lists:
        last = drafts.pop()
        highlights = [item for items in last.lists for item in items]
        highlights_heading = last.heading
    sections = []
    for draft in drafts:
        paragraphs = list(draft.paragraphs)
        paragraphs += ["\n".join(f"• {item}" for item in items) for items in draft.lists]
        if paragraphs:
            sections.append(Section(draft.heading, tuple(paragraphs), tuple(draft.links)))
    return sections, highlights, highlights_heading


def _text_field(value: object) -> str:
    return inline_text(str(value)) if value is not None else ""


def _keywords(value: object) -> tuple[str, ...]:
    items: Iterable[object]
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(k for k in (_text_field(i) for i in items) if k)


def _name_parts(path: Path) -> tuple[str, str | None]:
    """Slug and language from a file name such as `account-manager.tr.md`."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    slug, _, tail = stem.rpartition(".")
    if slug and is_language_code(tail.lower()):
        return slug, tail.lower()
    return stem, None


class _Skip(Exception):
    """A reason to leave a file out, worded for the content owner."""


class _FrontMatter(YAMLHandler):
    """python-frontmatter's YAML handler with `NoAliasLoader`."""

    def load(self, fm: str, **kwargs: object) -> object:
        return yaml.load(fm, Loader=NoAliasLoader)


_FRONT_MATTER = _FrontMatter()

def parse_article(path: Path, text: str, guess_language: LanguageGuesser) -> tuple[Article, list[str]]:
    """One article and the warnings about it; raises `_Skip` when the file is unusable.

    Front matter opened and never closed is a broken file, not body text:
    python-frontmatter reads it as text, and readers were answered with the
    file's own "title:" and "translationKey:" lines.
    """
    opened = _FRONT_MATTER.detect(text)
    if opened and len(_FRONT_MATTER.FM_BOUNDARY.findall(text)) < 2:
        raise _Skip("front matter is never closed: the '---' line that opens it needs another after its last field")
    try:
        post = frontmatter.loads(text, handler=_FRONT_MATTER if opened else None)
    except AliasRefused as error:
        raise _Skip(f"{error} in front matter") from None
    except RecursionError:
        raise _Skip(TOO_DEEP.format("front matter")) from None
    except (yaml.YAMLError, ValueError, TypeError, AttributeError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise _Skip(f"front matter is not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    meta = post.metadata if isinstance(post.metadata, dict) else {}
    body = post.content
    if not body.strip():
        raise _Skip("the article has no body text")

    warnings: list[str] = []
    slug, file_lang = _name_parts(path)
    h1_title, drafts = _structure(_blocks(body), slug)
    sections, highlights, highlights_heading = _split_highlights(drafts)
    if not sections:
        raise _Skip("no paragraphs found under any heading")

    title = _text_field(meta.get("title")) or h1_title
    if not title:
        warnings.append("no title in the front matter and no '# heading'; using the file name")
        title = slug
    if not highlights:
        warnings.append("no closing bullet list, so the article has no highlights")

    lang = language_code(meta["lang"]) if meta.get("lang") else None
    if meta.get("lang") and not lang:
        warnings.append(f"front matter lang {meta['lang']!r} is not a language code; ignored")
    lang = lang or file_lang
    if not lang:
        sample = " ".join([title] + [p for s in sections for p in s.paragraphs][:5])
        lang = guess_language(sample)
        if not lang:
            raise _Skip("language unknown: name the file SLUG.LANG.md or add 'lang:' to the front matter")
        warnings.append(f"no language code in the file name or front matter; detected as {lang!r} from the text")

    article = Article(
        key=str(meta.get("translationKey") or slug),
        lang=lang,
        title=title,
        description=_text_field(meta.get("description")),
        keywords=_keywords(meta.get("keywords")),
        sections=tuple(sections),
        highlights=tuple(highlights),
        highlights_heading=highlights_heading,
        path=path,
    )
    return article, warnings


def _read_text(content_dir: Path, path: Path, max_bytes: int) -> str:
    try:
        return read_text(content_dir, path, max_bytes)
    except Unreadable as reason:
        raise _Skip(str(reason)) from None


SYNONYMS_FILE = "synonyms.yml"
OWNER_FILES = (SYNONYMS_FILE, TAUGHT_FILE)
"""The files beside the articles in which the content owner tells the bot about readers' words and questions."""
FIGURES = "figures"
"""The section of `synonyms.yml` that lists, per language, the words of the content's subject that ask for a figure."""


@dataclass(frozen=True)
class ContentWords:
    """What the content owner says about readers' words in `synonyms.yml`."""

    synonyms: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """Per language, groups of words readers use for the same thing."""
    figure_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per language, words of the content's subject that ask for an amount ("salary", "price"): a question naming
    one prefers a paragraph that states a figure, as one asking "how much" does (`language/cue_lists`)."""


def load_synonyms(content_dir: Path, max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES) -> tuple[ContentWords, list[LoadIssue]]:
    """Synonym groups per language from the folder's `synonyms.yml`: a YAML mapping of language code to lines of
    comma-separated words; and its `figures` section, a mapping of language code to comma-separated words."""
    path = content_dir / SYNONYMS_FILE
    if not os.path.lexists(path):
        return ContentWords(), []
    node, refused = read_yaml(content_dir, path, max_bytes)
    if refused:
        return ContentWords(), [refused]
    try:
        data = construct(node) if node else None
    except RecursionError:
        return ContentWords(), [LoadIssue(path, TOO_DEEP.format("the YAML"), skipped=True)]
    if not isinstance(data, dict):
        return ContentWords(), [LoadIssue(path, "expected a mapping of language codes to lists of word groups", skipped=True)]
    groups: dict[str, list[tuple[str, ...]]] = {}
    issues: list[LoadIssue] = []
    figures = _figure_words(path, data.pop(FIGURES, None), issues)
    for lang, lines in data.items():
        code = language_code(lang)
        if not code or not isinstance(lines, list):
            issues.append(
                LoadIssue(path, f"{lang!r}: expected a language code with a list of word groups; ignored", skipped=False)
            )
            continue
        for line in lines:
            words = _words(line)
            if len(words) >= 2:
                groups.setdefault(code, []).append(words)
            else:
                issues.append(LoadIssue(path, f"{code}: group {line!r} has fewer than two words; ignored", skipped=False))
    return ContentWords(groups, figures), issues


def _figure_words(path: Path, section: object, issues: list[LoadIssue]) -> dict[str, tuple[str, ...]]:
    """The `figures` section: each language's words, from one comma-separated line or a list of them."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        issues.append(LoadIssue(path, f"{FIGURES}: expected a mapping of language codes to words; ignored", skipped=False))
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for lang, lines in section.items():
        code = language_code(lang)
        if not code:
            issues.append(LoadIssue(path, f"{FIGURES}: {lang!r} is not a language code; ignored", skipped=False))
            continue
        found[code] = tuple(word for line in (lines if isinstance(lines, list) else [lines]) for word in _words(line))
    return found


def _words(line: object) -> tuple[str, ...]:
    return tuple(w.strip() for w in str(line).split(",") if w.strip())


def load_knowledge_base(
    content_dir: Path,
    guess_language: LanguageGuesser,
    *,
    max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    reading: Callable[[Path], None] = lambda path: None,
) -> KnowledgeBase:
    """Parse every article under `content_dir`; problems become `LoadIssue`s, never exceptions.

    `reading` is told each file before it is read, so that whoever runs this
    can say which file it was on should the process fail outright.
    """
    kb = KnowledgeBase()
    if not content_dir.is_dir():
        kb.issues.append(LoadIssue(content_dir, "content folder does not exist", skipped=True))
        return kb
    seen: dict[tuple[str, str], Path] = {}
    for path in content_files(content_dir):
        reading(path)
        try:
            article, warnings = parse_article(path, _read_text(content_dir, path, max_bytes), guess_language)
        except _Skip as reason:
            kb.issues.append(LoadIssue(path, str(reason), skipped=True))
            continue
        except OSError as error:
            kb.issues.append(LoadIssue(path, f"cannot be read: {error.strerror or error}", skipped=True))
            continue
        kb.issues.extend(LoadIssue(path, w, skipped=False) for w in warnings)
        first = seen.get((article.key, article.lang))
        if first:
            kb.issues.append(LoadIssue(path, f"same article and language as {first.name}; kept that one", skipped=True))
            continue
        seen[(article.key, article.lang)] = path
        kb.articles.append(article)
    reading(content_dir / SYNONYMS_FILE)
    words, synonym_issues = load_synonyms(content_dir, max_bytes)
    kb.synonyms, kb.figure_words = words.synonyms, words.figure_words
    kb.issues.extend(synonym_issues)
    reading(content_dir / TAUGHT_FILE)
    kb.taught, taught_issues = load_taught(content_dir, kb, max_bytes)
    kb.issues.extend(taught_issues)
    for issue in kb.issues:
        log.warning("%s", issue)
    return kb
