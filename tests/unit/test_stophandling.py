"""Finding LLDB's stop handling (lldb_jit/stophandling.py): the symbol table lookup, and
that an evaluation outside it is left alone."""
import struct

import lldb

from lldb_jit import stophandling
from lldb_jit.stophandling import _symbol


def entry(name: int, shndx: int, value: int, size: int) -> bytes:
    return struct.pack("<IBBHQQ", name, 0x12, 0, shndx, value, size)


def test_symbol_is_the_entry_that_names_it():
    table = entry(0, 0, 0, 0) + entry(7, 0, 0, 0) + entry(7, 12, 0x5000, 40)
    assert _symbol(table, 7) == (0x5000, 40)             # the undefined one is skipped
    assert _symbol(table, 9) is None


def test_symbol_ignores_the_number_inside_another_field():
    # 0x11 appears in the first entry's value, off the 24-byte grid of names
    table = entry(3, 1, 0x11, 8) + entry(0x11, 1, 0x7000, 16)
    assert _symbol(table, 0x11) == (0x7000, 16)


def test_this_lldb_has_what_callbacks_need():
    """The LLDB wheel the project uses keeps its symbol table: the functions are found
    and checked against the code mapped in this process."""
    library = stophandling.library()
    for span in (library.handling, library.private_thread, library.raise_count):
        assert span is not None and span[0] < span[1]


def test_outside_stop_handling_nothing_changes():
    assert stophandling.where() is None
    with stophandling.evaluation(lldb.SBProcess()):
        assert not stophandling.inside()
        stophandling.check_resume()                       # no refusal
