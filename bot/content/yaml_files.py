"""Reading the content folder's YAML (front matter, `synonyms.yml`, `questions.yml`) safely.

Content folders are written by many hands, so YAML is read with the safe
loader, without aliases, and a file nested too deeply to read is a reason to
skip that one file, never an exception that stops the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .articles import LoadIssue
from .files import Unreadable, read_text


class AliasRefused(yaml.YAMLError):
    """The YAML uses an alias (`*name`), which `NoAliasLoader` does not expand."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(f"YAML aliases are not allowed (line {mark.line + 1})")


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases before anything is built from them.

    Nothing the content folder holds needs an alias, and with them a few
    lines can stand for billions of values. Anchors alone are harmless.
    """

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise AliasRefused(self.peek_event().start_mark)
        return super().compose_node(parent, index)


TOO_DEEP = "{} is nested too deeply to read (brackets or indentation hundreds of levels deep)"
"""YAML (and JSON front matter) is read recursively, one call per level: `[[[[...]]]]` three thousand deep ran out
of stack, and the error took the whole start with it rather than that one file."""


def read_yaml(content_dir: Path, path: Path, max_bytes: int) -> tuple[yaml.Node | None, LoadIssue | None]:
    """The file's YAML as a node tree, which keeps each value's line for messages; or why the file is skipped.

    An empty file is `(None, None)`: nothing to read, nothing wrong."""
    try:
        text = read_text(content_dir, path, max_bytes)
        return yaml.compose(text, Loader=NoAliasLoader), None
    except Unreadable as reason:
        return None, LoadIssue(path, str(reason), skipped=True)
    except OSError as error:
        return None, LoadIssue(path, f"cannot be read: {error.strerror or error}", skipped=True)
    except AliasRefused as error:
        return None, LoadIssue(path, str(error), skipped=True)
    except RecursionError:
        return None, LoadIssue(path, TOO_DEEP.format("the YAML"), skipped=True)
    except yaml.YAMLError as error:
        return None, LoadIssue(path, f"not valid YAML: {_problem(error)}", skipped=True)


def _problem(error: yaml.YAMLError) -> str:
    """What is wrong and on which lines: in a long `questions.yml` the line is how the owner finds it, and an unclosed
    bracket is noticed lines later, so where the bracket opened is said too."""
    problem = getattr(error, "problem", None) or str(error)
    mark, context, opened = (getattr(error, name, None) for name in ("problem_mark", "context", "context_mark"))
    where = f"{problem} (line {mark.line + 1})" if mark is not None else problem
    if context and opened is not None and mark is not None and opened.line != mark.line:
        return f"{where}, {context} opened on line {opened.line + 1}"
    return where


def construct(node: yaml.Node) -> object:
    """The plain Python value of a node from `read_yaml` (dicts, lists, strings, numbers)."""
    return NoAliasLoader("").construct_document(node)


_STR = "tag:yaml.org,2002:str"
_COLLECTIONS = (None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
_KEY = object()
"""What a mapping being read waits for when its next value is a key."""


def read_yaml_list(
    content_dir: Path, path: Path, max_bytes: int, expected: str
) -> tuple[list[tuple[int, object]], LoadIssue | None]:
    """The items of a file whose YAML is a list, each with the line it starts on, as plain values; or why not
    (`expected` says what the file should hold when it is not a list).

    Built from the parser's events one at a time, with libyaml's parser where
    PyYAML has it: `read_yaml`'s node tree holds every value's position, and for
    100,000 taught questions (a 14 MB `questions.yml`) it took 23 s and 570 MB;
    the events take a second and no memory beyond the values. Aliases are
    refused as `NoAliasLoader` refuses them, and nesting costs no recursion.
    An empty file is no items.
    """
    try:
        items = list_items(read_text(content_dir, path, max_bytes))
    except Unreadable as reason:
        return [], LoadIssue(path, str(reason), skipped=True)
    except OSError as error:
        return [], LoadIssue(path, f"cannot be read: {error.strerror or error}", skipped=True)
    except AliasRefused as error:
        return [], LoadIssue(path, str(error), skipped=True)
    except yaml.YAMLError as error:
        return [], LoadIssue(path, f"not valid YAML: {_problem(error)}", skipped=True)
    if items is None:
        return [], LoadIssue(path, expected, skipped=True)
    return items, None


def list_items(text: str) -> list[tuple[int, object]] | None:
    """The items of YAML `text` that is a list (none when it is empty), each with the line it starts on; None when it
    holds something else. `yaml.YAMLError` (`AliasRefused` among them) when it is not YAML the content may hold."""
    value, lines = _plain(yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    return list(zip(lines, value, strict=True))


def _plain(events: Iterable[yaml.Event]) -> tuple[object, list[int]]:
    """The document's value built from its events, and the line each item of a top-level list starts on."""
    resolver, constructor = Resolver(), SafeConstructor()
    root: object = None
    lines: list[int] = []
    open_: list[list[object] | dict[object, object]] = []
    keys: list[object] = []
    documents = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise AliasRefused(event.start_mark)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise yaml.YAMLError(f"expected a single document (line {event.start_mark.line + 1})")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            open_.pop()
            keys.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        value: object
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag if event.tag not in (None, "!") else resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            value = event.value if tag == _STR else constructor.construct_object(node)
        elif event.tag not in _COLLECTIONS:
            raise yaml.YAMLError(f"the tag {event.tag} is not allowed (line {event.start_mark.line + 1})")
        else:
            value = [] if isinstance(event, yaml.SequenceStartEvent) else {}
        if len(open_) == 1 and isinstance(open_[0], list):
            lines.append(event.start_mark.line + 1)
        if not open_:
            root = value
        elif isinstance(open_[-1], list):
            open_[-1].append(value)
        elif keys[-1] is _KEY:
            if isinstance(value, (list, dict)):
                raise yaml.YAMLError(f"a key must be a plain value (line {event.start_mark.line + 1})")
            keys[-1] = value
        else:
            open_[-1][keys[-1]] = value
            keys[-1] = _KEY
        if isinstance(value, (list, dict)):
            open_.append(value)
            keys.append(_KEY)
    return root, lines
