"""The package's layers, bottom to top, and the rule that holds them: a module imports only its own layer and those under it.

=========  ==============================================================  ============================
layer      modules                                                         holds
=========  ==============================================================  ============================
config     bot.config                                                      settings, read once from the
                                                                           environment; imports nothing
                                                                           of the bot, so any layer may
                                                                           take its types
language   bot.language: textnorm, analysis, frequencies, spelling,        text in one language, and
           packed, langdetect, languages, cues (+ cue_lists/*.json)        which language a text is in
content    bot.content: articles, files, parsing, inline                   article files → articles
search     bot.search: tuning, index, index_cache, matching, reading,      articles → index; question →
           signals, ranking, searcher, loading, embedding, encoder,        answer
           vectors, similarity, background
chat       bot.chat: dialogue, render, callbacks, store, reload,           the conversation, free of
           messages, storage, pgstore, retention, outage                   Telegram types
           (+ bot/locales/*.json)
telegram   bot.telegram: app, handlers, delivery, flood, webhook           the Telegram side
top        bot (the package), bot.__main__, bot.cli                        the commands
=========  ==============================================================  ============================

Data flows one way: files → articles → index → query → reply → Telegram.
Imports inside functions and under `TYPE_CHECKING` count as well: a circle
hidden there is still a circle to a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
LAYERS = ("config", "language", "content", "search", "chat", "telegram", "top")


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(BOT.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in LAYERS:
        return parts[1]
    assert len(parts) <= 2, f"{module}: a package that is not a layer; add it to the table in {__name__}"
    return "top"


def imports(module: str) -> set[str]:
    """The bot modules `module` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "bot")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").split(".")[0] == "bot":
                target = node.module or ""
            else:
                continue
            names = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [name for name in names if name in MODULES]
            found.update(submodules or [target])
    unknown = found - set(MODULES)
    assert not unknown, f"{module} imports {sorted(unknown)}, which this test cannot find"
    return found


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_belongs_to_a_layer() -> None:
    assert {layer(module) for module in MODULES} == set(LAYERS)


def test_no_import_against_the_layer_order() -> None:
    wrong = [
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in GRAPH.items()
        for target in sorted(targets)
        if LAYERS.index(layer(target)) > LAYERS.index(layer(module))
    ]
    assert wrong == []


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components: any with two modules or more is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in GRAPH[module]:
                circles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert circles == []


def test_the_check_sees_imports_inside_functions_and_relative_ones() -> None:
    assert "bot.telegram.app" in GRAPH["bot.cli"]
    assert "bot.telegram.handlers" in GRAPH["bot.telegram.app"]
    assert {"bot.language.cues", "bot.language.textnorm"} <= GRAPH["bot.language.analysis"]
