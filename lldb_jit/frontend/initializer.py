"""Initializers of declared locals (C11 6.7.9), lowered to assignments.

    int a[3] = {1, 2};  struct S t = {.g = 2, 1};  char s[] = "abc";

become a zeroed object and one assignment per initialized scalar (or whole record),
in the manner of chibicc's initializer(): a cursor walks the braced list, brace
elision lets a sub-aggregate take items from its enclosing list, and a designator
moves the cursor (`.name`, `[index]`, chained as `.a.b[1]`)."""
from __future__ import annotations

from . import ast as A
from .ast import Op
from .ctype import (CType, Kind, find_member, is_array, is_integer, is_record,
                    member_names, same_type, strip_typedefs, ty_int, ty_long)
from .diag import INITIALIZING, describe, did_you_mean, error

AGGREGATE_NAMES = {Kind.ARRAY: "array", Kind.STRUCT: "struct", Kind.UNION: "union"}
CHAR_KINDS = frozenset({Kind.CHAR, Kind.SCHAR, Kind.UCHAR})


def is_aggregate(ty: CType) -> bool:
    return strip_typedefs(ty).kind in AGGREGATE_NAMES


def is_char_array(ty: CType) -> bool:
    ty = strip_typedefs(ty)
    return ty.kind is Kind.ARRAY and strip_typedefs(ty.base).kind in CHAR_KINDS


def fields(ty: CType) -> list:
    """The members an initializer list walks: all but unnamed bit-fields."""
    return [m for m in strip_typedefs(ty).members or () if m.name or not m.bit_width]


def capacity(ty: CType) -> float:
    ty = strip_typedefs(ty)
    if ty.kind is Kind.ARRAY:
        return ty.length if ty.length >= 0 else float("inf")
    return len(fields(ty))


class Stream:
    """The items of one braced list, shared by the levels that brace elision opens."""

    def __init__(self, items: list[A.InitItem]):
        self.items, self.pos = items, 0

    def peek(self) -> A.InitItem | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self) -> A.InitItem:
        self.pos += 1
        return self.items[self.pos - 1]


class Initializer:
    """Lower the initializer of object `obj` (a checked lvalue) to `stores`."""

    def __init__(self, checker, obj: A.Node):
        self.checker = checker
        self.obj = obj
        self.stores: list[A.Node] = []
        self.extent = 0   # elements given to the object, if an array of unknown size
        self.checked: dict[int, A.Node] = {}   # id(item) -> its value, checked once

    def initialize(self, init: A.Node):
        ty = self.obj.ty
        if isinstance(init, A.InitList):
            self.braced(self.obj, init)
        elif is_char_array(ty) and isinstance(init, A.StrLit):
            self.string(self.obj, init)
        elif is_array(ty):
            error(init, "array initializer must be an initializer list" +
                  (" or string literal" if is_char_array(ty) else ""))
        else:
            self.assign(self.obj, self.checker.rvalue(init))

    # braced = "{" item* "}": an aggregate walks it, a scalar takes one item
    def braced(self, obj: A.Node, init: A.InitList):
        stream = Stream(init.items)
        if is_char_array(obj.ty) and len(init.items) == 1 and \
                isinstance(init.items[0].value, A.StrLit) and not init.items[0].designators:
            self.string(obj, stream.next().value)   # char s[] = {"abc"}
        elif is_aggregate(obj.ty):
            self.aggregate(obj, stream, braced=True)
        elif stream.peek() is not None:
            item = stream.next()
            if item.designators:
                error(item.designators[0], "designator in initializer for scalar type "
                                           f"{describe(obj.ty)}")
            self.element(obj, item, stream)
        leftover = stream.peek()
        if leftover is not None:
            kind = AGGREGATE_NAMES.get(strip_typedefs(obj.ty).kind, "scalar")
            error(leftover, f"excess elements in {kind} initializer")

    def aggregate(self, obj: A.Node, stream: Stream, braced: bool,
                  designated_first: bool = False):
        """Initialize obj's elements from the stream, from the first one on. Without
        braces (elision) it stops when full or at a designator it does not own."""
        ty, pos, first = strip_typedefs(obj.ty), 0, True
        while (item := stream.peek()) is not None:
            if item.designators:
                if not (braced or first and designated_first):
                    return
                pos = self.position(obj, item.designators.pop(0))
            elif pos >= capacity(ty) or (ty.kind is Kind.UNION and not first):
                return
            first = False
            sub = self.sub_object(obj, pos)
            if item.designators:
                self.check_designated(sub, item.designators[0])
                self.aggregate(sub, stream, braced=False, designated_first=True)
            else:
                self.element(sub, stream.next(), stream)
            pos += 1

    def element(self, sub: A.Node, item: A.InitItem, stream: Stream):
        """One sub-object from `item`; an aggregate not in braces takes the next items
        too (brace elision)."""
        value = item.value
        if isinstance(value, A.InitList):
            self.braced(sub, value)
        elif is_char_array(sub.ty) and isinstance(value, A.StrLit):
            self.string(sub, value)
        elif is_aggregate(sub.ty) and not self.whole_record(sub, item):
            stream.pos -= 1
            self.aggregate(sub, stream, braced=False)
        elif not is_aggregate(sub.ty):
            self.assign(sub, self.value_of(item))

    def whole_record(self, sub: A.Node, item: A.InitItem) -> bool:
        """`{.p = other_point}`: a record initialized from a value of its type."""
        if not is_record(sub.ty) or isinstance(item.value, A.StrLit):
            return False
        value = self.value_of(item)
        if not same_type(value.ty, sub.ty):
            return False
        self.assign(sub, value)
        return True

    def value_of(self, item: A.InitItem) -> A.Node:
        if id(item) not in self.checked:
            self.checked[id(item)] = self.checker.rvalue(item.value)
        return self.checked[id(item)]

    def string(self, sub: A.Node, lit: A.StrLit):
        ty = strip_typedefs(sub.ty)
        data = lit.value + b"\0"
        if 0 <= ty.length < len(lit.value):
            error(lit, "initializer-string for char array is too long")
        if ty.length >= 0:
            data = data[:ty.length]
        for i, byte in enumerate(data):
            self.assign(self.sub_object(sub, i), A.IntLit(lit.offset, lit.length, byte,
                                                         ty=ty_int))

    def assign(self, sub: A.Node, value: A.Node):
        value = self.checker.convert(value, sub.ty, INITIALIZING)
        assign = A.Assign(value.offset, value.length, None, sub, value, ty=sub.ty)
        self.stores.append(A.ExprStmt(value.offset, value.length, assign))

    # --- sub-objects and designators -------------------------------------------------

    def sub_object(self, obj: A.Node, pos: int) -> A.Node:
        ty = strip_typedefs(obj.ty)
        if ty.kind is Kind.ARRAY:
            if obj is self.obj:
                self.extent = max(self.extent, pos + 1)
            elem = ty.base
            offset = A.IntLit(obj.offset, obj.length, pos * strip_typedefs(elem).size,
                              ty=ty_long)
            ptr = A.PtrAdd(obj.offset, obj.length, self.checker.decay(obj), offset,
                           ty=self.checker.decay(obj).ty)
            return A.Unary(obj.offset, obj.length, Op.DEREF, ptr, ty=elem)
        member = fields(ty)[pos]
        return A.Member(obj.offset, obj.length, obj, member, ty=member.type)

    def position(self, obj: A.Node, d: A.Designator) -> int:
        self.check_designated(obj, d)
        ty = strip_typedefs(obj.ty)
        if d.index is not None:
            return self.array_index(ty, d)
        names = fields(ty)
        path = find_member(ty, d.name)
        if path is None:
            error(d, f"field designator '{d.name}' does not refer to any field in type "
                     f"{describe(obj.ty)}" + did_you_mean(d.name, member_names(ty)))
        return names.index(path[0])

    def array_index(self, ty: CType, d: A.Designator) -> int:
        index = self.checker.expr(d.index)
        if not (isinstance(index, A.IntLit) and is_integer(index.ty)):
            error(d.index, "expression is not an integer constant expression")
        if index.value < 0 or index.value >= capacity(ty):
            error(d.index, f"array designator index ({index.value}) exceeds array bounds "
                           f"({ty.length})")
        return index.value

    @staticmethod
    def check_designated(obj: A.Node, d: A.Designator):
        if d.index is not None and not is_array(obj.ty):
            error(d, f"array designator cannot initialize non-array type {describe(obj.ty)}")
        if d.index is None and not is_record(obj.ty):
            error(d, "field designator cannot initialize a non-struct, non-union type "
                     f"{describe(obj.ty)}")
