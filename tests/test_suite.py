"""The test suite as someone running it sees it: its settings in pyproject.toml, and each test written once."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from .conftest import ROOT


def test_a_skipped_test_says_why_in_the_summary(tmp_path: Path) -> None:
    """Without PostgreSQL the storage tests are skipped; the summary names the reason, not only a count."""
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n\n\ndef test_needs_a_server():\n    pytest.skip('no PostgreSQL server: initdb was not found')\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-n0", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "SKIPPED [1] test_skips.py:5: no PostgreSQL server: initdb was not found" in done.stdout, done.stdout


def test_each_test_and_each_parametrised_table_is_written_once() -> None:
    """A conversation is tested once, in process (`test_handlers.py`), and a process test says what only a process
    shows: two files holding a test of the same name, or the same table of cases, drift apart unseen."""
    names: dict[str, set[str]] = defaultdict(set)
    tables: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names[node.name].add(path.name)
            elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("parametrize") and len(node.args) > 1:
                cases = node.args[1]
                if isinstance(cases, ast.List | ast.Tuple) and len(cases.elts) > 1:
                    tables[ast.unparse(cases)].add(path.name)
    assert {name: files for name, files in names.items() if len(files) > 1} == {}
    assert {table[:80]: files for table, files in tables.items() if len(files) > 1} == {}
