"""Evaluating while LLDB handles a stop: from a breakpoint or watchpoint callback (a
Python function, or a `breakpoint command` list that runs jit-eval) or a stop hook.

LLDB runs those while it takes the stop event off its queue
(Process::ProcessEventData::DoOnRemoval), on whichever thread takes it: its event
handler thread, or the thread of the command that waits for the stop. Once a callback
returns, LLDB asks whether the target ran since the stop (StopInfo::HasTargetRunSinceMe):
any resume counts except those made while the process's count of running expressions
is raised, which only LLDB's own expression evaluator does
(Process::SetRunningUserExpression, around RunThreadPlan). Our call resumes the thread,
so LLDB takes the callback for one that continued the process: it ignores what the
callback returned and waits for a stop that never comes. No SB API resumes as an
expression does: every resume (Process::PrivateResume) counts, whoever asks for it
and whoever listens for the stop.

So, inside such a handler, the count is raised around the evaluation as LLDB's
evaluator raises it: by calling that LLDB function, which the LLDB library does not
export but its symbol table names. LLDB then treats our resumes as an expression's,
as it does when a callback calls `expression`: what the callback returns decides, and
a breakpoint the called code hits is passed over without running its commands (as
LLDB's process setting to ignore breakpoints in expressions says; true by default).
Where that cannot be done (an LLDB library without its symbol table, or on
LLDB's private state thread, where no one would handle our stops), running code there
raises ExecError instead of hanging LLDB; evaluating what needs no code run still works.

Whether this thread is inside DoOnRemoval is read from its native return addresses
(glibc's backtrace()) against that function's address range; without the symbol table,
from signs only: LLDB's event handler thread, or a Python callback LLDB generated
(`lldb_autogen_python_bp_callback_func__N`) on the Python stack.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import sys
import threading

import lldb

from .errors import ExecError

_HANDLING = b"_ZN12lldb_private7Process16ProcessEventData11DoOnRemovalEPNS_5EventE"
_PRIVATE_THREAD = b"_ZN12lldb_private7Process21RunPrivateStateThreadE"     # a prefix
_RAISE_COUNT = b"_ZN12lldb_private7Process24SetRunningUserExpressionEb"
_EVENT_THREAD = "dbg.evt-handler"       # LLDB's event handler thread, as Linux names it
_AUTOGEN = "lldb_autogen_python_"       # the functions LLDB wraps Python callbacks in
_FRAMES = 512                           # native frames looked at
_SCAN = 0x800                           # bytes of a Process searched for its stop counts

REFUSAL = ("cannot run code from inside LLDB's handling of a stop (a breakpoint or "
           "watchpoint callback, a breakpoint command, a stop hook){why}: LLDB would take "
           "the run for one that continued the process. Expressions that need no code run "
           "still work there; or stop there (return True) and evaluate at the prompt")


class _Library:
    """Where the functions above are in this process's LLDB library: each one's
    (start, end) address; None where the symbol table does not name it."""

    def __init__(self):
        self.handling = self.private_thread = self.raise_count = None
        self.mappings: list[tuple[int, int, str, str, str]] = []
        try:
            self._load()
        except Exception:   # anything unexpected: the fallback signs (where())
            self.handling = self.private_thread = self.raise_count = None

    def _load(self) -> None:
        self.mappings = _mappings()
        for path in _candidates(self.mappings):
            if self._load_from(path):
                return

    def _load_from(self, path: str) -> bool:
        """Whether `path` is the library: it names the functions and its code for them
        is mapped where they are. What its symbol table says is kept on disk (reading
        it takes some 100 ms, which a plugin's load should not cost every time)."""
        starts = [start for start, _, offset, name, _ in self.mappings
                  if name == path and int(offset, 16) == 0]
        if not starts:
            return False
        found = _cached_symbols(path)
        if found is None:
            found = _read_symbols(path)
            if found is None:
                return False
            _keep_symbols(path, found)
        first, symbols = found
        base = min(starts) - (first & ~0xfff)
        spans = {}
        with open(path, "rb") as f:
            for key, (value, size, offset) in symbols.items():
                start = base + value
                # the code mapped there is the code in the file, or base is wrong
                if not self._executable(start, 16):
                    return False
                f.seek(offset)
                if ctypes.string_at(start, 16) != f.read(16):
                    return False
                spans[key] = (start, start + size)
        if "handling" not in spans:
            return False
        for key, span in spans.items():
            setattr(self, key, span)
        return True

    def _executable(self, address: int, size: int) -> bool:
        return any(lo <= address and address + size <= hi and perms[2] == "x"
                   for lo, hi, _, _, perms in self.mappings)


def _read_symbols(path: str) -> tuple[int, dict] | None:
    """From the ELF file: the first loadable address, and for each function above its
    (address, size, file offset of its code); None if it is not such a library."""
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        text = elf.get_section_by_name(".text")
        if elf.elfclass != 64 or not elf.little_endian or symtab is None or text is None:
            return None
        first = min(s["p_vaddr"] for s in elf.iter_segments() if s["p_type"] == "PT_LOAD")
        strtab = elf.get_section(symtab["sh_link"])
        f.seek(strtab["sh_offset"])
        names = f.read(strtab["sh_size"])
        f.seek(symtab["sh_offset"])
        table = f.read(symtab["sh_size"])
        symbols = {}
        for key, name, exact in (("handling", _HANDLING, True),
                                 ("private_thread", _PRIVATE_THREAD, False),
                                 ("raise_count", _RAISE_COUNT, True)):
            at = names.find(b"\0" + name + (b"\0" if exact else b""))
            symbol = _symbol(table, at + 1) if at >= 0 else None
            if symbol is not None:
                value, size = symbol
                symbols[key] = (value, size, value - text["sh_addr"] + text["sh_offset"])
        return first, symbols


def _cache_file() -> str:
    from .compile import cache_dir
    return os.path.join(cache_dir(), "lldb-symbols.json")


def _cache_key(path: str) -> str:
    stat = os.stat(path)
    return f"{os.path.realpath(path)}:{stat.st_size}:{stat.st_mtime_ns}"


def _cached_symbols(path: str) -> tuple[int, dict] | None:
    import json
    try:
        with open(_cache_file()) as f:
            first, symbols = json.load(f)[_cache_key(path)]
        return first, {k: tuple(v) for k, v in symbols.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep_symbols(path: str, found: tuple[int, dict]) -> None:
    import json
    name = _cache_file()
    try:
        os.makedirs(os.path.dirname(name), exist_ok=True)
        try:
            with open(name) as f:
                kept = json.load(f)
        except (OSError, ValueError):
            kept = {}
        kept[_cache_key(path)] = found
        with open(name + f".{os.getpid()}", "w") as f:
            json.dump(kept, f)
        os.replace(name + f".{os.getpid()}", name)
    except OSError:
        pass      # no cache: read again next time


def _candidates(mappings) -> list[str]:
    """The files LLDB may be in: the Python module's (when it is not built into the
    program), then every mapped file with `lldb` in its name."""
    first = getattr(lldb._lldb, "__file__", None)
    names = [os.path.realpath(first)] if first else []
    for _, _, _, path, perms in mappings:
        if "lldb" in os.path.basename(path) and perms[2] == "x" and path not in names:
            names.append(path)
    return names


def _mappings() -> list[tuple]:
    """This process's mappings: (start, end, file offset, path, permissions)."""
    out = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            out.append((lo, hi, fields[2], fields[5] if len(fields) > 5 else "", fields[1]))
    return out


def _symbol(table: bytes, name_offset: int) -> tuple[int, int] | None:
    """(value, size) of the symbol table entry named at `name_offset`."""
    key = struct.pack("<I", name_offset)
    at = table.find(key)
    while at >= 0:
        if at % 24 == 0:
            _, _, _, shndx, value, size = struct.unpack_from("<IBBHQQ", table, at)
            if shndx and value:
                return value, size
        at = table.find(key, at + 1)
    return None


_library: _Library | None = None
_library_lock = threading.Lock()


def library() -> _Library:
    """Read once, at the first need (or by the import-time warm-up)."""
    global _library
    with _library_lock:
        if _library is None:
            _library = _Library()
        return _library


_libc = ctypes.CDLL(None)
_backtrace = getattr(_libc, "backtrace", None)
if _backtrace is not None:
    _backtrace.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    _backtrace.restype = ctypes.c_int


def load_unwinder() -> None:
    """glibc's backtrace() loads libgcc_s at its first call, some ms: the plugin's
    warm-up thread makes that call, not the first evaluation."""
    if _backtrace is not None:
        _backtrace((ctypes.c_void_p * 1)(), 1)


def where(process: lldb.SBProcess | None = None) -> str | None:
    """"handling" inside LLDB's handling of a stop, "private" on its private state
    thread, None elsewhere (or when nothing says so)."""
    lib = library()
    if _backtrace is not None and lib.handling is not None:
        frames = (ctypes.c_void_p * _FRAMES)()
        count = _backtrace(frames, _FRAMES)
        ranges = [(kind, span) for kind, span in (("private", lib.private_thread),
                                                  ("handling", lib.handling)) if span]
        for address in frames[:count]:
            for kind, (lo, hi) in ranges:
                if address and lo <= address - 1 < hi:
                    return kind
        return None
    # without the symbol table: the signs there are
    if _thread_name() == _EVENT_THREAD:
        return "handling"
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name.startswith(_AUTOGEN):
            return "handling"
        frame = frame.f_back
    if process is not None and _sync_stop_with_commands(process):
        return "handling"
    return None


def _sync_stop_with_commands(process: lldb.SBProcess) -> bool:
    """Without the symbol table (Debian's stripped liblldb-N), in a synchronous session
    (`lldb -b`, a command file) LLDB runs a breakpoint's command list on the thread of
    the command that resumed, which no other sign tells apart from the prompt after
    it: a stop at a breakpoint that has commands counts as inside their handling. At
    the prompt after such a stop that refuses running code that would have worked (a
    clear error); taking it the other way would hang LLDB."""
    debugger = process.GetTarget().GetDebugger()
    thread = process.GetSelectedThread()
    if debugger.GetAsync() or thread.GetStopReason() != lldb.eStopReasonBreakpoint:
        return False
    data = [thread.GetStopReasonDataAtIndex(i) for i in range(thread.GetStopReasonDataCount())]
    for bp_id, loc_id in zip(data[::2], data[1::2]):
        bp = process.GetTarget().FindBreakpointByID(bp_id)
        for holder in (bp, bp.FindLocationByID(loc_id)):
            commands = lldb.SBStringList()
            if holder.IsValid() and hasattr(holder, "GetCommandLineCommands") \
                    and holder.GetCommandLineCommands(commands) and commands.GetSize():
                return True
    return False


def _thread_name() -> str:
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class _Count:
    """The running-expression count of one lldb_private::Process: its address, found
    next to the stop counts SBProcess reports (ProcessModID keeps them together)."""

    def __init__(self, process: lldb.SBProcess, raise_count: int):
        self.function = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_bool)(raise_count)
        self.process = self.field = None
        sb = int(process.this)
        pointer = ctypes.c_void_p.from_address(sb).value     # SBProcess: a weak_ptr<Process>
        if not pointer or not _readable(pointer, _SCAN):
            return
        raw = ctypes.string_at(pointer, _SCAN)
        # ProcessModID: stop id, last natural stop id, resume id, memory id, last
        # expression resume id, the running-expression count
        pair = struct.pack("<II", process.GetStopID(True), process.GetStopID(False))
        at = raw.find(pair)
        while at >= 0 and at % 4:
            at = raw.find(pair, at + 1)
        if at < 0:
            return
        self.process, self.field = pointer, pointer + at + 20

    def read(self) -> int:
        return ctypes.c_uint32.from_address(self.field).value

    def change(self, up: bool) -> None:
        self.function(self.process, up)


def _readable(address: int, size: int) -> bool:
    return any(lo <= address and address + size <= hi and perms[0] == "r"
               for lo, hi, _, _, perms in _mappings())


_counts: dict[int, _Count] = {}
_state = threading.local()


class _Evaluation:
    """One evaluation's standing: whether it is inside LLDB's handling of a stop, and
    then its raised count or why it may not resume. Found at its first resume (an
    evaluation the interpreter does without running code never asks: the native
    backtrace costs ~0.1 ms)."""

    def __init__(self, process: lldb.SBProcess, outer: "_Evaluation | None"):
        self.process, self.outer = process, outer
        self.decided = False
        self.refusal: str | None = None
        self.inside = False
        self.count: _Count | None = None

    def decide(self) -> "_Evaluation":
        if self.decided:
            return self
        self.decided = True
        kind = where(self.process) if self.process.IsValid() else None
        if kind == "private":
            self.refusal = REFUSAL.format(why=" on LLDB's private state thread")
        elif kind == "handling":
            self.count = _raised(self.process)
            if self.count is None:
                self.refusal = REFUSAL.format(
                    why=" with this LLDB (its library's symbol table does not name what "
                        "marks an expression's resumes)")
        self.inside = kind is not None
        if self.outer is not None:
            self.outer.decide()
            self.refusal = self.refusal or self.outer.refusal
            self.inside = self.inside or self.outer.inside
        return self


@contextlib.contextmanager
def evaluation(process: lldb.SBProcess):
    """Around one evaluation in `process`: inside LLDB's handling of a stop, the
    running-expression count raised from its first resume to its end, or, where it
    cannot be, every resume refused (check_resume)."""
    current = _Evaluation(process, getattr(_state, "current", None))
    _state.current = current
    try:
        yield
    finally:
        _state.current = current.outer
        if current.count is not None:
            current.count.change(False)


def _raised(process: lldb.SBProcess) -> _Count | None:
    """The process's count raised by one, checked; None if it cannot be."""
    lib = library()
    if lib.raise_count is None:
        return None
    key = process.GetUniqueID()
    count = _counts.get(key)
    if count is None or count.process is None:
        count = _counts[key] = _Count(process, lib.raise_count[0])
    if count.process is None:
        return None
    before = count.read()
    count.change(True)
    if count.read() != before + 1:       # not that field: put it back and give up
        count.change(False)
        count.process = None
        return None
    return count


def inside() -> bool:
    """Whether the evaluation under way is inside LLDB's handling of a stop."""
    current = getattr(_state, "current", None)
    return current is not None and current.decide().inside


def check_resume() -> None:
    """Before any resume: refused where it would hang LLDB."""
    current = getattr(_state, "current", None)
    if current is not None and current.decide().refusal:
        raise ExecError(current.refusal)
