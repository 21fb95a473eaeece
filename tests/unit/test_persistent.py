"""Persistent `$name` variables (the compiler's half of the contract; the session
allocates the storage): a top-level `T $name = init;` creates no local but a new
PERSISTENT symbol, listed in Program.new_persistents and reached through its
argument-block slot like `$0`; registers (`$pc`...) are frame slots like locals."""
import pytest

from lldb_jit.errors import CompileError
from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import pointer_to, ty_ulong, type_name
from lldb_jit.frontend.provider import SymKind, Symbol

from conftest import STRUCT_S


def test_declaration_makes_a_new_persistent_symbol(provider):
    program = analyze("int $count = x * 2;", provider)
    (sym,) = program.new_persistents
    assert (sym.name, sym.kind, type_name(sym.type)) == ("$count", SymKind.PERSISTENT, "int")
    assert program.frame_refs == [sym, provider.symbols["x"]]
    assert program.result_type is None


def test_initializer_is_stored_in_the_slot_and_kept(runner, world):
    assert runner.run("int $count = x * 2;", world)[0] is None
    assert runner.run("$count", world)[0] == 14
    assert runner.run("$count += 5; $count", world)[0] == 19


@pytest.mark.parametrize("decl,use,expected", [
    ("int $a[] = {1, 2, 3};", "$a[2] + sizeof $a", 3 + 12),
    ("struct S *$p = ps;", "$p->g", 99),
    ("struct S $s = *ps;", "$s.g + $s.f2", 92),
    ("struct S $s = {.g = 4};", "$s.g + $s.a", 4),
    ("double $d;", "$d", 0.0),                 # zeroed, not the storage's garbage
    ('char $name[8] = "ab";', "$name[1] + $name[7]", ord("b")),
    ("unsigned char $u = -1;", "$u", 255),
])
def test_declare_then_use(decl, use, expected, runner, world):
    runner.run(decl, world)
    assert runner.run(use, world)[0] == expected


def test_declared_and_used_in_one_expression(runner, world):
    value, program = runner.run("long $t = 5; for (int i = 0; i < 3; i++) $t += i; $t",
                                world)
    assert value == 8 and [s.name for s in program.new_persistents] == ["$t"]
    assert runner.run("$t", world)[0] == 8


def test_unsized_array_gets_its_size(provider):
    (sym,) = analyze("int $a[] = {[4] = 1};", provider).new_persistents
    assert type_name(sym.type) == "int[5]"


def test_assigning_results_and_persistents(runner, world):
    assert runner.run("$0 = 5", world)[0] == 5
    assert runner.run("$0++; $0 *= 3; $0", world)[0] == 18
    runner.run("struct S *$p = ps;", world)
    runner.run("$p->g = 7; $p->a++", world)
    assert runner.run("st.g * 100 + st.a", world)[0] == 711


@pytest.mark.parametrize("src,offset,length,message", [
    ("int $0 = 1;", 4, 6, "redefinition of '$0'"),
    ("int $7 = 1;", 4, 6, "'$7': names $0, $1... are reserved for results"),
    ("int $n = 1; int $n = 2;", 16, 6, "redefinition of '$n'"),
    ("{ int $n = 1; }", 6, 6, "persistent variable '$n' must be declared at the top level"),
    ("int $n = st;", 9, 2, "initializing 'int' with an expression of incompatible type "
                           "'struct S'"),
])
def test_persistent_errors(src, offset, length, message, provider):
    with pytest.raises(CompileError) as e:
        analyze(src, provider)
    assert (e.value.offset, e.value.length, e.value.message) == (offset, length, message)


# --- registers: REGISTER symbols are frame slots like LOCAL ones ---------------------

@pytest.fixture
def reg_world(world):
    world.add(world.provider.symbols, "$rax", ty_ulong, SymKind.REGISTER,
              (41).to_bytes(8, "little"))
    world.add(world.provider.symbols, "$sp", pointer_to(STRUCT_S), SymKind.REGISTER,
              world.addr["st"].to_bytes(8, "little"))
    return world


def test_registers_read_and_assign_like_locals(runner, reg_world):
    program = analyze("$rax + x", reg_world.provider)
    assert [s.kind for s in program.frame_refs] == [SymKind.REGISTER, SymKind.LOCAL]
    assert runner.run("$rax++; $rax += 10; $rax", reg_world)[0] == 52
    assert runner.run("$rax", reg_world)[0] == 52
    assert runner.run("$sp->g", reg_world)[0] == 99
    assert runner.run("$sp = $sp + 1; (long)$sp - (long)&st", reg_world)[0] == 16
