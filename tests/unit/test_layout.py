"""The suite's own layout: `pytest tests` (what `make test` runs) collects both folders
in one process, where two test files of one name cannot both be imported."""
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def test_test_file_names_are_unique_across_folders():
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    assert [n for n, count in names.items() if count > 1] == []
