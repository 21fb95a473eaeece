"""The Python API: what `jit-eval` does, for scripts and breakpoint callbacks.

    value = lldb_jit.evaluate(frame, "x * 2")              # an lldb.SBValue named $N
    value = lldb_jit.evaluate(target, "sizeof(struct point)")   # no process needed
    try:
        lldb_jit.evaluate(frame, "x +* 2")
    except lldb_jit.CompileError as e:                     # e.message, e.offset, e.length
        ...

`evaluate` returns None for a statement list without a value. Every failure is a
JitError: CompileError for bad C (with the caret's position), LinkError, ExecError
(a crash, a timeout...), each with its message."""
from __future__ import annotations

import lldb

from .constant import check_constant, evaluate_constant
from .debuginfo import FrameProvider, TypeConverter
from .errors import JitError
from .frontend import analyze
from .frontend.ctype import type_name
from .report import describe, value_from_bytes
from .session import Options, Outcome, session_for
from .stophandling import evaluation

_OPTIONS = set(Options.__dataclass_fields__)


def evaluate(context: lldb.SBFrame | lldb.SBTarget, text: str, **options) -> lldb.SBValue | None:
    """Evaluate C `text` in `context`: a frame, or a target (its process's selected
    frame, or constant expressions when it has no process). `options` are those of
    `jit-eval` by their long names: timeout, all_threads, unwind_on_error,
    ignore_breakpoints, opt_level, cache."""
    unknown = set(options) - _OPTIONS
    if unknown:
        raise JitError(f"unknown option(s): {', '.join(sorted(unknown))}")
    return outcome_of(context, text, Options(**options)).value


def outcome_of(context, text: str, options: Options) -> Outcome:
    """The evaluation behind both `evaluate` and the command."""
    if isinstance(context, lldb.SBFrame):
        target, frame = context.GetThread().GetProcess().GetTarget(), context
    elif isinstance(context, lldb.SBTarget):
        target = context
        frame = target.GetProcess().GetSelectedThread().GetSelectedFrame()
    else:
        raise JitError("evaluate() takes an lldb.SBFrame or an lldb.SBTarget")
    process = target.GetProcess()
    if process.IsValid() and process.GetState() == lldb.eStateStopped and frame.IsValid():
        with evaluation(process):    # from a breakpoint callback too (stophandling.py)
            return session_for(target, process).evaluate(frame, text, options)
    if process.IsValid() and process.GetState() == lldb.eStateRunning:
        raise JitError("the process is running: stop it to evaluate")
    return constant_outcome(target, text)


def constant_outcome(target: lldb.SBTarget, text: str) -> Outcome:
    """A constant expression from the target alone, printed as LLDB's next `$N`."""
    if not target.IsValid():
        raise JitError("no target: create one with `file PROGRAM`")
    types = TypeConverter(target)
    program = analyze(text, FrameProvider(target, None, types, {}))
    check_constant(program)
    data = evaluate_constant(program, target.GetTriple())
    sbtype, exact = types.to_sbtype(program.result_type)
    # Not made one of LLDB's `$N`: without a process, `Persist()` would keep a reference
    # to memory that `expression $N` then reads as garbage. So it prints unnamed:
    # `(unsigned long) 32`.
    value = value_from_bytes(target, UNNAMED, data, sbtype)
    spelling = None if exact else type_name(program.result_type)
    return Outcome(describe(value, spelling), {}, [], value, spelling)


UNNAMED = "constant"
