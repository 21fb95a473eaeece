"""Completion: a real Tab after `jit-eval` in an interactive lldb (LLDB's own
variable-path completer, the one a raw scripted command can have), and `jit-complete`,
which lists ours (our front end's names and types)."""
from __future__ import annotations

import subprocess

import pytest

from lldbrun import HERE, PROMPT_JIT, batch, interactive


def test_tab_completes_names_and_members(values_exe):
    with interactive(values_exe) as child:
        child.send("jit-eval cou\t")
        child.expect_exact("nter ")            # the line is now `jit-eval counter `
        child.send("\r")
        child.expect(r"\(int\) \$\d+ = 41")
        child.expect_exact(PROMPT_JIT)

        child.send("jit-eval pp->\t")          # two members: both listed
        child.expect_exact("Available completions:")
        child.expect(r"pp->x\s+pp->y")
        child.expect_exact("jit-eval pp->")    # the line is redrawn as it was
        child.send("y\r")
        child.expect(r"\(double\) \$\d+ = 4.5")
        child.expect_exact(PROMPT_JIT)

        child.send("jit-eval 1 + head->next->va\t")
        child.expect_exact("lue ")
        child.send("\r")
        child.expect(r"\(int\) \$\d+ = 21")
        child.expect_exact(PROMPT_JIT)


def _completions(blocks) -> dict[str, list[str]]:
    return {cmd.removeprefix("jit-complete "): out.splitlines() for cmd, out in blocks
            if cmd.startswith("jit-complete")}


def test_jit_complete_lists_ours(values_exe):
    got = _completions(batch(values_exe, [
        "jit-complete cou", "jit-complete pp->", "jit-complete lp.",
        "jit-complete 2 * head->next->", "jit-complete (struct p", "jit-complete poin",
        "jit-complete twi", "jit-complete GRE", "jit-eval lp", "jit-complete $",
        "jit-complete $0.", "jit-complete $ri", "jit-complete int i = 1; points[i].",
        "jit-complete lp->", "jit-complete \"pp->"]))
    assert got["cou"] == ["counter"]
    assert got["pp->"] == ["pp->x", "pp->y"]
    assert got["lp."] == ["lp.x", "lp.y"]                    # point_t, a typedef
    assert got["2 * head->next->"] == ["2 * head->next->next", "2 * head->next->value"]
    assert got["(struct p"] == ["(struct packed", "(struct point"]
    assert got["poin"] == ["point_t", "points"]              # a typedef name, a global
    assert got["twi"] == ["twice"]                           # a static function
    assert got["GRE"] == ["GREEN"]                           # an enumerator
    assert {"$0", "$pc", "$sp", "$rax", "$rip"} <= set(got["$"])   # results, registers
    assert got["$0."] == ["$0.x", "$0.y"]
    assert got["$ri"] == ["$rip"]
    assert got["int i = 1; points[i]."] == ["int i = 1; points[i].x", "int i = 1; points[i].y"]
    assert got["lp->"] == [] and got["\"pp->"] == []          # not a pointer; in a string


@pytest.fixture(scope="module")
def realc_exe(tmp_path_factory):
    out = tmp_path_factory.mktemp("realc_completion")
    exe = out / "realc"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(exe), str(HERE / "programs" / "realc.c"),
                    str(HERE / "programs" / "realc_other.c")], check=True)
    return exe


def test_jit_complete_offers_anonymous_members(realc_exe):
    got = _completions(batch(realc_exe, ["jit-complete uv.", "jit-complete tg.",
                                         "jit-complete (&tg)->"]))
    assert got["uv."] == ["uv.f", "uv.hi", "uv.i", "uv.lo"]    # union { struct { lo, hi } }
    assert got["tg."] == ["tg.d", "tg.kind", "tg.l"]
    assert got["(&tg)->"] == ["(&tg)->d", "(&tg)->kind", "(&tg)->l"]
