"""Reading the content folder's YAML (front matter, `synonyms.yml`, `questions.yml`) safely.

Content folders are written by many hands, so YAML is read with the safe
loader, without aliases, and a file nested too deeply to read is a reason to
skip that one file, never an exception that stops the start.
"""

from __future__ import annotations

from pathlib import Path

import yaml

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
        return None, LoadIssue(path, f"not valid YAML: {getattr(error, 'problem', None) or error}", skipped=True)


def construct(node: yaml.Node) -> object:
    """The plain Python value of a node from `read_yaml` (dicts, lists, strings, numbers)."""
    return NoAliasLoader("").construct_document(node)
