"""The test suite as someone running it sees it: its settings in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
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
