"""`jit-eval`: the LLDB command. The one place where every exception is caught and
turned into an `error:` line; nothing here knows how evaluation works."""
from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING

import lldb

from .errors import CompileError, JitError
from .formats import gdb_format, lldb_format
from .report import caret_lines

if TYPE_CHECKING:
    from .session import Options

# The pipeline (lldb_jit.session and all it imports, lldb_jit.api) is imported at the
# first evaluation, or before it by the thread lldb_jit/__init__.py starts when the
# plugin loads: `command script import lldb_jit` itself only registers the commands.

HELP = """\
Evaluate a C expression or statement list by compiling it with LLVM and running it
in the stopped debuggee, on the selected thread, in the selected frame.

Syntax: jit-eval [OPTIONS] -- EXPR
        jit-eval EXPR            (when there are no options)

The result prints like `expression` prints it and is kept as $0, $1, ...
which later expressions can use: one numbering with `expression`, whose
results and $variables jit-eval reads too (and `expression` reads its results).

Options:
  -t, --timeout SECONDS  interrupt the evaluation after SECONDS (default 1; 0 = none);
                         Ctrl-C interrupts it too
  -a, --all-threads      let the other threads run during the evaluation (when the
                         expression waits for something another thread does)
  -u, --unwind-on-error BOOL
                         false: after a crash leave the thread where it crashed, to
                         inspect it (default true: put everything back at once)
  -i, --ignore-breakpoints BOOL
                         false: stop at breakpoints in functions the expression calls
                         (default true: step over them)
  --abandon              put back a thread left inside an evaluation by -u/-i false
  -f, --format FORMAT    print the result in an LLDB format (`help format`: x, d, b,
                         c, s, p, A, "uppercase hex"...)
  -G, --gdb-format SPEC  the same with gdb's letters (x, d, u, o, t, a, c, f, s, 4xw...)
  -T, --show-types       show the type of every member and element, on its own line
  -d, --dynamic-type WHEN
                         accepted as `expression` takes it; C has no dynamic types
  -O, --opt-level 0|1|2  LLVM optimization level (default: 2 for code that loops,
                         0 for straight-line code, which runs once)
  --set-default OPTIONS  (alone) make OPTIONS the defaults of later jit-evals in this
                         debugger, e.g. `jit-eval --set-default -f x -t 5`;
                         `jit-eval --set-default` alone clears them
  --dump WHAT            also print the code: ir, ir-opt, asm, object (each section's
                         address and permissions, the symbols resolved, every
                         relocation applied; repeatable) or all
  --interpret BOOL       false: run the code even when it only reads memory (by
                         default such code is interpreted, as `expression` does,
                         without resuming the debuggee; the same IR, the same answer)
  --time                 print the time each stage of the pipeline took
  --no-cache             compile again even if this expression was compiled before
  --top-level            define C functions, global variables and struct/union types
                         (`int twice(int x) { return 2 * x; }`, `int n = 5;`,
                         `struct pair { int a, b; };`) that stay loaded and that later
                         expressions use; a new definition replaces one of its name

Tab completes variables and members (LLDB's variable-path completer);
`jit-complete EXPR` lists all completions of EXPR from our own front end.

Examples:
  jit-eval counter + local * 2
  jit-eval add(counter, 1)
  jit-eval pt->y * scale
  jit-eval $0 + 1
  jit-eval -t 5 -- slow_function(1000)
  jit-eval -f x -- flags | 0x80
  jit-eval -- sizeof(struct point) * 2     (before `run` too: constants need no process)
  jit-eval --dump ir-opt -- a[i] << 2
  jit-eval --top-level -- int twice(int x) { return 2 * x; }
"""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message):   # never SystemExit into LLDB
        raise JitError(message)

    def exit(self, status=0, message=None):
        raise JitError(message or "invalid options")


def _boolean(text: str) -> bool:
    """LLDB's spelling of booleans in options."""
    value = {"true": True, "yes": True, "1": True, "on": True,
             "false": False, "no": False, "0": False, "off": False}.get(text.lower())
    if value is None:
        raise ValueError(f"'{text}' is not a boolean (true or false)")
    return value


def _parser() -> argparse.ArgumentParser:
    p = _ArgumentParser(prog="jit-eval", add_help=False, exit_on_error=False)
    p.add_argument("-t", "--timeout", type=float, default=None)
    p.add_argument("--dump", action="append", default=[],
                   choices=["ir", "ir-opt", "asm", "object", "all"])
    p.add_argument("-a", "--all-threads", action="store_true")
    p.add_argument("-u", "--unwind-on-error", type=_boolean, default=True)
    p.add_argument("-i", "--ignore-breakpoints", type=_boolean, default=True)
    p.add_argument("--abandon", action="store_true")
    p.add_argument("--time", action="store_true")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("-f", "--format", type=lldb_format, default=None)
    p.add_argument("-G", "--gdb-format", type=gdb_format, default=None)
    p.add_argument("-d", "--dynamic-type", default="no-dynamic-values",
                   choices=["no-dynamic-values", "run-target", "no-run-target"])
    p.add_argument("-O", "--opt-level", type=int, choices=[0, 1, 2], default=None)
    p.add_argument("-T", "--show-types", action="store_true")
    p.add_argument("--top-level", action="store_true")
    p.add_argument("--interpret", type=_boolean, default=True)
    return p


def split_command(command: str) -> tuple[str, str]:
    """Raw like `expression`: options before ` -- `, the expression after it verbatim.
    Without `--` the whole line is the expression (so `jit-eval -x` negates x)."""
    text = command.lstrip()
    if not text.startswith("-"):
        return "", command
    if text.rstrip() == "--" or text.startswith("-- "):
        return "", text[3:]
    head, sep, tail = text.partition(" -- ")
    if sep:
        return head, tail
    if text.rstrip().endswith(" --"):
        return text.rstrip()[:-3], ""
    return "", command


_PARSER = _parser()


def parse_options(text: str) -> tuple[Options, dict]:
    """The Options of the evaluation and the command's own: time (bool), format.
    Neither is changed by its users: the same text gives the same objects."""
    parsed = _parsed_options.get(text)
    if parsed is None:
        if len(_parsed_options) >= 64:
            _parsed_options.clear()
        parsed = _parsed_options[text] = _parse_options(text)
    return parsed


_parsed_options: dict[str, tuple] = {}    # option texts (and --set-default's) seen


def _parse_options(text: str) -> tuple[Options, dict]:
    from .session import Options
    if not text.strip():      # the usual case: argparse costs 0.07 ms a parse
        return Options(), {"time": False, "types": False, "format": lldb.eFormatDefault}
    try:
        args = _PARSER.parse_args(shlex.split(text))
    except (ValueError, argparse.ArgumentError, JitError) as e:
        raise JitError(str(e)) from None
    if args.timeout is None:
        args.timeout = Options.timeout
    if args.timeout < 0:
        raise JitError("the timeout must be 0 (none) or a positive number of seconds")
    dump = set(args.dump)
    if "all" in dump:
        dump = {"ir", "ir-opt", "asm", "object"}
    fmt = args.format if args.format is not None else args.gdb_format
    return (Options(timeout=args.timeout, dump=dump, cache=not args.no_cache,
                    all_threads=args.all_threads, unwind_on_error=args.unwind_on_error,
                    ignore_breakpoints=args.ignore_breakpoints, abandon=args.abandon,
                    opt_level=args.opt_level, top_level=args.top_level,
                    interpret=args.interpret),
            {"time": args.time, "types": args.show_types,
             "format": fmt if fmt is not None else lldb.eFormatDefault})


# What the pipeline imports besides lldb: with a system LLDB (Debian's lldb-N), LLDB's
# Python is the system's, which may not have them (README, "A system LLDB")
_DEPENDENCIES = (("llvmlite", "llvmlite"), ("elftools", "pyelftools"))
_dependencies_found = False


def check_dependencies() -> None:
    """Say plainly which Python packages this LLDB's Python cannot import, and how to
    give them to it, instead of the ImportError deep in the pipeline. Once they are
    found they stay found: later evaluations skip the search (10 us in a command)."""
    global _dependencies_found
    if _dependencies_found:
        return
    import importlib.util
    import sys
    missing = [package for module, package in _DEPENDENCIES
               if importlib.util.find_spec(module) is None]
    _dependencies_found = not missing
    if missing:
        python = f"python{sys.version_info.major}.{sys.version_info.minor}"
        raise JitError(
            f"{' and '.join(missing)} cannot be imported by this LLDB's Python "
            f"({python}, {sys.prefix}): install them for it, e.g. "
            f"`{python} -m venv ~/.lldb-jit && ~/.lldb-jit/bin/pip install llvmlite "
            f"pyelftools`, and start lldb with "
            f"PYTHONPATH=~/.lldb-jit/lib/{python}/site-packages (README, \"A system LLDB\")")


# `--set-default`: option text put before every jit-eval's own, per debugger (a scripted
# command cannot add settings to LLDB's `settings set`)
_defaults: dict[int, str] = {}


class JitEvalCommand:
    def __init__(self, debugger: lldb.SBDebugger, internal_dict: dict):
        pass

    def get_short_help(self) -> str:
        return "Evaluate a C expression by JIT-compiling it and running it in the debuggee."

    def get_long_help(self) -> str:
        return HELP

    def get_flags(self) -> int:
        return lldb.eCommandRequiresTarget    # before `run`: constant expressions

    def __call__(self, debugger, command, exe_ctx, result) -> None:
        try:
            check_dependencies()
            self._run(debugger, command, exe_ctx, result)
        except CompileError as e:
            _, source = split_command(command)
            result.AppendMessage(caret_lines(source, e.offset, e.length))
            result.SetError(e.message)
        except JitError as e:
            result.SetError(str(e))
        except Exception as e:  # the boundary: a bug is reported, never a traceback
            result.SetError(f"internal error in lldb-jit: {type(e).__name__}: {e}")

    def _run(self, debugger, command, exe_ctx, result) -> None:
        option_text, source = split_command(command)
        if command.strip() == "--abandon":
            option_text, source = "--abandon", ""
        debugger = debugger.GetID()     # the command's debugger (one SB call, not three)
        if command.strip().startswith("--set-default"):
            defaults = command.strip()[len("--set-default"):].strip()
            parse_options(defaults)                     # checked now, not at each use
            _defaults[debugger] = defaults
            result.AppendMessage(f"jit-eval defaults: {defaults or '(none)'}")
            result.SetStatus(lldb.eReturnStatusSuccessFinishNoResult)
            return
        options, shown = parse_options(_defaults.get(debugger, "") + " " + option_text)
        if not source.strip() and not options.abandon:
            raise JitError("no expression to evaluate (see 'help jit-eval')")
        frame = exe_ctx.GetFrame()
        from .api import outcome_of
        outcome = outcome_of(frame if frame.IsValid() else exe_ctx.GetTarget(), source,
                             options)
        for kind, text in outcome.dumps:
            result.AppendMessage(f"; --- {kind} ---\n{text.rstrip()}")
        text = outcome.describe(shown["format"], shown["types"])
        if text:
            result.AppendMessage(text)
        if shown["time"]:
            from .session import STAGES
            total = sum(outcome.timings.values())
            parts = ", ".join(f"{s} {outcome.timings[s] * 1e3:.2f}" for s in STAGES
                              if s in outcome.timings)
            result.AppendMessage(f"time (ms): {parts}; total {total * 1e3:.2f}")
        result.SetStatus(lldb.eReturnStatusSuccessFinishResult)


class JitCompleteCommand:
    """`jit-complete TEXT`: what may end the expression TEXT, one completed expression a
    line, from our own front end's view of the frame (as gdb's `complete`)."""

    def __init__(self, debugger: lldb.SBDebugger, internal_dict: dict):
        pass

    def get_short_help(self) -> str:
        return "List the completions of a jit-eval expression typed so far."

    def get_flags(self) -> int:
        return lldb.eCommandRequiresFrame | lldb.eCommandProcessMustBePaused

    def __call__(self, debugger, command, exe_ctx, result) -> None:
        try:
            check_dependencies()
            _, text = split_command(command)
            text = text.lstrip()
            from .session import session_for
            done = session_for(exe_ctx.GetTarget(), exe_ctx.GetProcess()).complete(
                exe_ctx.GetFrame(), text)
            for line in done.lines(text):
                result.AppendMessage(line)
            result.SetStatus(lldb.eReturnStatusSuccessFinishResult)
        except JitError as e:
            result.SetError(str(e))
        except Exception as e:  # the boundary: a bug is reported, never a traceback
            result.SetError(f"internal error in lldb-jit: {type(e).__name__}: {e}")
