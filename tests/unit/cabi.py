"""What the C-ABI execution tests (test_aapcs64.py, test_lp64d.py) share: record types
spelled as C fields and laid out by lldb_jit.frontend.ctype.layout_record, the scalars
make_T sets in them, and the run that compares our compiled calls with gcc's under
qemu-user."""
from __future__ import annotations

import re
import shutil
import subprocess
from typing import Callable

from lldb_jit.compile import compile_module
from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import (BASIC_TYPES, Kind, array_of, is_record, layout_record,
                                     strip_typedefs)
from lldb_jit.irgen import ENTRY, gen_module

SPELLINGS = {"float": Kind.FLOAT, "double": Kind.DOUBLE, "long double": Kind.LDOUBLE,
             "char": Kind.CHAR, "signed char": Kind.SCHAR, "unsigned char": Kind.UCHAR,
             "short": Kind.SHORT, "int": Kind.INT, "unsigned": Kind.UINT,
             "long": Kind.LONG}
FIELD = re.compile(r"(?P<type>.+?)\s+(?P<name>\w+)(?:\[(?P<n>\d+)\])?(?::(?P<bits>\d+))?$")


def build_types(table: list[tuple[str, str, str, str]]) -> dict[str, object]:
    """tag -> CType for rows (tag, "struct"/"union", fields ("type name", "type
    name[n]", "type name:bits"; a tag named earlier may be a field's type), attribute
    ("", "packed" or "aligned(16)")."""
    types = {}
    for tag, kind, spec, attr in table:
        fields = []
        for f in (FIELD.match(f.strip()) for f in spec.split(";") if f.strip()):
            spelled = f["type"]
            ty = types[spelled.split()[1]] if spelled.split()[0] in ("struct", "union") \
                else BASIC_TYPES[SPELLINGS[spelled]]
            if f["n"]:
                ty = array_of(ty, int(f["n"]))
            fields.append((f["name"], ty, int(f["bits"])) if f["bits"] else
                          (f["name"], ty))
        types[tag] = layout_record(Kind.UNION if kind == "union" else Kind.STRUCT, tag,
                                   fields, packed=attr == "packed",
                                   align=16 if attr == "aligned(16)" else 0)
    return types


def leaves(types: dict, tag: str, prefix: str = "") -> list[tuple[str, object]]:
    """(access path, scalar type) of each scalar make_T sets and check_T sums; of a
    union, those of its largest member (the first of equal size)."""
    ty = types[tag]
    members = ty.members
    if ty.kind is Kind.UNION and members:
        members = [max(members, key=lambda m: strip_typedefs(m.type).size)]
    out = []
    for m in members:
        t = strip_typedefs(m.type)
        paths = [(prefix + m.name, t)] if t.kind is not Kind.ARRAY else \
            [(f"{prefix}{m.name}[{i}]", strip_typedefs(t.base)) for i in range(t.length)]
        for path, leaf in paths:
            out += leaves(types, leaf.name, path + ".") if is_record(leaf) else [(path, leaf)]
    return out


def tools_missing(tools: tuple[str, ...]) -> str:
    missing = [t for t in tools if shutil.which(t) is None]
    return f"{', '.join(missing)} not installed" if missing else ""


def main(cases: list[str]) -> str:
    """A C main running each case, which leaves its value in `r`, and printing it."""
    return "int main(void) {\n" + "".join(
        f"    {{ _Alignas(16) unsigned char r[256] = {{0}}; {case} }}\n"
        for case in cases) + "    return 0;\n}\n"


def compare_with_gcc(work, triple: str, tools: tuple[str, str, str], header: str,
                     callees: str, cases: list[tuple[str, str]], provider,
                     result_of: Callable[[str, str], tuple[str, str]]) -> dict:
    """{(tag, source): (our printed value or an error, gcc's)}: one qemu run each of a
    main calling our objects and of a main where gcc compiled the same expressions.
    `result_of(tag, source)` gives the case's C result type ("" for double) and the
    arguments after `r` of the prelude's `show`."""
    cc, objcopy, qemu = tools
    (work / "callees.c").write_text(header + callees)
    subprocess.run([cc, "-O1", "-w", "-c", "-o", work / "callees.o", work / "callees.c"],
                   check=True)
    objects, errors, ours, theirs = [], {}, [], []
    for i, (tag, source) in enumerate(cases):
        result, shown = result_of(tag, source)
        try:
            program = analyze(source, provider)
            assert result or program.result_type.kind is Kind.DOUBLE, program.result_type
            obj = work / f"expr{i}.o"
            obj.write_bytes(compile_module(gen_module(program, triple), triple))
            subprocess.run([objcopy, f"--redefine-sym={ENTRY}=expr_{i}", obj], check=True)
        except Exception as e:   # reported by that case's test
            errors[i] = f"{type(e).__name__}: {e}"
            continue
        objects.append(obj)
        ours.append(f"void expr_{i}(void *, void *); expr_{i}(0, r); show(r, {shown});")
        theirs.append(f"{result or 'double'} x = ({{ {source}; }}); "
                      f"memcpy(r, &x, sizeof x); show(r, {shown});")
    outputs = []
    for name, calls, objs in (("ours", ours, objects), ("gcc", theirs, [])):
        (work / f"{name}.c").write_text(header + main(calls))
        exe = work / name
        subprocess.run([cc, "-O1", "-w", "-static", "-o", exe, work / f"{name}.c", *objs,
                        work / "callees.o"], check=True)
        outputs.append(subprocess.run([qemu, exe], check=True, capture_output=True,
                                      text=True, timeout=300).stdout.splitlines())
    lines = iter(zip(*outputs))
    return {case: (errors[i], "") if i in errors else next(lines)
            for i, case in enumerate(cases)}
