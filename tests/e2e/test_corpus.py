"""The real-program corpus (issue 8): code no one here wrote, with the debug info Debian
ships for it (`make system-deps` installs the packages). Each program is stopped in one
of its own functions and every expression below is evaluated three times: by
`jit-eval`, by LLDB's `expression` in the same session, and by gdb's `whatis` +
`print` (gdb evaluates C as C); and once more by `jit-eval --interpret false`, which
must answer as the first `jit-eval` did (most read-only expressions were interpreted
there: this runs their code on these programs' types). One lldb and one gdb process per
program, all expressions batched, the six sessions run side by side.

jit-eval must give gdb's answer, or LLDB's where gdb is wrong about C; where both are,
the table gives C's answer. Every disagreement between the two oracles is listed in the
`disagree` tables (a test checks them against what the oracles printed), and
every expression jit-eval cannot evaluate yet is a strict xfail naming what is missing:
when the fix lands the xfail flips and its line here goes.

No program here is built with -g3 (their DW_AT_producer says -g): none carries macros,
so macro expressions (`errno == ENOENT`) are errors for all three evaluators."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from corpus import Program, canon_type, canon_value, disagreement, gdb_session, lldb_session
from lldbrun import HERE, build


@dataclasses.dataclass(frozen=True)
class Disagreement:
    """gdb and LLDB differ on an expression's `aspect` ("answer": one of them has
    none, "type", "value" or "type+value"); `wrong` says which is: "gdb", "lldb",
    "both" (then `c_type`/`c_value` give C's answer) or "style" (a printing
    convention, not an error: jit-eval prints with LLDB's formatters, as designed)."""
    wrong: str
    aspect: str
    why: str
    c_type: str | None = None
    c_value: str | None = None


# -- why the oracles differ (the reasons the tables share) --------------------------------
LLDB_BOOL = "LLDB runs C as C++: a comparison or && is bool, C's is int"
GDB_SIZEOF = "gdb types sizeof as int; C's is size_t (unsigned long)"
GDB_WHATIS_CALL = ("gdb's whatis cannot call through a typedef'd function pointer "
                   "('Expression of type other than \"Function returning ...\"'); print can")
GDB_WHATIS_CAST = "gdb's whatis rejects a cast of a call to a function without debug info"
GDB_FUNCTION = "gdb types a function designator as the function; C converts it to a pointer"
GDB_ENUMERATOR = "gdb types an enumerator as its enum (C: int); LLDB does not find it"
LLDB_ENUMERATOR_ONLY = "LLDB does not find an enumerator of an enum that has no typedef"
LLDB_CPP_POINTERS = "LLDB's C++ rejects comparing distinct function pointer types; C (gcc) warns"
LLDB_TAG_AS_TYPE = "LLDB's C++ takes an enum tag as a type name; C has no type 'PyUnicode_Kind'"
LLDB_DECLARATION = ("the variable's DWARF is a declaration only (defined in assembly or "
                    "under another name): gdb joins it to the ELF symbol, LLDB sees a symbol "
                    "without a type")
LLDB_DWZ = ("LLDB 23 does not resolve DWZ references (.gnu_debugaltlink, "
            "DW_FORM_GNU_ref_alt; llvm-project#176056 only parses them): readelf's variables "
            "and types have no names")
LLDB_TOPCONST = ("LLDB keeps the top-level const of the array element; the value of an "
                 "lvalue is unqualified")
STYLE_UCS1 = "LLDB does not print a uint8_t * (Py_UCS1 *) as a string, gdb does"

# -- what jit-eval lacks today (strict xfails: a fix flips them) -------------------------
DECLARATION = ("a variable whose DWARF is a declaration only (defined in assembly, or an "
               "alias): gdb uses the declaration's type at the ELF symbol; LLDB's SB API does "
               "not show the declaration, so jit-eval says \"has unknown type; cast it\" and "
               "reads it through a cast, as gdb does for symbols without debug info")
DWZ = "readelf's debug info is DWZ-compressed and LLDB 23 cannot resolve it (see LLDB_DWZ)"

# Integer typedefs gdb spells away (`-x` of a Py_ssize_t is `long` to gdb): the same C type.
TYPEDEFS = {"Py_ssize_t": "long", "Py_hash_t": "long", "ssize_t": "long", "size_t": "unsigned long",
            "__size_t": "unsigned long", "__ptrdiff_t": "long", "ptrdiff_t": "long",
            "int64_t": "long", "uint64_t": "unsigned long", "bfd_vma": "unsigned long"}


@dataclasses.dataclass(frozen=True)
class Corpus:
    exprs: list[str]
    disagree: dict[str, Disagreement]
    xfail: dict[str, str]
    errors: dict[str, str]         # C has no answer: jit-eval's error matches this regex
    fresh: frozenset[str] = frozenset()  # a new object each evaluation: no address check


# ====================================================================== CPython
# python3-dbg (CPython 3.11's debug build, -Og -g) in builtin_repr(module, obj), obj the
# list built by programs/corpus_repr.py. CPython 3.11 has no thread-local variables of
# its own (its thread state is a pthread TSS key: PyThread_tss_get below); errno is
# glibc's.
L = "((PyListObject *)obj)"
S2 = f"((PyASCIIObject *){L}->ob_item[2])"
N10 = f"((PyASCIIObject *){L}->ob_item[10])"
U10 = f"((PyUnicodeObject *){L}->ob_item[10])"
TSTATE = "PyThreadState_Get()"
CPYTHON = Corpus(
    exprs=[
        # TLS (glibc's)
        "errno",
        # the object and its type
        "obj", "obj->ob_refcnt", "obj->ob_type->tp_name", "*obj", "obj->ob_type->tp_basicsize",
        "obj->ob_type->tp_basicsize == sizeof(PyListObject)",
        "obj->ob_type->tp_flags & (1UL << 25)",
        # the list: sizes, items, arrays, pointer arithmetic
        f"{L}->ob_base.ob_size", f"{L}->allocated", f"-{L}->ob_base.ob_size",
        f"{L}->ob_item[2]->ob_type->tp_name", f"*(PyObject *(*)[3]){L}->ob_item",
        f"&{L}->ob_item[3] - &{L}->ob_item[0]", f"*({L}->ob_item + 2) == {L}->ob_item[2]",
        f"{L}->ob_item + 4", f"{L}->ob_item[3] == &_Py_NoneStruct",
        f"{L}->ob_item[3]->ob_type->tp_name",
        # calls into CPython and libc
        f"PyLong_AsLong({L}->ob_item[0])", f"PyLong_AsLong({L}->ob_item[9])",
        f"PyFloat_AsDouble({L}->ob_item[1])", f"((PyFloatObject *){L}->ob_item[1])->ob_fval * 4",
        f"PyUnicode_AsUTF8({L}->ob_item[2])", f"PyUnicode_GetLength({L}->ob_item[2])",
        f"PyUnicode_GET_LENGTH({L}->ob_item[2])",      # static inline, with an out-of-line copy
        f"(char)PyUnicode_ReadChar({L}->ob_item[2], 1)",
        f"(unsigned long)strlen(PyUnicode_AsUTF8({L}->ob_item[2]))",
        # bit-fields, unions, enums
        f"{S2}->state", f"{S2}->state.kind", f"{S2}->state.interned", f"{N10}->state.compact",
        f"{N10}->state.ascii", f"{U10}->data.latin1", f"{U10}->data.any == {U10}->data.ucs4",
        f"{L}->ob_item[10]->ob_type->tp_name",
        f"{L}->ob_item[10]->ob_type->tp_base == &PyUnicode_Type",
        f"(enum PyUnicode_Kind){S2}->state.kind", "PyUnicode_1BYTE_KIND",
        "PyUnicode_4BYTE_KIND - PyUnicode_2BYTE_KIND",
        # tuples, dicts, a class defined in Python, big ints, bytes
        f"PyLong_AsLong(((PyTupleObject *){L}->ob_item[4])->ob_item[1])",
        f"PyTuple_Size({L}->ob_item[4])", f"PyDict_Size({L}->ob_item[5])",
        f"((PyDictObject *){L}->ob_item[5])->ma_used",
        f'PyLong_AsLong(PyDict_GetItemString({L}->ob_item[5], "k"))',
        f"{L}->ob_item[6]->ob_type->tp_name",
        f"PyUnicode_AsUTF8({L}->ob_item[6]->ob_type->tp_repr({L}->ob_item[6]))",
        f"((PyLongObject *){L}->ob_item[7])->ob_digit[2]",
        f"((PyLongObject *){L}->ob_item[7])->ob_digit",
        f"((PyVarObject *){L}->ob_item[7])->ob_size", f"PyBytes_AsString({L}->ob_item[8])",
        f"((PyBytesObject *){L}->ob_item[8])->ob_sval[1]",
        # function pointers: values, compared, called (running Python code)
        "obj->ob_type->tp_repr", "obj->ob_type->tp_repr == list_repr",
        "obj->ob_type->tp_repr(obj) != 0", "PyUnicode_AsUTF8((*obj->ob_type->tp_repr)(obj))",
        "PyLong_AsLong", "PyLong_Type.tp_name", "PyLong_Type.tp_as_number->nb_add",
        "PyLong_Type.tp_as_number->nb_add == PyFloat_Type.tp_as_number->nb_add",
        # globals, casts, sizeof
        "_Py_NoneStruct.ob_type->tp_name", "&_Py_NoneStruct", "_Py_TrueStruct.ob_digit[0]",
        "(char *)obj->ob_type->tp_name + 1", "(const char *)obj->ob_type->tp_name",
        "obj->ob_type->tp_name[0]", "(unsigned char)obj->ob_type->tp_name[0]", "(long)obj & 0xf",
        "obj->ob_refcnt > 0 && obj->ob_type != 0", "sizeof(PyTypeObject)",
        "sizeof(((PyASCIIObject *)0)->state)", "stdout",
        # the thread and interpreter state: struct chains, _Atomic, the pthread TSS key
        f"{TSTATE}->thread_id == _PyRuntime.main_thread",
        f"{TSTATE}->cframe->current_frame->f_code->co_firstlineno",
        f"PyUnicode_AsUTF8({TSTATE}->cframe->current_frame->f_code->co_name)",
        f"{TSTATE}->interp->id", f"{TSTATE}->interp == _PyRuntime.interpreters.main",
        "_PyRuntime.gilstate.tstate_current._value",
        "_PyRuntime.interpreters.main->config.isolated",
        "_PyRuntime.interpreters.main->config.argv.items[0]",
        f"PyThread_tss_get(&_PyRuntime.gilstate.autoTSSkey) == {TSTATE}",
        # what C has no answer for: macros / inline functions without a copy, a tag as a type
        "Py_TYPE(obj)", "Py_SIZE(obj)", "(PyUnicode_Kind)1",
    ],
    disagree={
        **{e: Disagreement("lldb", "type", LLDB_BOOL) for e in [
            "obj->ob_type->tp_basicsize == sizeof(PyListObject)",
            f"*({L}->ob_item + 2) == {L}->ob_item[2]", f"{L}->ob_item[3] == &_Py_NoneStruct",
            f"{U10}->data.any == {U10}->data.ucs4",
            f"{L}->ob_item[10]->ob_type->tp_base == &PyUnicode_Type",
            "PyLong_Type.tp_as_number->nb_add == PyFloat_Type.tp_as_number->nb_add",
            "obj->ob_refcnt > 0 && obj->ob_type != 0",
            f"{TSTATE}->thread_id == _PyRuntime.main_thread",
            f"{TSTATE}->interp == _PyRuntime.interpreters.main",
            f"PyThread_tss_get(&_PyRuntime.gilstate.autoTSSkey) == {TSTATE}"]},
        **{e: Disagreement("gdb", "type", GDB_SIZEOF) for e in [
            "sizeof(PyTypeObject)", "sizeof(((PyASCIIObject *)0)->state)"]},
        f"(unsigned long)strlen(PyUnicode_AsUTF8({L}->ob_item[2]))":
            Disagreement("gdb", "type", GDB_WHATIS_CAST),
        f"PyUnicode_AsUTF8({L}->ob_item[6]->ob_type->tp_repr({L}->ob_item[6]))":
            Disagreement("gdb", "type", GDB_WHATIS_CALL),
        "obj->ob_type->tp_repr(obj) != 0":
            Disagreement("both", "type", f"{GDB_WHATIS_CALL}; {LLDB_BOOL}", c_type="int"),
        f"{U10}->data.latin1": Disagreement("style", "value", STYLE_UCS1),
        "PyUnicode_1BYTE_KIND": Disagreement("both", "answer", GDB_ENUMERATOR, "int", "1"),
        "PyUnicode_4BYTE_KIND - PyUnicode_2BYTE_KIND":
            Disagreement("both", "answer", GDB_ENUMERATOR + " (and unsigned)", "int", "2"),
        "obj->ob_type->tp_repr == list_repr": Disagreement("lldb", "answer", LLDB_CPP_POINTERS),
        "PyLong_AsLong": Disagreement("gdb", "type", GDB_FUNCTION),
        "(PyUnicode_Kind)1": Disagreement("lldb", "answer", LLDB_TAG_AS_TYPE),
    },
    xfail={},
    errors={
        "Py_TYPE(obj)": r"'Py_TYPE' is not available here: the function is only inlined",
        "Py_SIZE(obj)": r"'Py_SIZE' is not available here: the function is only inlined",
        "(PyUnicode_Kind)1": r"unknown type name 'PyUnicode_Kind'",
    },
    fresh=frozenset({f"PyUnicode_AsUTF8({L}->ob_item[6]->ob_type->tp_repr({L}->ob_item[6]))",
                     "PyUnicode_AsUTF8((*obj->ob_type->tp_repr)(obj))"}),
)


# ====================================================================== glibc
# libc6-dbg (glibc 2.36, -O2 -g) in qsort(b, n, s, cmp), called by programs/corpus_qsort.c
# after a failed fopen (errno = ENOENT) and a malloc(100).
CHUNK = "((struct malloc_chunk *)((char *)block - 16))"
NS0 = "_rtld_global._dl_ns[0]._ns_loaded"
GLIBC = Corpus(
    exprs=[
        # TLS, and errno's macro (no -g3: no macros)
        "errno", "*__errno_location()", "errno == ENOENT",
        "tcache", "tcache->counts[6]", "tcache->entries[0]", "__libc_tsd_CTYPE_B['A'] & 0x400",
        # qsort's parameters: arrays, pointer arithmetic, a function pointer called
        "b", "n", "s", "n * s", "((int *)b)[0]", "((int *)b)[n - 1]", "*(int (*)[6])b",
        "(int *)b + 2", "*((int *)b + 2)", "cmp", "cmp == by_value", "cmp(b, (char *)b + s)",
        "cmp((char *)b + 3 * s, b) < 0",
        # malloc's state
        "block", f"{CHUNK}->mchunk_size", f"{CHUNK}->mchunk_size & ~7UL",
        "(char *)main_arena.top > (char *)block", "main_arena.top != 0",
        "main_arena.last_remainder", "main_arena.system_mem", "main_arena.next == &main_arena",
        "main_arena.bins[0] == main_arena.bins[1]", "main_arena.binmap", "mp_.tcache_bins",
        "mp_.mmap_threshold >> 10", "sizeof(struct malloc_state)",
        # stdio: struct chains, a union, a crash
        "stdout", "stdout->_fileno", "stdout->_flags & 0xffff0000", "stdout->_IO_read_ptr",
        "stdout->_chain == stdin", "stdout->_chain->_chain", "stdout->_chain->_chain->_fileno",
        "stdout->_lock->cnt", "stdout->_wide_data->_IO_state",
        "stdout->_wide_data->_IO_state.__value.__wch",
        "stdout->_wide_data->_IO_state.__value.__wchb", "&_IO_2_1_stdout_.file == stdout",
        "_IO_2_1_stderr_.file._fileno", "sizeof(FILE)",
        # the process, calls into libc (some without debug info: cast)
        "__libc_single_threaded", "__progname", "program_invocation_short_name", "__libc_argc",
        "__libc_argv[0]", "(unsigned long)strlen(__progname)", '(int)strcmp(__progname, "tiny")',
        "(int)getpid() > 0", "(int)abs(-7)", "(char)toupper('q')", "__ctype_b_loc",
        "*__ctype_b_loc() == __libc_tsd_CTYPE_B", "(*__ctype_tolower_loc())['Q']",
        # the dynamic linker: link maps, bit-fields, enums
        f"{NS0}->l_name", f"{NS0}->l_next->l_name", "_rtld_global._dl_ns[0]._ns_nloaded",
        f"{NS0}->l_type", f"{NS0}->l_relocated", f"{NS0}->l_init_called",
        "_rtld_global_ro._dl_pagesize", "lt_executable", "RT_CONSISTENT + 1",
        "_r_debug_extended.base.r_state", "_nl_C_locobj.__names[0]", "(int)__libc_enable_secure",
        # a variable whose DWARF is a declaration only: gdb types it, LLDB and jit-eval
        # need a cast (jit-eval reads the symbol's storage as that type, as gdb does)
        "(char *)program_invocation_short_name",
    ],
    disagree={
        **{e: Disagreement("lldb", "type", LLDB_BOOL) for e in [
            "cmp == by_value", "(char *)main_arena.top > (char *)block", "main_arena.top != 0",
            "main_arena.next == &main_arena", "main_arena.bins[0] == main_arena.bins[1]",
            "stdout->_chain == stdin", "&_IO_2_1_stdout_.file == stdout",
            "*__ctype_b_loc() == __libc_tsd_CTYPE_B"]},
        **{e: Disagreement("gdb", "type", GDB_SIZEOF) for e in [
            "sizeof(struct malloc_state)", "sizeof(FILE)"]},
        **{e: Disagreement("gdb", "type", GDB_WHATIS_CAST) for e in [
            "(unsigned long)strlen(__progname)", '(int)strcmp(__progname, "tiny")']},
        "(int)getpid() > 0":
            Disagreement("both", "type", f"{GDB_WHATIS_CAST}; {LLDB_BOOL}", c_type="int"),
        "cmp(b, (char *)b + s)": Disagreement("gdb", "type", GDB_WHATIS_CALL),
        "cmp((char *)b + 3 * s, b) < 0":
            Disagreement("both", "type", f"{GDB_WHATIS_CALL}; {LLDB_BOOL}", c_type="int"),
        "__ctype_b_loc": Disagreement("gdb", "type", GDB_FUNCTION),
        "program_invocation_short_name": Disagreement("lldb", "type+value", LLDB_DECLARATION),
        "_r_debug_extended.base.r_state": Disagreement("lldb", "answer", LLDB_DECLARATION),
        "lt_executable": Disagreement("both", "answer", GDB_ENUMERATOR, "int", "0"),
        "RT_CONSISTENT + 1":
            Disagreement("both", "answer", GDB_ENUMERATOR + " (and unsigned)", "int", "1"),
        "_nl_C_locobj.__names[0]": Disagreement("lldb", "type", LLDB_TOPCONST),
    },
    xfail={
        "program_invocation_short_name": DECLARATION,
        "_r_debug_extended.base.r_state": DECLARATION,
    },
    errors={
        "errno == ENOENT": r"undeclared identifier 'ENOENT'",
        "stdout->_chain->_chain->_fileno": r"SIGSEGV.*fault address=0x70",
    },
)


# ====================================================================== GNU readelf
# binutils-x86-64-linux-gnu-dbg (binutils 2.40, LTO -O2 -g, DWZ-compressed) in
# display_debug_abbrev(section, file), dumping the glibc debuggee's .debug_abbrev.
# gdb reads all of it; LLDB names none of the frame's variables (LLDB_DWZ), so the
# expressions through debug info are xfails, and those through the registers holding
# the arguments ($rdi = section, $rsi = file, offsets as gdb computes them), libc's
# FILE and calls work.
F = "((Filedata *)file)"
READELF_DWARF = [
    "section->name", "section->size", "section->address", "section->abbrev_sec",
    "section->start[0]", "section->start[1] + section->start[2]", "section->filename",
    "section->uncompressed_name == section->name", "section == &debug_displays[0].section",
    "debug_displays[0].display", "debug_displays[0].display == debug_displays[1].display",
    "*debug_displays[0].enabled", "debug_displays[0].relocate",
    "sizeof(debug_displays) / sizeof(debug_displays[0])", "debug_displays[abbrev].section.name",
    f"{F}->file_header.e_machine", f"{F}->file_header.e_ident[1]", f"{F}->file_header.e_ident",
    f"get_machine_name({F}->file_header.e_machine)", f"get_file_type({F})",
    f"{F}->string_table + {F}->section_headers[1].sh_name",
    f"{F}->section_headers[{F}->file_header.e_shstrndx].sh_size == {F}->string_table_length",
    f"{F}->section_headers[1].sh_flags & 2", f"{F}->program_interpreter",
    f"{F}->dynamic_strings + {F}->dynamic_info[1]", f"{F}->dynamic_section[0].d_un",
    f"{F}->dynamic_section[0].d_un.d_val", f"{F}->is_separate", f"{F}->handle->_fileno",
]
NAME = "*(const char **)($rdi + 24)"
FILE_ = "*(FILE **)($rsi + 16)"
READELF_RAW = [
    NAME, f"{NAME} + 7", f"({NAME})[1]", "*(unsigned long *)($rdi + 56)", "*(int *)($rdi + 64)",
    "**(unsigned char **)($rdi + 40)", "(*(unsigned char **)($rdi + 40))[1]",
    "*(const char **)$rsi", "(unsigned long)strlen(*(const char **)$rsi)",
    f'(int)strcmp({NAME}, ".debug_abbrev")', "*(unsigned short *)($rsi + 90)",
    "*(unsigned int *)($rsi + 108)", f"({FILE_})->_fileno", f"(int)fileno({FILE_})",
    f"{FILE_} != stdout", "*(unsigned long *)($rsi + 24) > 0", "errno",
]
READELF = Corpus(
    exprs=READELF_DWARF + READELF_RAW,
    disagree={
        **{e: Disagreement("lldb", "answer", LLDB_DWZ) for e in READELF_DWARF},
        **{e: Disagreement("gdb", "type", GDB_WHATIS_CAST) for e in [
            "(unsigned long)strlen(*(const char **)$rsi)",
            f'(int)strcmp({NAME}, ".debug_abbrev")']},
        f"{FILE_} != stdout": Disagreement("lldb", "type", LLDB_BOOL),
        "*(unsigned long *)($rsi + 24) > 0": Disagreement("lldb", "type", LLDB_BOOL),
    },
    xfail={e: DWZ for e in READELF_DWARF},
    errors={},
)

CORPORA = {"cpython": CPYTHON, "glibc": GLIBC, "readelf": READELF}


# ====================================================================== the sessions

def _build_id(path: str) -> str | None:
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        section = ELFFile(f).get_section_by_name(".note.gnu.build-id")
        for note in section.iter_notes() if section else []:
            if note["n_type"] == "NT_GNU_BUILD_ID":
                return note["n_desc"]
    return None


def _has_debug_file(path: str) -> bool:
    """Debian's detached debug info for `path`, found by build-id as gdb and LLDB do."""
    bid = _build_id(path)
    return bool(bid) and Path(f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug").exists()


def _libc(exe: Path) -> str | None:
    out = subprocess.run(["ldd", str(exe)], capture_output=True, text=True).stdout
    m = re.search(r"libc\.so\.6 => (\S+)", out)
    return m and str(Path(m.group(1)).resolve())


def _programs(workdir: Path) -> tuple[dict[str, Program], dict[str, str]]:
    """The corpus programs present on this machine, and why the others are missing."""
    programs, missing = {}, {}
    if not shutil.which("gdb"):
        return {}, {name: "gdb is not installed (make system-deps)" for name in CORPORA}
    qsort = build(HERE / "programs" / "corpus_qsort.c", workdir)
    python = shutil.which("python3-dbg")
    if python:
        programs["cpython"] = Program("cpython", (python, "-S", "-I",
                                                  str(HERE / "programs" / "corpus_repr.py")),
                                      "builtin_repr")
    else:
        missing["cpython"] = "python3-dbg is not installed (make system-deps)"
    readelf = shutil.which("readelf")
    if readelf and _has_debug_file(str(Path(readelf).resolve())):
        # LLDB knows the function only by its LTO symbol (display_debug_abbrev.lto_priv.0)
        programs["readelf"] = Program(
            "readelf", (readelf, "--debug-dump=abbrev", str(qsort)), "display_debug_abbrev",
            lldb_stop=r"-r '^display_debug_abbrev(\.lto_priv\.[0-9]+)?$'")
    else:
        missing["readelf"] = "binutils-x86-64-linux-gnu-dbg is not installed (make system-deps)"
    libc = _libc(qsort)
    if libc and _has_debug_file(libc):
        programs["glibc"] = Program("glibc", (str(qsort),), "qsort")
    else:
        missing["glibc"] = "libc6-dbg is not installed (make system-deps)"
    return programs, missing


@dataclasses.dataclass
class Transcript:
    lldb_stop: str
    lldb: dict          # expr -> (jit-eval's Answer, LLDB's Answer, jit-eval's as code)
    gdb_stop: str
    gdb: dict           # expr -> gdb's Answer


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> tuple[dict[str, Transcript], dict[str, str]]:
    """Every program's lldb and gdb sessions, all six run side by side."""
    workdir = tmp_path_factory.mktemp("corpus")
    programs, missing = _programs(workdir)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * len(programs) or 1) as pool:
        runs = {name: (pool.submit(lldb_session, p, CORPORA[name].exprs, workdir),
                       pool.submit(gdb_session, p, CORPORA[name].exprs, workdir))
                for name, p in programs.items()}
        transcripts = {name: Transcript(*lldb.result(), *gdb.result())
                       for name, (lldb, gdb) in runs.items()}
    return transcripts, missing


def _transcript(corpus, program: str) -> Transcript:
    transcripts, missing = corpus
    if program in missing:
        pytest.skip(missing[program])
    return transcripts[program]


# ====================================================================== the tests

def _cases():
    for program, c in CORPORA.items():
        for expr in c.exprs:
            xfail = c.xfail.get(expr)
            marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
            yield pytest.param(program, expr, marks=marks, id=f"{program}: {expr}")


@pytest.mark.parametrize("program, expr", list(_cases()))
def test_corpus_expression(corpus, program, expr):
    c = CORPORA[program]
    t = _transcript(corpus, program)
    jit, lldb, _ = t.lldb[expr]
    gdb = t.gdb[expr]
    report = f"\njit-eval: {jit.raw}\nLLDB:     {lldb.raw}\ngdb:      {gdb.raw}"
    assert "internal error" not in jit.raw and "Traceback" not in jit.raw, report
    d = c.disagree.get(expr)
    ok, ref_type, ref_value = _reference(gdb, lldb, d)
    if not ok:      # C has no answer: a clear error, never a value
        assert not jit.ok and "error:" in jit.raw, report
        if expr in c.errors:
            assert re.search(c.errors[expr], jit.raw), report
        return
    assert jit.ok, "jit-eval gave no answer" + report
    assert canon_type(jit.type, TYPEDEFS) == canon_type(ref_type, TYPEDEFS), report
    assert canon_value(jit.value) == canon_value(ref_value), report
    lldb_right = lldb.ok and not (d and d.wrong in ("lldb", "both") and "value" in d.aspect)
    if lldb_right and expr not in c.fresh:     # same process: the addresses too
        assert canon_value(jit.value, addresses=True) == canon_value(lldb.value, addresses=True), \
            report


def _reference(gdb, lldb, d: Disagreement | None) -> tuple[bool, str | None, str | None]:
    """(has an answer, type, value): gdb's, or LLDB's for what gdb is wrong about (or
    prints differently from LLDB's formatters), or C's from the table where both are."""
    if d is None:
        return gdb.ok, gdb.type, gdb.value
    if d.wrong == "both":
        answered = gdb if gdb.ok else lldb
        return True, d.c_type or answered.type, d.c_value or answered.value
    right, wrong = (lldb, gdb) if d.wrong in ("gdb", "style") else (gdb, lldb)
    if d.aspect == "answer":
        return right.ok, right.type, right.value
    return (True, right.type if "type" in d.aspect else wrong.type,
            right.value if "value" in d.aspect else wrong.value)


@pytest.mark.parametrize("program", CORPORA)
def test_the_oracles_disagreements_are_all_listed(corpus, program):
    """The *_DISAGREE tables are exactly where gdb and LLDB differ: nothing hidden."""
    c = CORPORA[program]
    t = _transcript(corpus, program)
    found = {e: disagreement(t.gdb[e], t.lldb[e][1], TYPEDEFS) for e in c.exprs}
    found = {e: aspect for e, aspect in found.items() if aspect}
    assert found == {e: d.aspect for e, d in c.disagree.items()}


@pytest.mark.parametrize("program", CORPORA)
def test_no_internal_errors(corpus, program):
    """Not even where jit-eval fails today (the xfails), interpreted or run as code:
    every failure is an `error:` (readelf's unnamed variables once crashed the "did
    you mean" suggestion)."""
    t = _transcript(corpus, program)
    bad = {e: jit.raw for e, (first, _, code) in t.lldb.items() for jit in (first, code)
           if "internal error" in jit.raw or "Traceback" in jit.raw
           or not (jit.ok or "error:" in jit.raw)}
    assert not bad


@pytest.mark.parametrize("program", CORPORA)
def test_the_code_gives_the_interpreters_answers(corpus, program):
    """Each expression run as code (`--interpret false`) answers as it did first, where
    the read-only ones were interpreted: the machine-code path on real programs' types
    (a value made fresh by each evaluation, c.fresh, only by its type)."""
    c = CORPORA[program]
    t = _transcript(corpus, program)
    differ = {}
    for e, (first, _, code) in t.lldb.items():
        if first.ok != code.ok:
            differ[e] = (first.raw, code.raw)
        elif first.ok and (first.type != code.type or e not in c.fresh and
                           canon_value(first.value, addresses=True) !=
                           canon_value(code.value, addresses=True)):
            differ[e] = (first.raw, code.raw)
    assert not differ


@pytest.mark.parametrize("program", CORPORA)
def test_both_debuggers_stopped_in_the_function(corpus, program):
    t = _transcript(corpus, program)
    stop = {"cpython": "builtin_repr", "glibc": "qsort", "readelf": "display_debug_abbrev"}[program]
    assert "stop reason = breakpoint" in t.lldb_stop, t.lldb_stop
    assert re.search(rf"Breakpoint 1, (__GI_)?{stop}", t.gdb_stop), t.gdb_stop


# The tables are written for Debian 12's packages: another version has other structs.
VERSIONS = {"cpython": ("python3-dbg", "3.11"), "glibc": ("libc6-dbg", "2.36"),
            "readelf": ("binutils-x86-64-linux-gnu-dbg", "2.40")}


@pytest.mark.parametrize("program", CORPORA)
def test_the_tables_are_for_these_packages(corpus, program):
    _transcript(corpus, program)
    package, version = VERSIONS[program]
    got = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True).stdout
    assert got.startswith(version), \
        f"the {program} tables are for {package} {version}, this is {got}: update them"


def test_the_corpus_is_big_enough():
    for c in CORPORA.values():
        assert len(c.exprs) >= 40 and len(set(c.exprs)) == len(c.exprs)
        for table in (c.disagree, c.xfail, c.errors):
            assert set(table) <= set(c.exprs), set(table) - set(c.exprs)


# ====================================================================== the comparison itself
# (on outputs the three evaluators printed in this corpus)

@pytest.mark.parametrize("gdb, lldb", [
    ("{ob_refcnt = 2, ob_type = 0x9936c0}",
     "{\n  ob_refcnt = 2\n  ob_type = 0x00000000009936c0\n}"),
    ("108 'l'", "'l'"), ("1 '\\001'", "'\\x01'"), ("98 'b'", "'b'"),
    ('"\\177ELF\\002\\001\\001"', '"\\x7fELF\\x02\\x01\\x01"'),
    ("0x7a9660 \"list\"", "0x00000000007a9660 \"list\""),
    ("(reprfunc) 0x4cf1f2 <list_repr>",
     "0x00000000004cf1f2 (python3.11-dbg`list_repr at listobject.c:381:1)"),
    ("(binaryfunc) 0x4d8c76 <long_add>",
     "0x00000000004d8c76 (python3.11-dbg`long_add [inlined] Py_TYPE at object.h:133:14\n"
     "python3.11-dbg`long_add at longobject.c:3314:5)"),
    ("{long (PyObject *)} 0x4d6254 <PyLong_AsLong>",
     "0x00000000004d6254 (python3.11-dbg`PyLong_AsLong at longobject.c:534:1)"),
    ("{42, 7, 19, 3, 25, 11}", "([0] = 42, [1] = 7, [2] = 19, [3] = 3, [4] = 25, [5] = 11)"),
    ("{__count = 0, __value = {__wch = 0, __wchb = \"\"}}",
     "{\n  __count = 0\n  __value = (__wch = 0, __wchb = \"\")\n}"),
    ("(mchunkptr) 0x0", "NULL"), ("1", "true"), ("2.5", "2.5"),
    ("0xb0a0a0 L\"/tmp/script.py\"", "0x0000000000b0a0a0 L\"/tmp/script.py\""),
])
def test_canonical_values_of_gdb_and_lldb_agree(gdb, lldb):
    assert canon_value(gdb) == canon_value(lldb)


@pytest.mark.parametrize("one, other", [
    ("42", "43"), ("'l'", "'m'"), ('"abc"', '"abd"'), ("nullptr", "NULL"),
    ("0x4cf1f2 <list_repr>", "0x4cf1f2 <long_add>"), ("{a = 1}", "{b = 1}"),
])
def test_canonical_values_still_tell_values_apart(one, other):
    assert canon_value(one) != canon_value(other)


def test_canonical_values_keep_addresses_where_asked():
    assert canon_value("0x00007ffff7a17ac0") == ("ADDR",)
    assert canon_value("0x00007ffff7a17ac0", addresses=True) == (0x7ffff7a17ac0,)
    assert canon_value("0x1", addresses=True) != canon_value("0x2", addresses=True)


@pytest.mark.parametrize("gdb, lldb", [
    ("struct _IO_FILE *", "_IO_FILE *"), ("char [4]", "char[4]"),
    ("PyObject *[3]", "PyObject *[3]"),
    ("struct {...}", "(unnamed struct)"), ("enum {...}", "(unnamed enum)"),
    ("enum PyUnicode_Kind", "PyUnicode_Kind"),
    ("const uint16_t **(*)(void)", "const uint16_t **(*)()"),
    ("unsigned long", "size_t"), ("long", "Py_ssize_t"), ("long", "__ptrdiff_t"),
])
def test_canonical_types(gdb, lldb):
    assert canon_type(gdb, TYPEDEFS) == canon_type(lldb, TYPEDEFS)


def test_canonical_types_still_tell_types_apart():
    assert canon_type("_object *[3]", TYPEDEFS) != canon_type("PyObject *[3]", TYPEDEFS)
    assert canon_type("int", TYPEDEFS) != canon_type("bool", TYPEDEFS)
    assert canon_type("const char *", TYPEDEFS) != canon_type("char *", TYPEDEFS)
