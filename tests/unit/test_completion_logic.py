"""Completion of the expression being typed (lldb_jit/completion.py), over a
DictProvider: (text up to the cursor, the words offered) one line each."""
import pytest
from hypothesis import given, settings, strategies as st

from lldb_jit.completion import complete
from lldb_jit.frontend.ctype import (Kind, Member, array_of, func_type, pointer_to,
                                     struct_type, ty_char, ty_double, ty_float, ty_int,
                                     ty_long, ty_ulong, typedef_of)
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind

LOCAL, GLOBAL = SymKind.LOCAL, SymKind.GLOBAL

POINT = struct_type(Kind.STRUCT, "point", [Member("x", ty_int, 0), Member("y", ty_double, 8)],
                    16, 8)
POINT_T = typedef_of("point_t", POINT)
# struct shape { int kind; union { int radius; float side; }; struct { int w, h; } box; };
SHAPE = struct_type(Kind.STRUCT, "shape", [
    Member("kind", ty_int, 0),
    Member("", struct_type(Kind.UNION, "", [Member("radius", ty_int, 0),
                                            Member("side", ty_float, 0)], 4, 4), 4),
    Member("box", struct_type(Kind.STRUCT, "", [Member("w", ty_int, 0),
                                                Member("h", ty_int, 4)], 8, 4), 8)], 16, 4)
NODE = struct_type(Kind.STRUCT, "node", None, 16, 8)
NODE.members = [Member("value", ty_int, 0), Member("next", pointer_to(NODE), 8)]
OPAQUE = struct_type(Kind.STRUCT, "opaque", None, 0, 1)


def sym(name, ty, kind=LOCAL):
    return Symbol(name, kind, ty)


PROVIDER = DictProvider(
    {s.name: s for s in [
        sym("counter", ty_int, GLOBAL), sym("count2", ty_long, GLOBAL), sym("local", ty_int),
        sym("pt", pointer_to(POINT)), sym("lp", POINT_T), sym("points", array_of(POINT_T, 3)),
        sym("sh", SHAPE), sym("psh", pointer_to(SHAPE)), sym("head", pointer_to(NODE)),
        sym("op", pointer_to(OPAQUE)), sym("name", array_of(ty_char, 8)),
        sym("get_point", func_type(pointer_to(POINT), [ty_int]), SymKind.FUNCTION),
        sym("$0", POINT, SymKind.PERSISTENT), sym("$pc", ty_ulong, SymKind.REGISTER),
        sym("$rax", ty_ulong, SymKind.REGISTER)]},
    {"point_t": POINT_T},
    {("struct", "point"): POINT, ("struct", "shape"): SHAPE, ("struct", "node"): NODE,
     ("struct", "opaque"): OPAQUE})

CASES = [
    # identifiers: variables, functions, typedef names, keywords
    ("cou", ["count2", "counter"]),
    ("counter + lo", ["local", "long"]),
    ("get_", ["get_point"]),
    ("(point", ["point_t", "points"]),
    ("siz", ["sizeof"]),
    ("$", ["$0", "$pc", "$rax"]),
    ("1 + $r", ["$rax"]),
    ("nothing_like_this", []),
    # members after `.` and `->`, through our own types
    ("pt->", ["x", "y"]),
    ("pt->y + pt->", ["x", "y"]),
    ("pt->x", ["x"]),
    ("lp.", ["x", "y"]),                       # through the typedef
    ("lp . y", ["y"]),
    ("points[1].", ["x", "y"]),
    ("points->", ["x", "y"]),                  # an array decays
    ("(*pt).", ["x", "y"]),
    ("((struct point *)0)->", ["x", "y"]),
    ("get_point(1)->", ["x", "y"]),
    ("$0.", ["x", "y"]),
    ("sh.", ["box", "kind", "radius", "side"]),   # the anonymous union's members too
    ("psh->box.", ["h", "w"]),
    ("psh->r", ["radius"]),
    ("head->next->next->", ["next", "value"]),
    ("local * head->next->v", ["value"]),
    ("point_t p = lp; p.", ["x", "y"]),        # declared by an earlier statement
    ("int i = 1; points[i].", ["x", "y"]),
    # where nothing fits
    ("pt.", []),                               # `.` on a pointer
    ("lp->", []),                              # `->` on a struct
    ("counter.", []),
    ("op->", []),                              # incomplete type
    ("nosuch->", []),
    ("1.", []),                                # a number, not a member
    ("0x1f", []),
    ('"pt->', []),                             # inside a string
    ("pt->x->", []),
    # tags after struct/union/enum
    ("sizeof(struct p", ["point"]),
    ("(struct ", ["node", "opaque", "point", "shape"]),
    ("(union ", []),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_complete(text, expected):
    assert complete(text, PROVIDER).candidates == expected


def test_start_and_lines():
    done = complete("counter + pt->", PROVIDER)
    assert done.start == len("counter + pt->")
    assert done.lines("counter + pt->") == ["counter + pt->x", "counter + pt->y"]
    assert complete("1 + cou", PROVIDER).start == 4
    assert complete("psh->box.w", PROVIDER).lines("psh->box.w") == ["psh->box.w"]


def test_empty_prefix_offers_names_not_keywords():
    assert "sizeof" not in complete("", PROVIDER).candidates
    assert "counter" in complete("", PROVIDER).candidates


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="pt->.[]()*&1 $;\"'{}x_sh", max_size=24))
def test_any_text_completes_without_raising(text):
    done = complete(text, PROVIDER)
    assert 0 <= done.start <= len(text)
    assert all(c.startswith(text[done.start:]) for c in done.candidates)
