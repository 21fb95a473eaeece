"""The command line of `jit-eval`: options before ` -- `, the expression verbatim."""
import lldb
import pytest

from lldb_jit.command import parse_options, split_command
from lldb_jit.errors import JitError


@pytest.mark.parametrize("line, options, expr", [
    ("counter + 1", "", "counter + 1"),
    ("-counter", "", "-counter"),                 # no `--`: an expression, not options
    ("--counter", "", "--counter"),
    ("-- --counter", "", "--counter"),
    ("-- counter + 1", "", "counter + 1"),
    ("  -- counter", "", "counter"),
    ("-t 5 -- slow(1)", "-t 5", "slow(1)"),
    ("--dump ir -- a -- b", "--dump ir", "a -- b"),
    ("--time --", "--time", ""),
    ("--", "", ""),
    ("a - -b", "", "a - -b"),
])
def test_split_command(line, options, expr):
    assert split_command(line) == (options, expr)


def test_parse_options():
    options, shown = parse_options("-t 2.5 --dump all --time --no-cache -O 1")
    assert options.timeout == 2.5 and options.dump == {"ir", "ir-opt", "asm", "object"}
    assert shown["time"] is True and not options.cache and options.opt_level == 1
    assert parse_options("")[0].timeout == 1.0
    assert parse_options("")[1] == {"time": False, "types": False, "format": lldb.eFormatDefault}


@pytest.mark.parametrize("text, fmt", [
    ("-f x", "eFormatHex"), ("--format hex", "eFormatHex"), ("-f 'uppercase hex'", "eFormatHexUppercase"),
    ("-f b", "eFormatBinary"), ("-f A", "eFormatAddressInfo"), ("-G x", "eFormatHex"),
    ("-G 4xw", "eFormatHex"), ("-G t", "eFormatBinary"), ("--gdb-format /d", "eFormatDecimal"),
])
def test_formats(text, fmt):
    assert parse_options(text)[1]["format"] == getattr(lldb, fmt)


@pytest.mark.parametrize("bad", ["-t", "-t abc", "-t -1", "--dump pdf", "--bogus", "-h",
                                 "-f nope", "-G 4q", "-O 3", "-d sometimes"])
def test_bad_options_are_errors_not_exits(bad):
    with pytest.raises(JitError):
        parse_options(bad)


def test_no_options_are_the_parsers_defaults():
    """The shortcut for an option-less command gives what argparse gives."""
    from lldb_jit.command import parse_options
    assert parse_options("") == parse_options("-t 1 -u true -i true")


def test_an_option_text_is_parsed_once_and_a_bad_one_every_time():
    """The same options (and --set-default's, on every evaluation) are parsed once;
    a text that is wrong stays an error each time it is given."""
    first = parse_options("-t 3 --time")
    again = parse_options("-t 3 --time")
    assert again is first and first[0].timeout == 3
    assert parse_options("-t 4 --time")[0].timeout == 4
    for _ in range(2):
        with pytest.raises(JitError):
            parse_options("-t -1")


def test_no_options_are_made_once():
    """An option-less command (every plain `jit-eval EXPR`) reuses one parse."""
    assert parse_options(" ") is parse_options(" ")
    assert parse_options(" ")[0].timeout == 1.0


def test_dependencies_are_searched_until_found(monkeypatch):
    """A missing package is reported at every evaluation; once both are found, later
    evaluations search no more."""
    import importlib.util
    from lldb_jit import command
    searched = []
    present = {"llvmlite": False, "elftools": True}

    def find_spec(name, *args):
        searched.append(name)
        return object() if present[name] else None
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(command, "_dependencies_found", False)
    for _ in range(2):
        with pytest.raises(JitError, match="llvmlite cannot be imported"):
            command.check_dependencies()
    assert len(searched) == 4
    present["llvmlite"] = True
    command.check_dependencies()
    command.check_dependencies()
    assert len(searched) == 6
