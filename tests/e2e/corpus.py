"""The real-program corpus: one lldb session and one gdb session per program, every
expression batched into each, and the three answers (`jit-eval`, LLDB's `expression`,
gdb's `whatis` + `print`) made comparable.

gdb and LLDB print the same value differently (`{a = 1}` / `(a = 1)`, `97 'a'` / `'a'`,
`0x7a9660` / `0x00000000007a9660`, octal / hex escapes, `(T *) 0x..` / `0x..`), and the
two processes are not laid out alike (the stack moves with the environment), so values
are compared as *canonical tokens*: member names, numbers, decoded strings and
characters, function symbols; data addresses become `ADDR` where the processes differ.
`jit-eval` and LLDB's `expression` share a process, so they compare addresses too."""
from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

from lldbrun import LLDB, parse_result, split_transcript


@dataclasses.dataclass(frozen=True)
class Program:
    """A real program stopped in one of its functions; `argv[0]` is the executable.
    `lldb_stop` replaces `-n STOP` in LLDB's `breakpoint set` where LLDB cannot find
    the function by its name."""
    name: str
    argv: tuple[str, ...]
    stop: str
    lldb_stop: str | None = None


@dataclasses.dataclass(frozen=True)
class Answer:
    """One oracle's answer: its type and value, either missing where it failed; `raw`
    is what it printed."""
    raw: str
    type: str | None = None
    value: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


# ---------------------------------------------------------------- the sessions

def lldb_session(program: Program, exprs: list[str], workdir: Path,
                 timeout: float = 240) -> tuple[str, dict[str, tuple[Answer, Answer]]]:
    """One lldb: stop in the program's function, then `jit-eval E`, `expression -- E`
    and `jit-eval --interpret false -- E` for each E. Returns the stop's output and,
    per expression, (jit-eval's answer, LLDB's answer, jit-eval's as code run in the
    debuggee: a read-only expression's first answer is the interpreter's)."""
    head = ["command script import lldb_jit",
            "settings set target.max-children-count 1024",
            f"breakpoint set {program.lldb_stop or '-n ' + program.stop}", "run"]
    script = list(head)
    for e in exprs:
        script += [f"jit-eval {e}", f"expression -- {e}", f"jit-eval --interpret false -- {e}"]
    script.append("process kill")
    cmdfile = workdir / f"{program.name}.lldb"
    cmdfile.write_text("\n".join(script) + "\n")
    # the setting must come before the file is sourced, or the first error ends it
    proc = subprocess.run([LLDB, "--no-lldbinit", "--no-use-colors", "-b",
                           "-O", "settings set interpreter.stop-command-source-on-error false",
                           "-s", str(cmdfile), "--", *program.argv],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, cwd=workdir)
    # LLDB's complaints about debug info it cannot parse (readelf's) come whenever a
    # type is first parsed, inside any command's output: they are not its result
    text = _DWARF_COMPLAINT.sub("", proc.stdout)
    blocks = [out for _, out in split_transcript(text, script)]
    answers = {}
    for i, e in enumerate(exprs):
        answers[e] = tuple(map(_lldb_answer, blocks[len(head) + 3 * i:len(head) + 3 * i + 3]))
    return blocks[len(head) - 1], answers


_DWARF_COMPLAINT = re.compile(r"^error: \S+ 0x[0-9a-f]+: DW_\w+ .*\n", re.M)


def _lldb_answer(output: str) -> Answer:
    result = parse_result(output)
    if result is None or "error:" in output:
        return Answer(output)
    return Answer(output, result[0], result[1])


GDB_SETTINGS = ["set pagination off", "set confirm off", "set width 0", "set height 0",
                "set print pretty off", "set print repeats unlimited",
                "set print elements 1024", "set print null-stop on",
                "set print symbol off"]
MARK = "@@corpus@@"


def gdb_session(program: Program, exprs: list[str], workdir: Path,
                timeout: float = 240) -> tuple[str, dict[str, Answer]]:
    """One gdb: stop in the program's function, then `whatis E` and `print E` for
    each E. Auto-loaded scripts (CPython's pretty-printers) are off: the oracle is
    gdb's C evaluator. Commands go as -ex, not as a file: gdb stops sourcing a file at
    its first error."""
    commands = [*GDB_SETTINGS, f"break {program.stop}", "run", f"echo {MARK}stop\\n"]
    for i, e in enumerate(exprs):
        commands += [f"echo {MARK}{i} type\\n", f"whatis {e}",
                     f"echo {MARK}{i} value\\n", f"print {e}"]
    commands += [f"echo {MARK}end\\n", "kill"]
    argv = ["gdb", "-batch", "-nx", "-iex", "set auto-load off"]
    for c in commands:
        argv += ["-ex", c]
    proc = subprocess.run([*argv, "--args", *program.argv], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, cwd=workdir)
    parts = re.split(re.escape(MARK) + r"(\w+(?: \w+)?)\n", proc.stdout)
    sections = dict(zip(parts[1::2], parts[2::2]))
    answers = {}
    for i, e in enumerate(exprs):
        typ = sections.get(f"{i} type", "").strip()
        val = sections.get(f"{i} value", "").strip()
        t = re.fullmatch(r"type = (.*)", typ, re.S)
        v = re.fullmatch(r"\$\d+ = (.*)", val, re.S)
        answers[e] = Answer(f"{typ}\n{val}".strip(), t and t.group(1), v and v.group(1))
    return parts[0] + sections.get("stop", ""), answers


# ---------------------------------------------------------------- canonical forms

def canon_type(spelling: str | None, typedefs: dict[str, str] | None = None) -> str | None:
    """One spelling for the type names gdb and LLDB print: no `struct`/`union`/`enum`
    keywords, `char [16]` as `char[16]`, gdb's `struct {...}` as LLDB's
    `(unnamed struct)`, C++'s `()` as `(void)`. With `typedefs`, the integer typedefs
    it names are replaced by their types (gdb spells `-x` of a `Py_ssize_t` `long`)."""
    if spelling is None:
        return None
    t = re.sub(r"\b(struct|union|enum) \{\.\.\.\}", r"(unnamed \1)", spelling.strip())
    t = re.sub(r"\b(struct|union|enum)\s+(?=\w)", "", t)
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"\s*\[", "[", t)
    t = re.sub(r"\(\)", "(void)", t)
    t = re.sub(r"\s*\*\s*", " *", t).replace("* *", "**").replace("* *", "**")
    t = t.replace("( *", "(*").strip()
    if typedefs:
        t = re.sub(r"\b\w+\b", lambda m: typedefs.get(m.group(), m.group()), t)
    return t


_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27,
            "\\": 92, "'": 39, '"': 34, "?": 63}


def decode_c(body: str) -> tuple[int, ...]:
    """The bytes of a C string or character literal's body, escapes decoded (gdb
    writes octal escapes, LLDB hex ones of exactly two digits: `"\\x7fELF"`)."""
    out, i = [], 0
    while i < len(body):
        if body[i] != "\\":
            out += body[i].encode()
            i += 1
            continue
        m = (re.match(r"\\([0-7]{1,3})", body[i:]) or re.match(r"\\x([0-9a-fA-F]{1,2})", body[i:]))
        if m:
            out.append(int(m.group(1), 16 if body[i + 1] == "x" else 8) & 0xff)
            i += m.end()
        else:
            out.append(_ESCAPES.get(body[i + 1], ord(body[i + 1])))
            i += 2
    return tuple(out)


_TOKEN = re.compile(r"""
    (?P<lldbsym> \(\S+`(?P<sym1>[\w.$]+)[^()]*\) )            # (module`sym at file:line)
  | (?P<gdbsym>  <(?P<sym2>[\w.$]+)(?P<off>\+\d+)?> )         # <sym> <sym+8>
  | (?P<gdbchar> -?\d+\s+'(?P<cbody1>(?:[^'\\]|\\[0-7]{1,3}|\\.)*)' )   # 97 'a'
  | (?P<char>    '(?P<cbody2>(?:[^'\\]|\\x[0-9a-fA-F]{1,2}|\\[0-7]{1,3}|\\.)*)' )
  | (?P<string>  [uUL]?"(?P<sbody>(?:[^"\\]|\\.)*)"(?:\.\.\.)? )
  | (?P<hex>     0x[0-9a-fA-F]+ )
  | (?P<float>   -?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+) )
  | (?P<int>     -?\d+ )
  | (?P<word>    [A-Za-z_]\w* )
  | (?P<skip>    \s+|[{}()\[\],=] )
  | (?P<other>   . )
""", re.X)
_WORDS = {"true": 1, "false": 0, "NULL": 0}


def canon_value(text: str | None, addresses: bool = False) -> tuple | None:
    """The value as canonical tokens: member names, numbers, strings and characters as
    bytes, function symbols as `<name>`; `true`/`false`/`NULL` as 1/0/0 (the type says
    which it was). Data addresses (non-zero hex) are 'ADDR' unless `addresses`. LLDB's
    `[3] =` array labels, gdb's `(T *)` and `{T (args)}` prefixes and its `<sym+8>`
    data annotations are dropped."""
    if text is None:
        return None
    text = re.sub(r"\[\d+\]\s*=", "", text)
    text = _drop_gdb_prefixes(text)
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "lldbsym":
            tokens.append(f"<{m.group('sym1')}>")
        elif kind == "gdbsym":
            if not m.group("off"):
                tokens.append(f"<{m.group('sym2')}>")
        elif kind == "gdbchar":
            tokens.append(("char", decode_c(m.group("cbody1"))))
        elif kind == "char":
            tokens.append(("char", decode_c(m.group("cbody2"))))
        elif kind == "string":
            tokens.append(("str", decode_c(m.group("sbody"))))
        elif kind == "hex":
            n = int(m.group(), 16)
            tokens.append(n if addresses or n == 0 else "ADDR")
        elif kind == "float":
            tokens.append(float(m.group()))
        elif kind == "int":
            tokens.append(int(m.group()))
        elif kind == "word":
            tokens.append(_WORDS.get(m.group(), m.group()))
        elif kind == "other":
            tokens.append(m.group())
    return tuple(tokens)


def _drop_gdb_prefixes(text: str) -> str:
    """gdb writes a pointer as `(T *) 0x...` and a function as `{T (args)} 0x...`:
    drop the bracketed type (brackets balanced) where an address follows."""
    out, i = [], 0
    while i < len(text):
        close = {"(": ")", "{": "}"}.get(text[i])
        if close and (i == 0 or text[i - 1] in " {,="):
            depth, j = 0, i
            while j < len(text):
                depth += (text[j] == text[i]) - (text[j] == close)
                if depth == 0:
                    break
                j += 1
            if j < len(text) and re.match(r"\s+0x[0-9a-f]+", text[j + 1:]) \
                    and "`" not in text[i:j] and "=" not in text[i:j]:
                i = j + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def disagreement(gdb: Answer, lldb: Answer, typedefs: dict[str, str]) -> str | None:
    """How gdb's and LLDB's answers differ: "answer" (one failed), "type", "value",
    "type+value", or None where they agree (or both failed)."""
    if gdb.ok != lldb.ok:
        return "answer"
    if not gdb.ok:
        return None
    aspects = []
    if canon_type(gdb.type, typedefs) != canon_type(lldb.type, typedefs):
        aspects.append("type")
    if canon_value(gdb.value) != canon_value(lldb.value):
        aspects.append("value")
    return "+".join(aspects) or None
