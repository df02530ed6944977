"""The package's layers and the rule that holds them: a module imports only its own layer and those its layer stands on.

The map a reader sees is README.md's "How it is built": one table row per
layer, what it stands on and every module in it. `STANDS_ON` below is the
rule; the tests check the imports against it, and the README's table against
it and against the files, so neither can drift.

Data flows one way: files → articles → index → query → reply → Telegram;
what the bot remembers (`storage`) sits beside the search, under the
conversation. Imports inside functions and under `TYPE_CHECKING` count as
well: a circle hidden there is still a circle to a reader.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.telegram.context import BotData

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
STANDS_ON: dict[str, tuple[str, ...]] = {
    "config": (),
    "metrics": (),
    "language": ("config",),
    "content": ("language",),
    "search": ("content",),
    "storage": ("config",),
    "chat": ("search", "storage", "metrics"),
    "telegram": ("chat",),
    "top": ("telegram",),
}
"""Each layer, bottom first, and the layers it imports directly; it may import theirs too (`below`).
`top` is the package itself, `__main__` and `cli`: the commands."""
LAYERS = tuple(STANDS_ON)


def below(layer: str) -> set[str]:
    """Every layer `layer` may import: those it stands on, and theirs."""
    found: set[str] = set()
    for under in STANDS_ON[layer]:
        found |= {under} | below(under)
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(BOT.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in LAYERS:
        return parts[1]
    assert len(parts) <= 2, f"{module}: a package that is not a layer; add it to STANDS_ON and to README.md's map"
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
        if layer(target) != layer(module) and layer(target) not in below(layer(module))
    ]
    assert wrong == []


def test_storage_stands_under_the_conversation_and_beside_the_search() -> None:
    """Storage imports only the settings; the conversation imports it, the search never does."""
    assert below("storage") == {"config"}
    assert "storage" in below("chat")
    assert "storage" not in below("search") | below("language") | below("content")


def test_the_conversation_reaches_the_index_cache_only_for_its_error() -> None:
    """A content reload asks `search.loading` (load_searcher, up_to_date), never the cache's fingerprints."""
    taken = {
        f"{module}: {alias.name}"
        for module, path in MODULES.items()
        if layer(module) == "chat"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("search.index_cache")
        for alias in node.names
    }
    assert {name.split(": ")[1] for name in taken} <= {"IndexBuildError"}, sorted(taken)


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


def untyped_bot_data(source: str) -> list[str]:
    """Each place in `source` that treats python-telegram-bot's `bot_data` as a dict rather than a `BotData`.

    A key read or written (`bot_data["store"]`), a mapping method or a name
    `BotData` does not have (`bot_data.get("store")`), a membership test, or a
    dict made for it (`bot_data={...}`): each line, as `line: code`.
    """
    known = set(BotData.__annotations__) | set(vars(BotData())) | {name for name in dir(BotData) if not name.startswith("__")}

    def is_bot_data(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "bot_data"

    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        wrong = (
            (isinstance(node, ast.Subscript) and is_bot_data(node.value))
            or (isinstance(node, ast.Attribute) and is_bot_data(node.value) and node.attr not in known)
            or (isinstance(node, ast.Compare) and any(is_bot_data(side) for side in node.comparators))
            or (isinstance(node, ast.keyword) and node.arg == "bot_data" and isinstance(node.value, ast.Dict | ast.DictComp))
            or (
                isinstance(node, ast.Assign)
                and any(is_bot_data(target) for target in node.targets)
                and isinstance(node.value, ast.Dict | ast.DictComp)
            )
        )
        if wrong:
            found.append((node.lineno, ast.unparse(node)))
    return [f"{line}: {code}" for line, code in sorted(found)]


def test_no_module_keeps_string_keys_in_bot_data() -> None:
    """What handlers share is `bot.telegram.context.BotData`, by attribute; tests reach it the same way."""
    sources = sorted(BOT.rglob("*.py")) + sorted((ROOT / "tests").rglob("*.py"))
    wrong = {str(path.relative_to(ROOT)): found for path in sources if (found := untyped_bot_data(path.read_text(encoding="utf-8")))}
    assert wrong == {}


def test_the_bot_data_check_sees_keys_mapping_methods_and_dicts() -> None:
    source = """
context.bot_data["dialogue"]
application.bot_data["store"] = store
application.bot_data.get("worker")
"pruner" in application.bot_data
SimpleNamespace(bot_data={"store": store})
context.bot_data.dialogue
application.bot_data.store = store
"""
    assert [line.split(": ")[0] for line in untyped_bot_data(source)] == ["2", "3", "4", "5", "6"]


MAP_HEADING = "## How it is built"
MAP_ROW = re.compile(r"^\|\s*(?P<paths>`bot/[^|]*`)\s*\|(?P<stands_on>[^|]*)\|[^|]+\|(?P<modules>[^|]*)\|$")


def readme_map() -> list[str]:
    """The lines of README.md's "How it is built", its heading included."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(MAP_HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def test_the_readme_map_is_short() -> None:
    assert len(readme_map()) < 40


def test_the_readme_map_names_every_layer_in_order_with_what_it_stands_on() -> None:
    rows = [match for line in readme_map() if (match := MAP_ROW.match(line))]
    named = []
    for row in rows:
        paths = re.findall(r"`bot/([^`]*)`", row["paths"])
        layers = {layer(module_name(BOT / path / "__init__.py" if path.endswith("/") else BOT / path)) for path in paths}
        assert len(layers) == 1, f"one layer a row: {row['paths']}"
        (this,) = layers
        stands_on = tuple(re.findall(r"\w+", row["stands_on"]))
        assert stands_on == STANDS_ON[this], f"README says {this} stands on {stands_on}, tests/test_layers.py {STANDS_ON[this]}"
        named.append(this)
    assert named == list(LAYERS)


def test_the_readme_map_names_every_module_and_only_modules_that_exist() -> None:
    named: set[str] = set()
    for match in filter(None, map(MAP_ROW.match, readme_map())):
        for path in re.findall(r"`bot/([^`]*)`", match["paths"]):
            if path.endswith("/"):
                package = "bot." + path.strip("/").replace("/", ".")
                named |= {package} | {f"{package}.{name}" for name in re.findall(r"`(\w+)`", match["modules"])}
            else:
                named.add(module_name(BOT / path))
    assert sorted(named - set(MODULES)) == [], "named in README.md's map, but no such module"
    assert sorted(set(MODULES) - named - {"bot"}) == [], "not in README.md's map"


def test_every_module_the_readme_map_mentions_exists() -> None:
    """The path of a question names modules as `layer/module`: each of them is a file."""
    mentioned = {name for line in readme_map() for name in re.findall(r"`(\w+/\w+)`", line)}
    assert mentioned, "the map names no module on a question's path"
    assert sorted(name for name in mentioned if not (BOT / f"{name}.py").is_file()) == []
