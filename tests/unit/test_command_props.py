"""The command line: any text gives options and an expression, or a JitError."""
from hypothesis import given, settings, strategies as st

from lldb_jit.command import parse_options, split_command
from lldb_jit.errors import JitError


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_command_line_splits_or_fails_cleanly(line):
    options, expr = split_command(line)
    assert options == "" or line.lstrip().startswith("-")
    try:
        parse_options(options)
    except JitError:
        pass
