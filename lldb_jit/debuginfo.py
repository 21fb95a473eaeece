"""The debuggee's debug info as the front end sees it: SBType -> CType, a TypeProvider
over the selected frame and target, and the symbol resolver the linker calls.

Lookups follow C scope: the frame's locals and parameters (LLDB searches the innermost
block first), persistent `$` names, then globals and statics (the frame's module
first), then functions, then enumerators.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from typing import Mapping

import lldb

from .dwarfmacros import macros_at
from .errors import CompileError
from .report import plain
from .frontend import ctype as ct
from .frontend.ctype import CType, Kind, Member
from .frontend.macros import Macro
from .frontend.parse import parse_type_name
from .frontend.provider import Symbol, SymKind
from .tls import (Descriptor, DtvLayout, ModuleBlock, TlsAbi, TlsError,
                  location_less_variables)

_BASIC = {
    lldb.eBasicTypeVoid: ct.ty_void, lldb.eBasicTypeBool: ct.ty_bool,
    lldb.eBasicTypeChar: ct.ty_char, lldb.eBasicTypeSignedChar: ct.ty_schar,
    lldb.eBasicTypeUnsignedChar: ct.ty_uchar, lldb.eBasicTypeShort: ct.ty_short,
    lldb.eBasicTypeUnsignedShort: ct.ty_ushort, lldb.eBasicTypeInt: ct.ty_int,
    lldb.eBasicTypeUnsignedInt: ct.ty_uint, lldb.eBasicTypeLong: ct.ty_long,
    lldb.eBasicTypeUnsignedLong: ct.ty_ulong, lldb.eBasicTypeLongLong: ct.ty_llong,
    lldb.eBasicTypeUnsignedLongLong: ct.ty_ullong, lldb.eBasicTypeFloat: ct.ty_float,
    lldb.eBasicTypeDouble: ct.ty_double, lldb.eBasicTypeLongDouble: ct.ty_ldouble,
}
_BASIC_BY_KIND = {ty.kind: basic for basic, ty in _BASIC.items()}
_BASIC.update({   # C++ character types a C program's debug info may still name
    lldb.eBasicTypeWChar: ct.ty_int, lldb.eBasicTypeSignedWChar: ct.ty_int,
    lldb.eBasicTypeUnsignedWChar: ct.ty_uint, lldb.eBasicTypeChar16: ct.ty_ushort,
    lldb.eBasicTypeChar32: ct.ty_uint, lldb.eBasicTypeChar8: ct.ty_uchar,
})
_LOCAL_VALUE_TYPES = (lldb.eValueTypeVariableLocal, lldb.eValueTypeVariableArgument,
                      lldb.eValueTypeVariableStatic)
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_MAX_COMPLETIONS = 1000
_GENERIC_REGISTERS = ("pc", "sp", "fp")
_REGISTER_INTS = {1: ct.ty_uchar, 2: ct.ty_ushort, 4: ct.ty_uint, 8: ct.ty_ulong}
_TAG_CLASSES = {"struct": lldb.eTypeClassStruct, "union": lldb.eTypeClassUnion,
                "enum": lldb.eTypeClassEnumeration}


def _byte_align(t: lldb.SBType) -> int:
    """The alignment of `t`; LLDB 16 has no SBType.GetByteAlign: there, the largest
    power of two dividing the size, up to 16 (what the x86-64 and AArch64 ABIs give
    the basic and vector types; a struct's is then its members', see _record)."""
    if hasattr(t, "GetByteAlign"):
        return max(t.GetByteAlign(), 1)
    size = t.GetByteSize()
    return min(size & -size, 16) if size > 0 else 1


class TypeConverter:
    """SBType -> CType, cached, keeping the SBType as the CType's origin."""

    def __init__(self, target: lldb.SBTarget):
        self.target = target
        self._cache: dict[tuple, CType] = {}
        self._enumerators: dict[tuple, dict] = {}
        self._found: dict[tuple, lldb.SBType | None] = {}   # find_type's answers
        self._basic: dict[int, lldb.SBType] = {}    # the target's basic types, by kind

    def forget_lookups(self) -> None:
        """Modules were loaded or unloaded: a name may now find another type, or one."""
        self._found.clear()

    def convert(self, t: lldb.SBType) -> CType:
        key = (t.GetTypeClass(), t.GetName(), t.GetByteSize())
        cached = self._cache.get(key)
        if cached is None:
            cached = self._convert(t, key)
        return cached

    def _convert(self, t: lldb.SBType, key: tuple) -> CType:
        cls = t.GetTypeClass()
        name = t.GetName() or ""
        quals = _qualifiers(name, cls)
        if any(quals.values()):
            if cls == lldb.eTypeClassPointer:   # GetUnqualifiedType would strip the
                plain = ct.pointer_to(self.convert(t.GetPointeeType()))  # pointee's too
                return self._cached(key, ct.qualified(plain, **quals, origin=t))
            plain = t.GetUnqualifiedType()
            if plain.GetName() != name:
                return self._cached(key, ct.qualified(self.convert(plain), **quals,
                                                      origin=t))
        if cls == lldb.eTypeClassTypedef:
            ty = ct.typedef_of(name, self.convert(t.GetTypedefedType()), origin=t)
        elif cls == lldb.eTypeClassPointer:
            ty = ct.pointer_to(self.convert(t.GetPointeeType()))
        elif cls == lldb.eTypeClassArray:
            elem = self.convert(t.GetArrayElementType())
            length = t.GetByteSize() // elem.size if elem.size else 0
            ty = ct.array_of(elem, -1 if name.endswith("[]") else length)  # flexible
        elif cls in (lldb.eTypeClassStruct, lldb.eTypeClassUnion):
            return self._record(t, key)
        elif cls == lldb.eTypeClassEnumeration:
            values = {m.GetName(): m.GetValueAsSigned() for m in t.GetEnumMembers()}
            base = self.convert(t.GetEnumerationIntegerType())
            ty = ct.enum_type(_tag(name), values, ct.strip_typedefs(base), origin=t)
        elif cls == lldb.eTypeClassFunction:
            params = [self.convert(p) for p in t.GetFunctionArgumentTypes()]
            ty = ct.func_type(self.convert(t.GetFunctionReturnType()), params,
                              variadic=name.rstrip().endswith("...)"))
        elif "_Atomic(" in name and name.endswith(")"):
            # LLDB knows `_Atomic(T)` only by name: T is read back with our own parser
            inner = name[name.index("_Atomic(") + len("_Atomic("):-1]
            ty = ct.qualified(parse_type_name(inner, self), atomic=True)
        else:
            unqualified = t.GetUnqualifiedType()
            basic = _BASIC.get(unqualified.GetBasicType())
            if basic in (ct.ty_schar, ct.ty_uchar) and unqualified.GetName() == "char":
                basic = ct.ty_char   # LLDB names DWARF's plain `char` by its signedness
            if basic is None:       # `__int128`, `_Complex double`, a vector...
                return self._cached(key, ct.opaque_type(name, t.GetByteSize(),
                                                       _byte_align(t), t))
            ty = basic
        if ty.origin is None and ty is not ct.BASIC_TYPES.get(ty.kind):
            ty.origin = t     # derived types print with the debuggee's own spelling
        return self._cached(key, ty)

    def _cached(self, key: tuple, ty: CType) -> CType:
        self._cache[key] = ty
        return ty

    def _record(self, t: lldb.SBType, key: tuple) -> CType:
        if not (t.GetNumberOfFields() or t.GetByteSize()):
            # only declared here (`struct S;`): another compile unit or module may
            # define it, as LLDB's `expression` finds it
            complete = self.find_type(_tag(t.GetName() or ""), t.GetTypeClass(),
                                      complete=True)
            if complete is not None:
                return self._cached(key, self.convert(complete))
            return ct.struct_type(Kind.UNION if t.GetTypeClass() == lldb.eTypeClassUnion
                                  else Kind.STRUCT, _tag(t.GetName() or ""), None, 0, 1,
                                  origin=t)   # not cached: a library may define it later
        kind = Kind.UNION if t.GetTypeClass() == lldb.eTypeClassUnion else Kind.STRUCT
        ty = ct.LazyRecord(kind, _tag(t.GetName() or ""), t.GetByteSize(), _byte_align(t),
                           t, lambda: self._members(t))
        self._cache[key] = ty
        if not hasattr(t, "GetByteAlign") and ty.members:   # LLDB 16: see _byte_align
            ty.align = max(m.type.align for m in ty.members)
        return ty

    def _members(self, t: lldb.SBType) -> list[Member]:
        members = []
        for i in range(t.GetNumberOfFields()):
            field = t.GetFieldAtIndex(i)
            bits = field.GetOffsetInBits()
            width = field.GetBitfieldSizeInBits() if field.IsBitfield() else 0
            members.append(ct.LazyMember(field.GetName() or "",
                                         lambda of=field.GetType(): self.convert(of),
                                         bits // 8, bits % 8 if width else 0, width))
        return members

    def enumerators(self, module: lldb.SBModule) -> dict[str, tuple[int, lldb.SBType]]:
        """Every enumerator a module's debug info declares, by name: read once per
        module (a big program's table takes a second to build)."""
        key = (str(module.GetFileSpec()), module.GetUUIDString())
        table = self._enumerators.get(key)
        if table is None:
            table = self._enumerators[key] = {}
            for t in module.GetTypes(lldb.eTypeClassEnumeration):
                for m in t.GetEnumMembers():
                    table.setdefault(m.GetName(), (m.GetValueAsSigned(), t))
        return table

    # -- a TypeProvider of types alone (for the type names inside LLDB's spellings) ----
    def lookup_typedef(self, name: str, module: lldb.SBModule | None = None) -> CType | None:
        t = self.find_type(name, lldb.eTypeClassTypedef, module)
        return self.convert(t) if t else None

    def lookup_tag(self, kind: str, name: str,
                   module: lldb.SBModule | None = None) -> CType | None:
        t = self.find_type(name, _TAG_CLASSES[kind], module) or \
            self.find_type(f"{kind} {name}", _TAG_CLASSES[kind], module)
        return self.convert(t) if t else None

    def lookup_identifier(self, name: str) -> None:
        return None

    def similar_names(self, name: str) -> list[str]:
        return []

    def find_type(self, name: str, cls: int, module: lldb.SBModule | None = None,
                  complete: bool = False) -> lldb.SBType | None:
        """The type `name` of class `cls`, from `module` first, then any module; with
        `complete`, only a struct or union that has a definition."""
        if not name:
            return None
        key = (name, cls, complete, module.GetFileSpec().fullpath if module else None)
        if key not in self._found:
            self._found[key] = self._find_type(name, cls, module, complete)
        return self._found[key]

    def _find_type(self, name: str, cls: int, module: lldb.SBModule | None,
                   complete: bool) -> lldb.SBType | None:
        def fits(t: lldb.SBType) -> bool:
            return t.GetTypeClass() == cls and (not complete or t.GetNumberOfFields() > 0
                                                or t.GetByteSize() > 0)

        def search(scope) -> lldb.SBType | None:
            # FindTypes gives every compile unit's copy (108 of CPython's PyListObject,
            # 8 ms); the first one found is most often the one
            first = scope.FindFirstType(name)
            if not first.IsValid():
                return None
            return first if fits(first) else next(filter(fits, scope.FindTypes(name)), None)

        for scope in ([module] if module else []) + [self.target]:
            found = search(scope)
            if found is not None:
                return found
        if complete:     # SBTarget.FindTypes stops at the first module that has the name
            for m in self.target.module_iter():
                found = search(m)
                if found is not None:
                    return found
        return None

    def to_sbtype(self, ty: CType) -> tuple[lldb.SBType, bool]:
        """A CType back to an SBType, for printing the result with LLDB's formatters,
        and whether it is exact: the SB API cannot add qualifiers to a type (there is
        no GetConstType), so `const char *` made here comes back as `char *`, and the
        report spells the type itself."""
        if ty.origin is not None:
            return ty.origin, True
        if ty.kind is Kind.PTR:
            base, exact = self.to_sbtype(ty.base)
            return base.GetPointerType(), exact and not (ty.is_const or ty.is_volatile)
        if ty.kind is Kind.ARRAY:    # GetArrayType spells a typedef'd element's target
            base, exact = self.to_sbtype(ty.base)
            return base.GetArrayType(max(ty.length, 0)), exact and not _names_typedef(ty.base)
        exact = not (ty.is_const or ty.is_volatile or ty.is_atomic)
        if ty.kind in (Kind.STRUCT, Kind.UNION) and ty.members is not None:
            # defined by jit-eval: LLDB sees its bytes (the report prints its members)
            byte = self.target.GetBasicType(lldb.eBasicTypeUnsignedChar)
            return byte.GetArrayType(max(ty.size, 1)), False
        if ty.kind is Kind.BOOL:
            named = self.target.FindFirstType("_Bool")
            if named.IsValid():
                return named, exact
        basic = _BASIC_BY_KIND.get(ty.kind)
        if basic is None:
            raise CompileError(0, 0, f"cannot print a value of type '{ct.type_name(ty)}'")
        found = self._basic.get(basic)
        if found is None:
            found = self._basic[basic] = self.target.GetBasicType(basic)
        return found, exact


def _same_file(spec: lldb.SBFileSpec, path: str) -> bool:
    if "/" in path:
        return os.path.normpath(str(spec)).endswith(os.path.normpath(path))
    return spec.GetFilename() == path


def _block_statics(block: lldb.SBBlock, target: lldb.SBTarget) -> list[lldb.SBValue]:
    """The static variables of a function's block and of the blocks nested in it."""
    if not block.IsValid():
        return []
    found = [v for v in block.GetVariables(target, False, True, True)
             if v.GetValueType() == lldb.eValueTypeVariableStatic]
    child = block.GetFirstChild()
    while child.IsValid():
        found += _block_statics(child, target)
        child = child.GetSibling()
    return found


def _names_typedef(ty: CType) -> bool:
    while ty.kind in (Kind.PTR, Kind.ARRAY):
        ty = ty.base
    return ty.kind is Kind.TYPEDEF


def _qualifiers(name: str, cls: int) -> dict:
    """The top-level qualifiers in LLDB's spelling of a type: leading words (`const
    volatile int`), or after the last `*` for a pointer (`char *const`, since `const
    char *` is a pointer to const)."""
    if cls in (lldb.eTypeClassArray, lldb.eTypeClassFunction):
        words = []      # `const char *[13]`: the qualifier is the element's
    elif cls == lldb.eTypeClassPointer:
        words = name.rsplit("*", 1)[-1].split()
    else:
        words = name.split()
        words = words[:next((i for i, w in enumerate(words)
                             if w not in ("const", "volatile")), len(words))]
    return {"const": "const" in words, "volatile": "volatile" in words}


def _tag(name: str) -> str:
    for prefix in ("struct ", "union ", "enum "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return "" if name.startswith("(") else name  # "(unnamed struct)" is anonymous


class FrameProvider:
    """The TypeProvider for one evaluation in the selected frame. It remembers where the
    things it found live, so the frame block and the resolver need no second lookup."""

    def __init__(self, target: lldb.SBTarget, frame: lldb.SBFrame | None,
                 converter: TypeConverter, persistent: dict,
                 tls: ThreadLocalStorage | None = None, definitions: dict | None = None,
                 macros: Mapping[str, Macro] | None = None, known: dict | None = None):
        self.target = target
        self.frame = frame if frame is not None and frame.IsValid() else None
        self.module = self.frame.GetModule() if self.frame else None
        self.types = converter
        self.persistent = persistent      # name -> PersistentVar (see session.py)
        self.expression_vars: dict[str, lldb.SBValue] = {}   # LLDB's own `$` names used
        self.expression_refs: dict[str, int] = {}    # those that are C++ references: where to
        self.registers: dict[str, str] = {}   # `$name` -> the register's own name
        self.addresses: dict[str, int] = {}   # link name -> load address (from debug info)
        self.indirect: dict[str, int] = {}    # GNU indirect functions: name -> resolver
        self.tls = tls
        # `jit-eval --top-level` definitions, after the frame's locals and before the
        # debuggee's names: name -> session.Definition (its symbol and where it is
        # loaded) for functions and globals; (keyword, tag) -> CType for types
        self.definitions = definitions or {}
        self.thread_locals: dict[str, ThreadLocal] = {}   # THREAD_LOCAL symbols by name
        self._libraries_loaded = False
        self._macros = macros     # the frame's, when the caller knows them already
        # what names found at this stop mean (kept by the caller per stop and per set of
        # modules): name -> (Symbol, its address or None, its ThreadLocal or None), and
        # ("typedef", name) -> CType or None, ("local", name) -> SBValue or None
        self._known = known if known is not None else {}

    # -- identifiers ------------------------------------------------------------------
    def lookup_identifier(self, name: str) -> Symbol | None:
        if name.startswith("$"):
            return self._persistent(name) or self._register(name)
        known = self._known.get(name)
        # a local hides a --top-level definition, which hides the debuggee's names
        if known is not None and (known[0].kind is SymKind.LOCAL or name not in self.definitions):
            symbol, address, tls_var = known
            if address is not None:
                self.addresses[symbol.link_name] = address
            if tls_var is not None:
                self.thread_locals[name] = tls_var
            return symbol
        found = self._local(name) or self._definition(name)
        if found is not None and found.kind is not SymKind.LOCAL:
            return found           # (a definition: it may be replaced, never kept here)
        found = found or self._global(name) or self._function(name) or self._enumerator(name)
        if found is None and self._load_libraries():
            return self.lookup_identifier(name)
        found = found or self._data_symbol(name)
        if found is not None:
            self._known[name] = (found, self.addresses.get(found.link_name),
                                 self.thread_locals.get(name))
        return found

    def _definition(self, name: str) -> Symbol | None:
        """A function or global defined by `jit-eval --top-level`: the linker resolves
        it to where it was loaded."""
        found = self.definitions.get(name)
        if found is None:
            return None
        self.addresses[found.symbol.link_name] = found.address
        return found.symbol

    def _data_symbol(self, name: str) -> Symbol | None:
        """A data symbol debug info does not describe (defined in assembly, an alias,
        a library without debug info): its address, and a type only a cast can give."""
        for context in self.target.FindSymbols(name):
            symbol = context.GetSymbol()
            address = symbol.GetStartAddress().GetLoadAddress(self.target)
            if symbol.GetType() == lldb.eSymbolTypeData and \
                    address != lldb.LLDB_INVALID_ADDRESS and \
                    not _in_tls_segment(symbol.GetStartAddress().GetSection()):
                self.addresses[name] = self._copy_relocated(name, address)
                return Symbol(name, SymKind.GLOBAL, ct.no_debug_info_data(symbol.GetSize()))
        return None

    def _load_libraries(self) -> bool:
        """Once per evaluation, on a miss: whether shared libraries LLDB did not know
        of were added (their symbols may be the missing name)."""
        if self._libraries_loaded:
            return False
        self._libraries_loaded = True
        if load_shared_libraries(self.target):
            return True
        return False

    def _persistent(self, name: str) -> Symbol | None:
        """`$0`, `$name`: one namespace with LLDB's `expression`. Our results are LLDB's
        persistent variables too, referring to our memory in the debuggee; the others
        LLDB holds (made by `expression`) are in LLDB's memory and are read from a
        copy. LLDB's wins over one of ours of the same name that is not it, as
        `expression` sees only LLDB's."""
        self.expression_vars.pop(name, None)     # a lookup again: what it finds now
        self.expression_refs.pop(name, None)
        ours = self.persistent.get(name)
        theirs = self._lldb_variable(name)
        known = theirs.IsValid() and theirs.GetError().Success()   # else "no variable $x"
        if known and (ours is None or theirs.GetLoadAddress() != ours.lldb_address):
            if theirs.GetType().IsReferenceType():   # `int &$r = x`: x itself, in place
                theirs = theirs.Dereference()
                if theirs.GetLoadAddress() != lldb.LLDB_INVALID_ADDRESS:
                    self.expression_refs[name] = theirs.GetLoadAddress()
            self.expression_vars[name] = theirs
            return Symbol(name, SymKind.PERSISTENT, self.types.convert(theirs.GetType()))
        return Symbol(name, SymKind.PERSISTENT, ours.type) if ours is not None else None

    def persistent_state(self, name: str) -> tuple:
        """Whose `$name` is (LLDB's or ours) and where, as the last lookup found it."""
        ours = self.persistent.get(name)
        return (name in self.expression_vars, self.expression_refs.get(name),
                ours.address if ours is not None else None)

    def _register(self, name: str) -> Symbol | None:
        """`$pc`, `$sp`, `$rax`...: unsigned integers of the register's size, as LLDB
        types them."""
        if self.frame is None:
            return None
        reg = self.frame.FindRegister(name[1:])
        if not reg.IsValid() or reg.GetByteSize() not in _REGISTER_INTS:
            return None
        self.registers[name] = reg.GetName()
        return Symbol(name, SymKind.REGISTER, _REGISTER_INTS[reg.GetByteSize()])

    def _local_value(self, name: str) -> lldb.SBValue | None:
        """The frame's variable `name`, asked of LLDB once per stop (the parser asks
        whether a name is a typedef before the checker looks it up)."""
        key = ("local", name)
        if key not in self._known:
            v = plain(self.frame.FindVariable(name)) if self.frame is not None else None
            self._known[key] = v if v is not None and v.IsValid() and \
                v.GetValueType() in _LOCAL_VALUE_TYPES else None
        return self._known[key]

    def _local(self, name: str) -> Symbol | None:
        v = self._local_value(name)
        if v is None:
            return None
        error = v.GetError()
        unavailable = "" if error.Success() else (error.GetCString() or "no value")
        return Symbol(name, SymKind.LOCAL, self.types.convert(v.GetType()),
                      unavailable=unavailable)

    def _global(self, name: str) -> Symbol | None:
        v = lldb.SBValue()
        if self.frame is not None:
            v = self.frame.FindValue(name, lldb.eValueTypeVariableStatic)
            if not v.IsValid():
                v = self.frame.FindValue(name, lldb.eValueTypeVariableGlobal)
        if not v.IsValid():
            v = self.target.FindFirstGlobalVariable(name)
        plain(v)
        address = v.GetLoadAddress() if v.IsValid() else lldb.LLDB_INVALID_ADDRESS
        if address == lldb.LLDB_INVALID_ADDRESS:
            found = self._thread_local(name)
            if found is not None or not v.IsValid():
                return found
        if v.GetValueType() == lldb.eValueTypeVariableGlobal:
            address = self._copy_relocated(name, address)
        if address != lldb.LLDB_INVALID_ADDRESS:
            self.addresses[name] = address
        return Symbol(name, SymKind.GLOBAL, self.types.convert(v.GetType()))

    def _thread_local(self, name: str) -> Symbol | None:
        """A `_Thread_local`/`__thread` variable: LLDB has no address for it without a
        thread (and under some stubs none at all), so the session finds its address in
        the selected thread and passes it through the argument block."""
        found = self.tls.find(name, self.module) if self.tls is not None else None
        if found is None:
            return None
        var, sbtype = found
        self.thread_locals[name] = var
        # without debug info (static glibc's errno), only a cast can say what it is
        ty = self.types.convert(sbtype) if sbtype is not None else \
            ct.no_debug_info_data(var.size)
        return Symbol(name, SymKind.THREAD_LOCAL, ty)

    def _copy_relocated(self, name: str, address: int) -> int:
        """A library's global that the executable uses lives in the executable: the
        dynamic linker copied it there (a copy relocation) and every module uses that
        copy, while debug info still gives the library's own, unused, storage."""
        exe = self.target.GetModuleAtIndex(0)
        symbol = exe.FindSymbol(name, lldb.eSymbolTypeData)
        if symbol.IsValid():
            copy = symbol.GetStartAddress().GetLoadAddress(self.target)
            if copy != lldb.LLDB_INVALID_ADDRESS:
                return copy
        return address

    def _function(self, name: str) -> Symbol | None:
        found = list(self.target.FindFunctions(name))
        # an inlined copy is found as the function it was inlined into
        contexts = [c for c in found if not (c.GetBlock().IsValid() and c.GetBlock().IsInlined())]
        if found and not contexts:
            return Symbol(name, SymKind.FUNCTION, ct.func_type(ct.ty_int, [], has_proto=False),
                          unavailable="the function is only inlined in the debuggee; there "
                                      "is no out-of-line copy to call")
        if not contexts:
            return None
        with_info = [c for c in contexts if c.GetFunction().IsValid()]
        if with_info:
            mine = [c for c in with_info if self.module and c.GetModule() == self.module]
            context = (mine or with_info)[0]
            function = context.GetFunction()
            address = function.GetStartAddress().GetLoadAddress(self.target)
            self.addresses[name] = address
            return Symbol(name, SymKind.FUNCTION, self.types.convert(function.GetType()))
        return Symbol(name, SymKind.FUNCTION, ct.CType(Kind.FUNC, 1, 1, base=None,
                                                       has_proto=False))

    def _enumerator(self, name: str) -> Symbol | None:
        modules = [self.module] if self.module else []
        modules += [m for m in self.target.module_iter() if m != self.module]
        for module in modules:
            found = self.types.enumerators(module).get(name)
            if found is not None:
                value, t = found
                return Symbol(name, SymKind.ENUM_CONST, self.types.convert(t), value=value)
        return None

    def lookup_scoped(self, scope: str, name: str) -> Symbol | None:
        """gdb's `function::name` (a static of that function) and `'file.c'::name` (a
        global or static of that source file, matched by base name or path)."""
        if scope.startswith("'"):
            path = scope.strip("'")
            found = [v for v in self.target.FindGlobalVariables(name, 64)
                     if _same_file(v.GetDeclaration().GetFileSpec(), path)]
        else:
            found = []
            for context in self.target.FindFunctions(scope):
                block = context.GetFunction().GetBlock()
                found += [v for v in _block_statics(block, self.target)
                          if v.GetName() == name]
        if not found:
            return None
        value = found[0]
        link_name = f"{scope}::{name}"
        address = value.GetLoadAddress()
        if address == lldb.LLDB_INVALID_ADDRESS:
            return None
        self.addresses[link_name] = address
        return Symbol(f"{scope}::{name}", SymKind.GLOBAL, self.types.convert(value.GetType()),
                      link_name=link_name)

    def similar_names(self, name: str) -> list[str]:
        names = list(self.persistent)
        if self.frame is not None:
            names += [v.GetName() for v in self.frame.GetVariables(True, True, True, True)
                      if v.GetName()]     # debug info LLDB cannot read has unnamed ones
        return difflib.get_close_matches(name, names, n=3) if names else []

    def macros(self) -> Mapping[str, Macro]:
        if self._macros is None:
            self._macros = frame_macros(self.frame) if self.frame is not None else {}
        return self._macros

    # -- the listing completion asks for (lldb_jit/completion.py) ---------------------
    def identifier_names(self, prefix: str) -> list[str]:
        """Names in scope beginning with `prefix`: the frame's variables, then (for a
        non-empty prefix) globals and functions of every module, and the enumerators
        and typedef names of the frame's module."""
        if prefix.startswith("$"):
            names = self._dollar_names()
        else:
            names = []
            if self.frame is not None:
                names += [v.GetName() for v in self.frame.GetVariables(True, True, True, True)]
            if prefix:
                names += [v.GetName() for v in self.target.FindGlobalVariables(
                    prefix, _MAX_COMPLETIONS, lldb.eMatchTypeStartsWith)]
                for context in self.target.FindGlobalFunctions(
                        prefix, _MAX_COMPLETIONS, lldb.eMatchTypeStartsWith):
                    function = context.GetFunction()
                    names.append(function.GetName() if function.IsValid()
                                 else context.GetSymbol().GetName())
            if prefix and self.module is not None:
                names += list(self.types.enumerators(self.module))
                names += [t.GetName() for t in self.module.GetTypes(lldb.eTypeClassTypedef)]
        return [n for n in names if n and n.startswith(prefix) and _IDENTIFIER.fullmatch(n)]

    def tag_names(self, kind: str, prefix: str) -> list[str]:
        if self.module is None:
            return []
        names = [_tag(t.GetName()) for t in self.module.GetTypes(_TAG_CLASSES[kind])]
        names += [key[1] for key in self.definitions if isinstance(key, tuple) and key[0] == kind]
        return [n for n in names if n and n.startswith(prefix)]

    def _lldb_variable(self, name: str) -> lldb.SBValue:
        """LLDB's persistent variable `name` (`$0`, `$x`), invalid if there is none.
        SBTarget.FindExpressionVariableForLanguage is LLDB 23's; before it, a frame's
        FindValue of a constant result looks in the same place (the target's
        persistent variables), so without a frame an older LLDB's are not seen."""
        find = getattr(self.target, "FindExpressionVariableForLanguage", None)
        if find is not None:
            return find(name, lldb.eLanguageTypeC)
        if self.frame is not None:
            return self.frame.FindValue(name, lldb.eValueTypeConstResult)
        return lldb.SBValue()

    def _lldb_has(self, name: str) -> bool:
        value = self._lldb_variable(name)
        return value.IsValid() and value.GetError().Success()

    def _dollar_names(self) -> list[str]:
        """Persistent variables (ours, and LLDB's numbered results: one numbering) and
        the registers that are integers."""
        names = [*self.persistent]
        n = 0
        while f"${n}" in self.persistent or self._lldb_has(f"${n}"):
            names.append(f"${n}")
            n += 1
        if self.frame is not None:
            for regset in self.frame.GetRegisters():
                names += ["$" + r.GetName() for r in regset
                          if r.GetByteSize() in _REGISTER_INTS]
            names += ["$" + alias for alias in _GENERIC_REGISTERS   # `$pc` on any CPU
                      if self.frame.FindRegister(alias).IsValid()]
        return names

    # -- types ------------------------------------------------------------------------
    def lookup_typedef(self, name: str) -> CType | None:
        key = ("typedef", name)     # (the parser asks for every identifier it reads)
        if key not in self._known:
            # a variable of the frame hides a typedef of its name (one name space), and
            # is not searched for among every module's types
            self._known[key] = None if self._local_value(name) is not None else \
                self.types.lookup_typedef(name, self.module)
        return self._known[key]

    def lookup_tag(self, kind: str, name: str) -> CType | None:
        defined = self.definitions.get((kind, name))    # by `jit-eval --top-level`
        return defined or self.types.lookup_tag(kind, name, self.module)

    # -- the linker's resolver ------------------------------------------------------
    def resolve(self, name: str) -> int | None:
        """The load address of an undefined symbol of the object: first what debug
        info said while type checking, then the symbol tables (the frame's module
        first; code and data symbols, external and local)."""
        if name in self.addresses:
            return self.addresses[name]
        address = self._symbol_address(name)
        if address is None and self._load_libraries():
            address = self._symbol_address(name)
        return address

    def _symbol_address(self, name: str) -> int | None:
        """The symbol tables' answer (the frame's module first, then in LLDB's module
        order, as the dynamic linker searches). A GNU indirect function's address is
        its resolver's: that goes to `indirect` and the answer is None."""
        found = []
        for context in self.target.FindSymbols(name):
            symbol = context.GetSymbol()
            address = symbol.GetStartAddress().GetLoadAddress(self.target)
            if address == lldb.LLDB_INVALID_ADDRESS or symbol.GetType() == lldb.eSymbolTypeUndefined:
                continue
            mine = self.module is not None and context.GetModule() == self.module
            found.append((not mine, address, symbol.GetType() == lldb.eSymbolTypeResolver))
        if not found:
            return None
        _, address, is_resolver = min(found, key=lambda f: f[0])
        if is_resolver:
            self.indirect[name] = address
            return None
        return address


def frame_macros(frame: lldb.SBFrame) -> Mapping[str, Macro]:
    """The `#define`s in scope at the frame's line, from the DWARF of its module's
    debug file (a `-g3` build); empty without them."""
    entry = frame.GetLineEntry()
    unit = frame.GetCompileUnit()
    if not entry.IsValid() or not unit.IsValid():
        return {}
    module = frame.GetModule()
    path = module.GetSymbolFileSpec().fullpath or module.GetFileSpec().fullpath
    if not path:
        return {}
    address = entry.GetStartAddress().GetFileAddress()
    return macros_at(path, None if address == lldb.LLDB_INVALID_ADDRESS else address,
                     unit.GetFileSpec().fullpath or "", entry.GetFileSpec().fullpath or "",
                     entry.GetLine())


# The dynamic linker's list of loaded objects (glibc's <link.h>, LP64): DT_DEBUG in the
# executable's dynamic section points to r_debug, whose r_map heads the link_map list.
DT_NULL, DT_DEBUG = 0, 21
R_MAP = 8                                          # offsetof(struct r_debug, r_map)
L_ADDR, L_NAME, L_NEXT = 0, 8, 24                  # offsets in struct link_map
MAX_LIBRARIES = 4096


def load_shared_libraries(target: lldb.SBTarget) -> bool:
    """Add to `target` the shared libraries the debuggee's dynamic linker has loaded
    and LLDB has not (under GNU gdbserver LLDB's dynamic loader plugin misses them all),
    at the load bias the dynamic linker gave them. True if any was added."""
    # by real path: the link map says /lib64/ld-linux-x86-64.so.2 where LLDB has
    # /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 (adding it twice makes every
    # symbol of ld.so ambiguous to LLDB's own `expression`)
    known = {os.path.realpath(m.GetFileSpec().fullpath) for m in target.module_iter()}
    added = False
    for _, bias, name in link_maps(target):
        if name and bias is not None and os.path.isfile(name) \
                and os.path.realpath(name) not in known:
            module = target.AddModule(name, None, None)
            if module.IsValid() and not target.SetModuleLoadAddress(module, bias).Fail():
                known.add(os.path.realpath(name))
                added = True
    return added


def link_maps(target: lldb.SBTarget):
    """(link_map address, load bias, file name) of each object the dynamic linker has
    loaded, in its order; nothing for a static program."""
    memory = _Words(target.GetProcess())
    executable = target.FindModule(target.GetExecutable())
    dynamic = executable.FindSection(".dynamic").GetLoadAddress(target)
    if dynamic == lldb.LLDB_INVALID_ADDRESS:
        return
    r_debug = 0
    for entry in range(dynamic, dynamic + 16 * 512, 16):
        tag = memory.word(entry)
        if tag in (None, DT_NULL) or tag == DT_DEBUG:
            r_debug = memory.word(entry + 8) if tag == DT_DEBUG else 0
            break
    link_map = memory.word(r_debug + R_MAP) if r_debug else None
    for _ in range(MAX_LIBRARIES):
        if not link_map:
            break
        yield (link_map, memory.word(link_map + L_ADDR),
               memory.string(memory.word(link_map + L_NAME)))
        link_map = memory.word(link_map + L_NEXT)


class _Words:
    """Pointer-sized reads of debuggee memory; None where it cannot be read."""

    def __init__(self, process: lldb.SBProcess):
        self.process = process
        self.size = process.GetAddressByteSize()
        self.order = "little" if process.GetByteOrder() == lldb.eByteOrderLittle else "big"

    def word(self, address: int | None) -> int | None:
        if not address:
            return None
        data = self.process.ReadMemory(address, self.size, lldb.SBError())
        return int.from_bytes(data, self.order) if data and len(data) == self.size else None

    def string(self, address: int | None) -> str:
        if not address:
            return ""
        text = self.process.ReadCStringFromMemory(address, 4096, lldb.SBError())
        return text or ""


# -- thread-local variables ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ThreadLocal:
    """A thread-local variable: its module and its offset in the module's TLS block."""
    name: str
    module: lldb.SBModule
    offset: int
    size: int


class ThreadLocalStorage:
    """Finds thread-local variables and their address in a thread (the arithmetic is
    lldb_jit/tls.py's). What does not depend on the thread is kept per module: the
    executable's PT_TLS segment, a library's module id; the thread pointer and the DTV
    are read anew for each evaluation."""

    def __init__(self, target: lldb.SBTarget, cpu):
        self.target = target
        self.abi: TlsAbi = cpu.tls
        self.register_names = (self.abi.thread_pointer,
                               *cpu.abi.REGISTER_ALIASES.get(self.abi.thread_pointer, ()))
        self.memory = _Words(target.GetProcess())
        self._blocks: dict[tuple, ModuleBlock] = {}   # (file, load address) -> its block
        self._dtv: DtvLayout | None = None
        self._untyped: dict[str, dict[str, int]] = {}   # symbol file -> location-less vars

    # -- finding the variable ---------------------------------------------------------
    def find(self, name: str,
             first: lldb.SBModule | None) -> tuple[ThreadLocal, lldb.SBType | None] | None:
        """The thread-local variable `name` (the frame's module first) and its type
        (None without debug info); None if no module has a thread-local symbol of that
        name."""
        symbols: dict[str, set[tuple[int, int]]] = {}   # module -> {(offset, size)}
        modules: dict[str, lldb.SBModule] = {}
        for context in self.target.FindSymbols(name):
            symbol = context.GetSymbol()
            if _in_tls_segment(symbol.GetStartAddress().GetSection()):
                key = context.GetModule().GetFileSpec().fullpath
                modules[key] = context.GetModule()
                # a TLS symbol's value is its offset in the module's block
                symbols.setdefault(key, set()).add((symbol.GetValue(), symbol.GetSize()))
        if not modules:
            return None
        mine = first.GetFileSpec().fullpath if first is not None else None
        key = mine if mine in modules else next(iter(modules))
        module = modules[key]
        if len(symbols[key]) > 1:
            raise TlsError(f"'{name}' names {len(symbols[key])} thread-local variables in "
                           f"{module.GetFileSpec().basename}; which one is meant cannot be told")
        (offset, size), = symbols[key]
        sbtype = self._type(module, name)
        if sbtype is not None and size and sbtype.GetByteSize() != size:
            raise TlsError(f"the debug info of '{name}' ({sbtype.GetByteSize()} bytes) does "
                           f"not match its symbol ({size} bytes)")
        return ThreadLocal(name, module, offset, size), sbtype

    def _type(self, module: lldb.SBModule, name: str) -> lldb.SBType | None:
        value = module.FindFirstGlobalVariable(self.target, name)
        if value.IsValid():
            return value.GetType()
        # gcc 12 gives AArch64 thread-local variables no DW_AT_location, and LLDB drops
        # such variables: their type comes from the DWARF itself
        path = (module.GetSymbolFileSpec() if module.GetSymbolFileSpec().IsValid()
                else module.GetFileSpec()).fullpath
        if path not in self._untyped:
            self._untyped[path] = location_less_variables(path) if path else {}
        die = self._untyped[path].get(name)
        sbtype = module.GetTypeByID(die) if die is not None else None
        return sbtype if sbtype is not None and sbtype.IsValid() else None

    # -- its address in a thread --------------------------------------------------------
    def address(self, thread: lldb.SBThread, var: ThreadLocal) -> int:
        """Where `thread`'s copy of `var` is."""
        tp = self._thread_pointer(thread)
        block = self._block_of(var.module)
        dtv = self._dtv_layout() if block.segment is None else None
        return block.in_thread(self.abi, tp, self.memory.word, dtv) + var.offset

    def _thread_pointer(self, thread: lldb.SBThread) -> int:
        frame = thread.GetFrameAtIndex(0)
        for name in self.register_names:
            reg = frame.FindRegister(name)
            if reg.IsValid() and reg.GetValue() is not None:
                return reg.GetValueAsUnsigned()
        raise TlsError(f"cannot read the thread pointer (register {self.abi.thread_pointer}) "
                       f"of this thread: the debugger or stub does not provide it, so "
                       f"thread-local variables cannot be found")

    def _block_of(self, module: lldb.SBModule) -> ModuleBlock:
        header = module.GetObjectFileHeaderAddress()
        key = (module.GetFileSpec().fullpath, header.GetLoadAddress(self.target))
        block = self._blocks.get(key)
        if block is None:
            block = self._blocks[key] = self._find_block(module, header)
        return block

    def _find_block(self, module: lldb.SBModule, header: lldb.SBAddress) -> ModuleBlock:
        name = module.GetFileSpec().basename
        segment = next((s for s in module.section_iter() if s.GetName().startswith("PT_TLS")),
                       None)
        if segment is None:
            raise TlsError(f"{name} has no TLS segment")
        if module == self.target.FindModule(self.target.GetExecutable()):
            return ModuleBlock(name, (segment.GetByteSize(), segment.GetAlignment(),
                                      segment.GetFileAddress()))
        bias = header.GetLoadAddress(self.target) - header.GetFileAddress()
        modid = self._descriptor("_thread_db_link_map_l_tls_modid")
        for link_map, l_addr, _ in link_maps(self.target):
            if l_addr == bias:
                module_id = self.memory.word(link_map + modid.offset)
                if module_id:
                    return ModuleBlock(name, module_id=module_id)
        raise TlsError(f"the dynamic linker has no TLS module id for {name}")

    def _dtv_layout(self) -> DtvLayout:
        if self._dtv is None:
            slots = self._descriptor("_thread_db_dtv_dtv")
            self._dtv = DtvLayout(slots.bits // 8,
                                  self._descriptor("_thread_db_dtv_t_pointer_val").offset,
                                  self._descriptor("_thread_db_dtv_t_counter").offset)
        return self._dtv

    def _descriptor(self, name: str) -> Descriptor:
        """One of glibc's descriptors for libthread_db (in libc.so.6 since glibc 2.34,
        libpthread.so.0 before)."""
        for context in self.target.FindSymbols(name):
            address = context.GetSymbol().GetStartAddress().GetLoadAddress(self.target)
            raw = self.target.GetProcess().ReadMemory(address, Descriptor.SIZE, lldb.SBError()) \
                if address != lldb.LLDB_INVALID_ADDRESS else None
            if raw and len(raw) == Descriptor.SIZE:
                return Descriptor.unpack(raw, self.memory.order)
        raise TlsError(f"cannot find glibc's thread debugging data ({name}): the "
                       f"thread-local storage of shared libraries cannot be located")


def _in_tls_segment(section: lldb.SBSection) -> bool:
    """LLDB puts .tdata and .tbss under a "PT_TLS[0]" segment section."""
    while section.IsValid():
        if section.GetName().startswith("PT_TLS"):
            return True
        section = section.GetParent()
    return False

