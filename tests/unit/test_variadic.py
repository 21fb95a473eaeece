"""Variadic calls follow the ABI: the default argument promotions, and the call is
emitted with a variadic LLVM function type, so that on x86-64 LLVM sets %al to the
number of vector registers used. Functions without debug info (called under a cast)
and functions declared without a prototype are called as `ret f(...)`."""
import pytest

from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import func_type, ty_int
from lldb_jit.frontend.provider import Symbol, SymKind
from lldb_jit.irgen import gen_module

from conftest import HOST


def no_debug_info(name: str, link_name: str) -> Symbol:
    fty = func_type(ty_int, [], has_proto=False)
    fty.base = None  # what the provider gives for a symbol without debug info
    return Symbol(name, SymKind.FUNCTION, fty, link_name=link_name)


@pytest.fixture
def libc_world(world):
    world.provider.symbols["nd_snprintf"] = no_debug_info("nd_snprintf", "snprintf")
    world.provider.symbols["kr_snprintf"] = Symbol(
        "kr_snprintf", SymKind.FUNCTION, func_type(ty_int, [], has_proto=False),
        link_name="snprintf")
    return world


@pytest.mark.parametrize("callee", ["nd_snprintf", "kr_snprintf", "snprintf"])
def test_doubles_reach_printf_through_vector_registers(callee, libc_world, runner):
    cast = "(int)" if callee == "nd_snprintf" else ""
    src = (f'char buf[48]; {cast}{callee}(buf, 48, "%d|%.2f|%.3f|%c|%s|%hd|%ld", x, f, d, '
           'c, str, s, l); buf')
    value, _ = runner.run(src, libc_world)
    assert value.split(b"\0")[0] == b"7|1.25|2.500|\xfb|hello|-300|-1234567890123"


def test_count_returned_through_the_cast(libc_world, runner):
    value, program = runner.run('(long)nd_snprintf(0, 0, "%f", 1.5f)', libc_world)
    assert value == len("1.500000")


@pytest.mark.parametrize("callee,fixed", [("nd_snprintf", ""), ("kr_snprintf", ""),
                                          ("snprintf", "ptr, i64, ptr, ")])
def test_call_is_emitted_variadic_with_promoted_arguments(callee, fixed, libc_world):
    cast = "(int)" if callee == "nd_snprintf" else ""
    program = analyze(f'{cast}{callee}(str, 8, "%f %d", f, c)', libc_world.provider)
    text = str(gen_module(program, HOST))
    assert f"call i32 ({fixed}...) @\"snprintf\"" in text
    assert "double %\"fconv\"" in text and "i32 %\"ext" in text   # float, char promoted
