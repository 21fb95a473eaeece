"""One debuggee process as lldb-jit sees it, and the pipeline that evaluates an
expression in it: parse -> irgen -> compile -> link -> load -> run -> report.

Per process we keep the debuggee heap, the call trampoline, the persistent
`$` variables and a cache of loaded code (the same expression over the same types
needs no second compile: frame objects are reached through the argument block, so
the code does not depend on where the frame is).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

import lldb

from . import run
from .compile import compile_module
from .completion import Completion, complete
from .debuginfo import FrameProvider, ThreadLocalStorage, TypeConverter
from .errors import CompileError, ExecError
from .frontend import analyze, analyze_top_level
from .frontend.provider import Symbol
from .frontend.ctype import CType, type_name
from .frontend.provider import SymKind
from .frontend.tokenize import TK, tokenize
from .interpret import Bail, Plan, Unsupported
from .irgen import ENTRY, gen_module, release, resolver_module
from .link import link
from .memory import PAGE, Heap, Readable, Scope, SyscallPages, align_up, load
from .report import (describe, describe_defined, describe_with_types, has_defined_record,
                     persistent_result, value_from_bytes)
from .targets import MAILBOX_SIZE, for_triple, trampoline_bytes

CODE_CACHE_SIZE = 64
ANALYZED_CACHE_SIZE = 256
STAGES = ("parse", "irgen", "compile", "link", "load", "run", "report")


@dataclass
class PersistentVar:
    name: str
    type: CType
    address: int
    lldb_address: int | None = None   # a `$N` result: where LLDB's variable refers to


@dataclass
class Definition:
    """A function or global variable defined by `jit-eval --top-level`, loaded for
    good: later expressions see `symbol` and the linker resolves it to `address`."""
    symbol: Symbol
    address: int


@dataclass
class _Result:
    """One of our `$N` results and the bytes it was printed with."""
    var: PersistentVar
    data: bytes


@dataclass
class Options:
    timeout: float = run.DEFAULT_TIMEOUT
    dump: set[str] = field(default_factory=set)   # "ir", "ir-opt", "asm"
    cache: bool = True
    all_threads: bool = False
    unwind_on_error: bool = True
    ignore_breakpoints: bool = True
    abandon: bool = False
    opt_level: int | None = None    # None: the compiler's default
    top_level: bool = False   # define functions and globals (`--top-level`)
    interpret: bool = True    # code that only reads memory is interpreted, not run


@dataclass
class Outcome:
    text: str                       # what to print ("" for a void result)
    timings: dict[str, float]       # seconds per pipeline stage
    dumps: list[tuple[str, str]]
    value: lldb.SBValue | None = None   # the result, for formats other than the default
    spelling: str | None = None     # the result's type as C spells it, where SB cannot
    language: int = lldb.eLanguageTypeUnknown   # the frame's, for LLDB's formatting

    def describe(self, fmt: int = lldb.eFormatDefault, show_types: bool = False) -> str:
        """The result as `expression` prints it, in LLDB format `fmt` (and with the
        type of every member, as `expression -T`)."""
        if self.value is None or (fmt == lldb.eFormatDefault and not show_types):
            return self.text
        self.value.SetFormat(fmt)
        if show_types:
            return describe_with_types(self.value, self.spelling, self.language)
        return describe(self.value, self.spelling, self.language)


@dataclass
class _Copy:
    home: object          # the SBValue it came from, or (frame index, register name)
    address: int          # where the code sees it
    original: bytes


@dataclass
class _Code:
    module: object                  # the IR (an llvmlite.ir.Module)
    source: str                     # the expression's
    pinned: bool = False     # holds string literals the debuggee may point to
    plan: Plan | None = None     # the IR prepared for the interpreter
    externals: list[int] = field(default_factory=list)   # the plan's, resolved
    entry: int | None = None     # the machine code's, once it is loaded
    blocks: list[tuple[str, int]] = field(default_factory=list)   # its memory


class _Parsed:
    """An expression analyzed at this stop: the checked program, the provider that
    found its names and the code cache's key. Valid again at the same stop while no
    `--top-level` definition was made since (`definitions`, the session's count of
    them then) and the `$` names it uses still mean what they meant (`expression` may
    have made one of LLDB's own since, or changed one's type)."""

    def __init__(self, program, provider: FrameProvider, key: tuple, definitions: int):
        self.program = program
        self.provider = provider
        self.key = key
        self.definitions = definitions
        self.persistent = [(sym, provider.persistent_state(sym.name))
                           for sym in program.frame_refs if sym.kind is SymKind.PERSISTENT]

    def still_valid(self, frame: lldb.SBFrame) -> bool:
        self.provider.frame = frame
        for sym, state in self.persistent:
            now = self.provider.lookup_identifier(sym.name)
            if now is None or type_name(now.type) != type_name(sym.type) or \
                    self.provider.persistent_state(sym.name) != state:
                return False
        return True


class _ModuleWatch:
    """Whether the target's modules changed since a moment: a listener to its
    broadcasts of modules (or their symbols) loaded and unloaded, polled without
    waiting. `generation` counts the changes seen; None when the target would not take
    the listener (then nothing is kept across stops)."""

    BITS = (lldb.SBTarget.eBroadcastBitModulesLoaded | lldb.SBTarget.eBroadcastBitModulesUnloaded
            | lldb.SBTarget.eBroadcastBitSymbolsLoaded)

    def __init__(self, target: lldb.SBTarget):
        self.listener = lldb.SBListener("lldb-jit module watch")
        got = target.GetBroadcaster().AddListener(self.listener, self.BITS)
        self._generation = 0 if got == self.BITS else None

    @property
    def generation(self) -> int | None:
        if self._generation is not None:
            event = lldb.SBEvent()
            while self.listener.GetNextEvent(event):
                self._generation += 1
        return self._generation


class Session:
    def __init__(self, target: lldb.SBTarget, process: lldb.SBProcess):
        self.target = target
        self.process = process
        self.triple = target.GetTriple()
        self.little = process.GetByteOrder() == lldb.eByteOrderLittle   # for good
        self.abi = for_triple(self.triple).abi
        self.tls = ThreadLocalStorage(target, for_triple(self.triple))
        self.pages = SyscallPages(process, self.abi)
        self.heap = Heap(self.pages)
        self.types = TypeConverter(target)
        self.persistent: dict[str, PersistentVar] = {}   # ours, in this process's memory
        self._results = _results.setdefault(_target_key(target), {})
        self._earlier = list(self._results.values())   # of processes gone: see _carry_over
        self._trampoline: run.Trampoline | None = None
        self._code: OrderedDict[tuple, _Code] = OrderedDict()
        self._pinned: dict[tuple, _Code] = {}
        self._stop: tuple | None = None     # the stop that _stop_facts describe
        self._stop_facts: dict = {}
        self._modules = _ModuleWatch(target)
        self._types_generation: int | None = None   # the modules types were looked up in
        # expressions analyzed at earlier stops, by (source, where), while no module
        # changes (see _analyzed)
        self._analyzed: OrderedDict[tuple, tuple[int, _Parsed]] = OrderedDict()
        self._indirect: dict[int, int] = {}   # indirect function resolver -> its choice
        self._suspended: dict[int, tuple[run.Suspended, list]] = {}   # thread id -> call, blocks
        # `--top-level` ones: functions and globals by name, types by (keyword, tag)
        self.definitions: dict[str | tuple, Definition | CType] = {}
        self._definitions_version = 0     # changes with them: analyses made before go

    @property
    def trampoline(self) -> run.Trampoline:
        """The architecture's call trampoline and its mailbox, loaded once per process
        (and again after a call left suspended, which keeps its own)."""
        if self._trampoline is None:
            mailbox = self.heap.allocate(MAILBOX_SIZE, 64, "rw")
            code = trampoline_bytes(self.abi, mailbox)
            address = self.heap.allocate(len(code), 16, "rx")
            self.heap.write(address, code)
            self._trampoline = run.Trampoline(address, mailbox, len(code))
        return self._trampoline

    def _facts_for(self, frame: lldb.SBFrame) -> dict:
        """What we learnt at this stop (where the locals are, the expressions already
        analyzed here): still true while the process has not stopped anew except for
        our own calls, which leave every register as it was, while the frame is where
        it was (a `register write` of its PC, SP or frame register moves it) and no
        module was loaded or unloaded."""
        stop = (self.process.GetStopID(), frame.GetThread().GetThreadID(), frame.GetFrameID(),
                frame.GetPC(), frame.GetCFA(), self.target.GetNumModules())
        if stop != self._stop:
            self._stop_facts = {"locals": {}, "parsed": {}}
        generation = self._modules.generation     # (an evaluation may load a library)
        if generation is None or generation != self._types_generation:
            self.types.forget_lookups()
            self._stop_facts["names"] = {}
            self._types_generation = generation
        self._stop = stop
        return self._stop_facts

    def evaluate(self, frame: lldb.SBFrame, source: str, options: Options) -> Outcome:
        if options.abandon:
            return self._abandon(frame.GetThread())
        facts = self._facts_for(frame)
        try:
            return self._evaluate(frame, source, options, facts)
        except run.CallSuspended:
            self._stop = None      # the thread is inside the expression: nothing holds
            raise
        finally:   # our calls stopped the process: the facts now belong to that stop
            if self._stop is not None:
                self._stop = (self.process.GetStopID(),) + self._stop[1:-1] + \
                    (self.target.GetNumModules(),)

    def complete(self, frame: lldb.SBFrame, text: str) -> Completion:
        """The words that may end `text`, the expression typed so far, in `frame`
        (lldb_jit/completion.py); nothing runs in the debuggee."""
        return complete(text, self._provider(frame, self._facts_for(frame)))

    def _provider(self, frame: lldb.SBFrame, facts: dict) -> FrameProvider:
        """A type provider for `frame`, with the macros of this stop and the names found
        at it (each found once)."""
        provider = FrameProvider(self.target, frame, self.types, self.persistent, self.tls,
                                 self.definitions, facts.get("macros"),
                                 facts.setdefault("names", {}))
        facts["macros"] = provider.macros()
        return provider

    def _abandon(self, thread: lldb.SBThread) -> Outcome:
        entry = self._suspended.pop(thread.GetThreadID(), None)
        if entry is None:
            raise ExecError("this thread has no evaluation left stopped to abandon")
        suspended, blocks = entry
        self._stop = None
        try:
            run.abandon(thread, suspended, self.heap)
        finally:
            for perm, address in blocks:
                self.heap.free(perm, address)
            if suspended.trampoline != self._trampoline:
                self.heap.free("rx", suspended.trampoline.address)
                self.heap.free("rw", suspended.trampoline.mailbox)
        return Outcome("The thread is back as it was before the evaluation.", {}, [])

    def _evaluate(self, frame: lldb.SBFrame, source: str, options: Options,
                  facts: dict) -> Outcome:
        clock = _Clock()
        thread = frame.GetThread()    # the frame object goes stale once the code runs
        thread_id = thread.GetThreadID()
        self.pages.thread = thread    # system calls for memory run on this thread
        if self._earlier:
            self._carry_over()
        dumps: list[tuple[str, str]] = []
        if options.top_level:
            provider = self._provider(frame, facts)
            return self._define(frame, source, options, facts, provider, clock)
        parsed = self._analyzed_before(source, frame, facts) if options.cache else None
        if parsed is None:
            provider = self._provider(frame, facts)
            program = _too_deep_is_an_error(source, analyze, source, provider)
            parsed = _Parsed(program, provider, _cache_key(source, program, provider),
                             self._definitions_version)
            if options.cache and not program.new_persistents:
                self._keep_analyzed(source, frame, facts, parsed)
        program, provider = parsed.program, parsed.provider
        # a type defined anew by --top-level may have the name of the one code was made for
        key = parsed.key + (options.opt_level, parsed.definitions)
        clock.lap("parse")
        scope = Scope(self.heap)
        try:
            code = self._cached(key) if options.cache and not options.dump else None
            if code is None:
                code = self._build(program, provider, scope, clock, dumps, options)
                self._remember(key, code, scope)
            new_vars = {sym.name: PersistentVar(sym.name, sym.type, scope.allocate(
                max(sym.type.size, 1), max(sym.type.align, 1), "rw"))
                for sym in program.new_persistents}
            block, copies = self._frame_block(program, provider, frame, scope,
                                              facts["locals"], new_vars)
            result_address, result_size = 0, 0
            interpreting = options.interpret and not new_vars and \
                code.plan is not None and code.plan.usable
            if program.result_type is not None:   # kept for good as a $N: no scope
                ty = program.result_type
                result_size = max(ty.size, 1)
                # the trampoline's results follow one another (its mailbox needs no
                # write); an interpretation needs no trampoline loaded for its result
                result_address = self.heap.allocate(result_size, max(ty.align, 1), "rw") \
                    if interpreting else self.trampoline.result_slot(
                        result_size, max(ty.align, 1), self.heap.allocate)
            if "language" not in facts:    # of the frame: how the result prints
                facts["language"] = frame.GuessLanguage()
            clock.lap("load")
            interpreted = self._interpreted(code, block, result_address, result_size,
                                            copies, facts) if interpreting else None
            try:
                if interpreted is not None:
                    self.heap.write(result_address, interpreted)
                    copies = []     # the interpreter wrote no debuggee memory: none changed
                else:
                    self._write_copies(copies)
                    if code.entry is None:     # made only now that it must run
                        self._machine_code(code, provider, scope, clock, dumps, options)
                        for perm, address in code.blocks:
                            scope.keep(address)
                    facts.pop("regions", None)    # the code may map and unmap memory
                    facts["registers"] = run.call(
                        thread, self.abi, self.trampoline, code.entry, block,
                        result_address, self.heap, options.timeout,
                        before=facts.get("registers"), all_threads=options.all_threads,
                        unwind_on_error=options.unwind_on_error,
                        ignore_breakpoints=options.ignore_breakpoints,
                        result_size=result_size)
            except run.CallSuspended as e:   # the code may still run: keep its memory
                self._suspended[thread_id] = (e.suspended, list(scope.blocks))
                scope.blocks.clear()
                self._trampoline = None      # and its trampoline's mailbox
                raise
            changed, dropped = self._write_back(thread, copies)
            if changed:
                self._stop = None               # registers changed: nothing cached holds
            if dropped:
                raise ExecError(f"'{dropped[0]}' is a persistent variable of LLDB's "
                                "`expression`, a constant in LLDB's memory: jit-eval reads a "
                                "copy and cannot change it (the expression ran; its change to "
                                "the copy was dropped)")
            for var in new_vars.values():
                scope.keep(var.address)
                self.persistent[var.name] = var
            clock.lap("run")
            outcome = Outcome("", clock.times, dumps)
            if program.result_type is not None:
                self._keep_result(program.result_type, result_address, scope,
                                  facts["language"], outcome,
                                  interpreted and interpreted[:program.result_type.size])
            clock.lap("report")
        finally:
            scope.free_all()
        return outcome

    def _interpreted(self, code: _Code, block: bytes, result: int, size: int,
                     copies: list[_Copy], facts: dict) -> bytes | None:
        """The result's bytes by interpreting the code's IR (lldb_jit/interpret.py), or
        None when it must run: it writes debuggee memory, calls, traps, loops long..."""
        calls, regions = facts.get("regions", (None, None))
        if calls != self.pages.calls:      # our own system calls changed the memory map
            regions = []
            facts["regions"] = (self.pages.calls, regions)
        try:
            return code.plan.run(code.externals, block, result, size,
                                 Readable(self.pages, regions),
                                 tuple((copy.address, copy.original) for copy in copies))
        except Bail as e:
            code.plan.usable = e.again
            return None

    def _define(self, frame: lldb.SBFrame, source: str, options: Options, facts: dict,
                 provider: FrameProvider, clock: _Clock) -> Outcome:
        """`--top-level`: compile and load function and global definitions for good,
        run the globals' initializers, and only then (nothing failed) make them
        visible to later expressions, each replacing an earlier one of its name.
        Code already linked against an earlier definition (a function defined
        before that calls it) keeps the one it was linked with; expressions
        compiled anew see the new one (the code cache keys on its address)."""
        program = _too_deep_is_an_error(source, analyze_top_level, source, provider)
        clock.lap("parse")
        dumps: list[tuple[str, str]] = []
        thread = frame.GetThread()
        scope = Scope(self.heap)
        try:
            storage = {}
            for sym in program.new_globals:
                size, align = max(sym.type.size, 1), max(sym.type.align, 1)
                storage[sym.link_name] = scope.allocate(size, align, "rw")
                self.heap.write(storage[sym.link_name], bytes(size))
            module = _too_deep_is_an_error(source, gen_module, program, self.triple)
            clock.lap("irgen")
            dump = (lambda kind, text: dumps.append((kind, text))) if options.dump else None
            obj = _too_deep_is_an_error(source, compile_module, module, self.triple,
                                        dump=dump)
            dumps[:] = [(k, t) for k, t in dumps if k in options.dump]
            clock.lap("compile")
            image = link(obj, lambda name: storage.get(name) or self._resolve(provider, name),
                         scope.allocate)
            clock.lap("link")
            load(self.heap, image.segments)
            block, copies = self._frame_block(program, provider, frame, scope,
                                              facts["locals"], {})
            clock.lap("load")
            if program.body.body:     # the globals' initializers
                self._write_copies(copies)
                facts["registers"] = run.call(
                    thread, self.abi, self.trampoline, image.symbols[ENTRY], block, 0,
                    self.heap, options.timeout, before=facts.get("registers"),
                    all_threads=options.all_threads, unwind_on_error=True,
                    ignore_breakpoints=options.ignore_breakpoints)
                if self._write_back(thread, copies)[0]:
                    self._stop = None
            clock.lap("run")
            for fdef in program.functions:
                symbol = Symbol(fdef.name, SymKind.FUNCTION, fdef.func_ty)
                self.definitions[fdef.name] = Definition(symbol, image.symbols[fdef.name])
            for sym in program.new_globals:
                self.definitions[sym.name] = Definition(sym, storage[sym.link_name])
            self.definitions.update(program.new_types)     # (keyword, tag) -> CType
            self._definitions_version += 1
            scope.blocks.clear()      # all of it stays: code, data and storage
        finally:
            scope.free_all()
        return Outcome("", clock.times, dumps)

    def _analyzed_before(self, source: str, frame: lldb.SBFrame, facts: dict) -> _Parsed | None:
        """`source` as analyzed at this stop, or at an earlier stop of this thread at
        the same place in the same function (where every name means what it meant then
        while no module was loaded or unloaded since: a local's address is found anew
        at each stop, values are read when the code runs); None if it was not, or a
        `$` name it uses changed."""
        parsed = facts["parsed"].get(source)
        if parsed is None:
            generation = self._modules.generation
            key = (source, *_place(frame))
            entry = self._analyzed.get(key) if generation is not None else None
            if entry is None or entry[0] != generation:
                return None
            self._analyzed.move_to_end(key)
            parsed = entry[1]
        if parsed.definitions != self._definitions_version or not parsed.still_valid(frame):
            return None
        facts["parsed"][source] = parsed
        return parsed

    def _keep_analyzed(self, source: str, frame: lldb.SBFrame, facts: dict,
                       parsed: _Parsed) -> None:
        facts["parsed"][source] = parsed
        generation = self._modules.generation
        if generation is not None:
            self._analyzed[(source, *_place(frame))] = (generation, parsed)
            while len(self._analyzed) > ANALYZED_CACHE_SIZE:
                self._analyzed.popitem(last=False)

    def _build(self, program, provider, scope, clock, dumps, options) -> _Code:
        """The expression's code: its IR, prepared for the interpreter when it can run
        it, and machine code loaded in the debuggee unless the interpreter may do
        without (it is made when an interpretation gives up: _machine_code)."""
        module = _too_deep_is_an_error(program.source, gen_module, program, self.triple)
        code = _Code(module, program.source, pinned=_has_string_literal(program.source))
        self._plan(code, provider)
        clock.lap("irgen")
        if code.plan is None or options.dump or not options.interpret:
            self._machine_code(code, provider, scope, clock, dumps, options)
        return code

    def _machine_code(self, code: _Code, provider, scope, clock, dumps, options) -> None:
        dump = (lambda kind, text: dumps.append((kind, text))) if options.dump else None
        obj = _too_deep_is_an_error(code.source, compile_module, code.module,
                                    self.triple, **({} if options.opt_level is None
                                                    else {"opt": options.opt_level}),
                                    dump=dump)
        dumps[:] = [(k, t) for k, t in dumps if k in options.dump]
        clock.lap("compile")
        first = len(scope.blocks)
        image = link(obj, lambda name: self._resolve(provider, name), scope.allocate)
        if "object" in options.dump:
            dumps.append(("object", image.description))
        clock.lap("link")
        load(self.heap, image.segments)
        if ENTRY not in image.symbols:
            raise ExecError(f"the compiled code has no '{ENTRY}'")
        code.entry, code.blocks = image.symbols[ENTRY], scope.blocks[first:]
        clock.lap("load")

    def _plan(self, code: _Code, provider: FrameProvider) -> None:
        """Prepare the code's IR for the interpreter, when it can run it."""
        try:
            plan = Plan(code.module, ENTRY, self.little)
        except Unsupported:
            return
        externals = [self._resolve(provider, name) for name in plan.externals]
        if None not in externals:
            code.plan, code.externals = plan, externals

    def _resolve(self, provider: FrameProvider, name: str) -> int | None:
        """The linker's resolver: the provider's answer, or for a GNU indirect function
        (glibc's strlen, memcpy...) what its resolver returns in the debuggee."""
        address = provider.resolve(name)
        resolver = provider.indirect.get(name)
        if address is None and resolver is not None:
            address = self._indirect.get(resolver)
            if address is None:
                address = self._indirect[resolver] = self._call_resolver(name, resolver)
        return address

    def _call_resolver(self, name: str, resolver: int) -> int:
        """Run `resolver(0, NULL)` in the debuggee: the implementation of `name` it picks
        (hwcap 0 asks for no optional feature; glibc's resolvers read the CPU's features
        themselves)."""
        module = resolver_module(name, self.triple)
        obj = compile_module(module, self.triple)
        scope = Scope(self.heap)
        try:
            image = link(obj, lambda symbol: resolver if symbol == module.callee else None,
                         scope.allocate)
            load(self.heap, image.segments)
            result = scope.allocate(8, 8, "rw")
            thread = self.pages.thread
            run.call(thread, self.abi, self.trampoline, image.symbols[ENTRY], b"", result,
                     self.heap, result_size=8)
            address = int.from_bytes(self.heap.read(result, 8), "little")
        finally:
            scope.free_all()
        if not address:
            raise ExecError(f"the resolver of the indirect function '{name}' returned NULL")
        return address

    def _remember(self, key: tuple, code: _Code, scope: Scope) -> None:
        """Keep the loaded code for the next evaluation of the same expression. Code
        whose string literals the debuggee may now point to (`char *$s = "abc"`) is
        pinned: never evicted, its memory never given back."""
        for perm, address in code.blocks:
            scope.keep(address)
        if code.pinned:
            self._pinned[key] = code
            return
        self._forget(self._code.pop(key, None))
        self._code[key] = code
        while len(self._code) > CODE_CACHE_SIZE:
            self._forget(self._code.popitem(last=False)[1])

    def _cached(self, key: tuple) -> _Code | None:
        code = self._code.get(key)
        if code is not None:
            self._code.move_to_end(key)
        return code or self._pinned.get(key)

    def _forget(self, code: _Code | None) -> None:
        if code is None:
            return
        for perm, address in code.blocks:
            self.heap.free(perm, address)
        release(code.module)

    def _frame_block(self, program, provider: FrameProvider, frame: lldb.SBFrame,
                     scope: Scope, local_addresses: dict[str, int],
                     new_vars: dict[str, PersistentVar]) -> tuple[bytes, list[_Copy]]:
        """The argument block: one pointer per frame object the expression uses. Objects
        with no address (registers, variables kept in registers) get a copy: an address
        in `scope`, its bytes written there only if code runs (_write_copies), and back
        after the run if the code changed them. Thread-local variables are here too:
        their address is the selected thread's, so the code cached for one thread
        serves every other."""
        ptr = self.target.GetAddressByteSize()
        slots, copies = [], []
        for sym in program.frame_refs:
            if sym.kind is SymKind.PERSISTENT and sym.name in provider.expression_refs:
                slots.append(provider.expression_refs[sym.name])
            elif sym.kind is SymKind.PERSISTENT and sym.name in provider.expression_vars:
                value = provider.expression_vars[sym.name]   # in LLDB's memory: a copy
                copies.append(self._copy_of(value, scope, value))
                slots.append(copies[-1].address)
            elif sym.kind is SymKind.PERSISTENT:
                var = new_vars.get(sym.name) or self.persistent[sym.name]
                slots.append(var.address)
            elif sym.kind is SymKind.REGISTER:
                copy = self._copy_of(frame.FindRegister(provider.registers[sym.name]),
                                     scope, (frame.GetFrameID(), provider.registers[sym.name]))
                copies.append(copy)
                slots.append(copy.address)
            elif sym.kind is SymKind.THREAD_LOCAL:   # this thread's copy, found anew each time
                slots.append(self.tls.address(frame.GetThread(), provider.thread_locals[sym.name]))
            else:
                address = local_addresses.get(sym.name)
                if address is None:     # found again: the provider's may be stale
                    value = frame.FindVariable(sym.name)
                    address = _memory_address(value)
                    if address is None:
                        copies.append(self._copy_of(value, scope, value))
                        address = copies[-1].address
                    else:
                        local_addresses[sym.name] = address
                slots.append(address)
        order = "little" if self.little else "big"
        return b"".join(s.to_bytes(ptr, order) for s in slots), copies

    def _copy_of(self, value: lldb.SBValue, scope: Scope, home) -> _Copy:
        raw = _bytes_of(value)
        if not value.IsValid() or len(raw) != value.GetByteSize():
            raise ExecError(f"cannot read the value of '{value.GetName()}'")
        return _Copy(home, scope.allocate(max(len(raw), 1), 16, "rw"), raw)

    def _write_copies(self, copies: list[_Copy]) -> None:
        for copy in copies:
            self.heap.write(copy.address, copy.original)

    def _write_back(self, thread: lldb.SBThread,
                    copies: list[_Copy]) -> tuple[bool, list[str]]:
        """Put what the code wrote into copies back where they came from: whether
        anything was, and the names of LLDB's persistent variables the code changed
        (LLDB keeps them as constants the SB API refuses to change)."""
        changed, dropped = False, []
        for copy in copies:
            now = self.heap.read(copy.address, len(copy.original))
            if now == copy.original:
                continue
            if isinstance(copy.home, tuple):    # (frame index, register name)
                target = thread.GetFrameAtIndex(copy.home[0]).FindRegister(copy.home[1])
            elif copy.home.GetValueType() == lldb.eValueTypeConstResult:
                dropped.append(copy.home.GetName())
                continue
            else:
                target = copy.home
            data = lldb.SBData()
            order = lldb.eByteOrderLittle if self.little else lldb.eByteOrderBig
            data.SetData(lldb.SBError(), now, order, self.target.GetAddressByteSize())
            error = lldb.SBError()
            if not target.SetData(data, error) or error.Fail():
                raise ExecError(f"cannot write back '{target.GetName()}': {error.GetCString()}")
            changed = True
        return changed, dropped

    def _keep_result(self, ty: CType, address: int, scope: Scope, language: int,
                     outcome: Outcome, data: bytes | None) -> None:
        """The result stays where the code wrote it and becomes LLDB's next `$N`;
        `data`, its bytes when we wrote them, else as LLDB read them."""
        sbtype, exact = self.types.to_sbtype(ty)
        value, name = persistent_result(self.target, address, sbtype)
        scope.keep(address)
        var = PersistentVar(name, ty, address, lldb_address=address)
        self.persistent[var.name] = var
        self._results[var.name] = _Result(var, _bytes_of(value) if data is None else data)
        outcome.value, outcome.spelling = value, None if exact else type_name(ty)
        outcome.language = language
        if has_defined_record(ty):      # a struct jit-eval defined: no SBType for it
            outcome.text = describe_defined(var.name, ty, self._results[var.name].data,
                                            self._leaf)
            outcome.value = None
        else:
            outcome.text = describe(value, outcome.spelling, outcome.language)

    def _leaf(self, ty: CType, data: bytes) -> str:
        """A part of a value of a jit-eval-defined type that has a debug-info type, as
        LLDB formats it (without the `(TYPE) name = ` it would put first)."""
        value = value_from_bytes(self.target, "part", data, self.types.to_sbtype(ty)[0])
        text = describe(value, "T", lldb.eLanguageTypeC)
        return text[len("(T) part = "):] if text.startswith("(T) part = ") else text

    def _carry_over(self) -> None:
        """Our results from this target's earlier processes. LLDB keeps each as a
        reference to the address it had, and `expression $N` reads that address in this
        process too: so each goes back there, holding the value it was printed with (as
        LLDB's own results keep theirs), and is ours again. Where this process already
        has something at that address, the result gets new memory: jit-eval reads it
        right, `expression` cannot (no SB call moves or drops a persistent variable)."""
        earlier = self._earlier
        pages = sorted({page for r in earlier
                        for page in _pages_of(r.var.lldb_address, len(r.data))})
        mapped = set()
        for first, end in _runs(pages):
            if self.pages.map_fixed(first, end - first):
                mapped.update(range(first, end, PAGE))
            else:
                mapped.update(p for p in range(first, end, PAGE) if self.pages.map_fixed(p, PAGE))
        for result in earlier:
            old = result.var
            address = old.lldb_address
            if not set(_pages_of(address, len(result.data))) <= mapped:
                address = self.heap.allocate(max(len(result.data), 1), max(old.type.align, 1),
                                             "rw")
            self.heap.write(address, result.data)
            self.persistent[old.name] = PersistentVar(old.name, old.type, address,
                                                      old.lldb_address)
        self._earlier = []


def _place(frame: lldb.SBFrame) -> tuple:
    """Where a frame is, for what its names mean: the thread (thread-local storage),
    the PC and the function, inlined or not (an inlined function's frame shares its
    caller's PC)."""
    return (frame.GetThread().GetThreadID(), frame.GetPC(), frame.GetFunctionName(),
            frame.IsInlined())


def _bytes_of(value: lldb.SBValue) -> bytes:
    data = value.GetData()
    size = data.GetByteSize()
    return bytes(data.ReadRawData(lldb.SBError(), 0, size) or b"") if size else b""


def _pages_of(address: int, size: int) -> range:
    return range(address & ~(PAGE - 1), align_up(address + max(size, 1), PAGE), PAGE)


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """Sorted page addresses as [start, end) runs of consecutive pages."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and runs[-1][1] == page:
            runs[-1][1] = page + PAGE
        else:
            runs.append([page, page + PAGE])
    return [(start, end) for start, end in runs]


def _memory_address(value: lldb.SBValue) -> int | None:
    """Where a variable lives in memory, or None if it lives in a register or is
    computed. (For a register variable GetLoadAddress() returns the register's value,
    so the location, a register's name or an address, decides.)"""
    try:
        address = int(value.GetLocation() or "", 16)
    except ValueError:
        return None
    return address if address == value.GetLoadAddress() else None


def _has_string_literal(source: str) -> bool:
    return '"' in source and any(tok.kind is TK.STR for tok in tokenize(source))


def _too_deep_is_an_error(source: str, stage, *args, **kwargs):
    """The front end and irgen recurse over the expression's tree: one nested beyond
    Python's stack is the user's input, not our bug."""
    try:
        return stage(*args, **kwargs)
    except RecursionError:
        raise CompileError(0, len(source), "the expression is nested too deeply "
                                           "(or is too long) to compile") from None


def _cache_key(source: str, program, provider: FrameProvider) -> tuple:
    symbols = tuple((s.name, s.kind.value, type_name(s.type), provider.addresses.get(s.link_name))
                    for s in list(program.frame_refs) + list(program.externals))
    return source, program.expanded, symbols


class _Clock:
    def __init__(self):
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - self._last
        self._last = now


_sessions: dict[int, Session] = {}
_results: dict[object, dict[str, _Result]] = {}   # target's unique id -> our `$N` results


def _target_key(target: lldb.SBTarget) -> object:
    """The target's unique id; LLDB 19 and older have no SBTarget.GetGloballyUniqueID:
    there, its debugger and its place in that debugger's target list."""
    if hasattr(target, "GetGloballyUniqueID"):
        return target.GetGloballyUniqueID()
    debugger = target.GetDebugger()
    return debugger.GetID(), debugger.GetIndexOfTarget(target)


def session_for(target: lldb.SBTarget, process: lldb.SBProcess) -> Session:
    """The session of a process, made anew when the process is a new one."""
    uid = process.GetUniqueID()
    session = _sessions.get(uid)
    if session is None:
        for old_uid, old in list(_sessions.items()):   # processes gone, memory gone
            if not old.process.IsValid() or old.process.GetState() in _GONE:
                del _sessions[old_uid]
        session = _sessions[uid] = Session(target, process)
    return session


_GONE = (lldb.eStateExited, lldb.eStateDetached, lldb.eStateInvalid)
