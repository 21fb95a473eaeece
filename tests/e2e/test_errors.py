"""Bad input in a live session: each is an `error:` with the expression echoed, a caret
under the offending span and the C rule that was broken, and the debuggee is untouched.
(The same checks, at finer grain, run without LLDB in tests/unit/test_check.py.)"""
from __future__ import annotations

import pytest

from lldbrun import parse_result
from test_robustness import run_between_state

STATE = ["register read --all", "frame variable", "thread list",
         "memory read -s4 -fx -c6 &primes", "memory read -s4 -fx -c4 &counter"]

# (input, caret column, caret width, message)
ERRORS = [
    ('counter +* 2', 9, 3, "indirection requires pointer operand ('int' invalid)"),
    ('no_such_thing + 1', 0, 13, "use of undeclared identifier 'no_such_thing'"),
    ('countr + 1', 0, 6, "use of undeclared identifier 'countr'; did you mean 'counter'?"),
    ('origin.nope', 7, 4, "no member named 'nope' in 'struct point'"),
    ('origin.xx', 7, 2, "no member named 'xx' in 'struct point'; did you mean 'x'?"),
    ('head.value', 0, 4, "member reference type 'struct node *' is a pointer; did you mean to use '->'?"),
    ('counter.x', 0, 7, "member reference base type 'int' is not a structure or union"),
    ('*counter', 0, 8, "indirection requires pointer operand ('int' invalid)"),
    ('*scale', 0, 6, "indirection requires pointer operand ('double' invalid)"),
    ('add(1)', 0, 6, 'too few arguments to function call, expected 2, have 1'),
    ('add(1, 2, 3)', 0, 12, 'too many arguments to function call, expected 2, have 3'),
    ('counter(1)', 0, 7, "called object type 'int' is not a function or function pointer"),
    ('primes = 0', 0, 6, "array type 'int[6]' is not assignable"),
    ('name = "x"', 0, 4, "array type 'char[16]' is not assignable"),
    ('3 = counter', 0, 1, 'expression is not assignable'),
    ('counter++ = 1', 0, 9, 'expression is not assignable'),
    ('&3', 0, 2, "cannot take the address of an rvalue of type 'int'"),
    ('&(counter + 1)', 0, 14, "cannot take the address of an rvalue of type 'int'"),
    ('sizeof(struct nope)', 7, 11, "unknown type 'struct nope'"),
    ('(struct nope)counter', 1, 11, "unknown type 'struct nope'"),
    ('origin + 1', 7, 1, "invalid operands to binary expression ('struct point' and 'int')"),
    ('origin * origin', 7, 1, "invalid operands to binary expression ('struct point' and 'struct point')"),
    ('head - origin', 5, 1, "invalid operands to binary expression ('struct node *' and 'struct point')"),
    ('scale % 2', 6, 1, "invalid operands to binary expression ('double' and 'int')"),
    ('scale << 1', 6, 2, "invalid operands to binary expression ('double' and 'int')"),
    ('~scale', 0, 6, "invalid argument type 'double' to unary expression"),
    ('primes[scale]', 0, 13, 'subscripted value is not an array or pointer'),
    ('counter[1]', 0, 10, 'subscripted value is not an array or pointer'),
    ('greeting->x', 0, 8, "member reference type 'const char *' is not a pointer to a structure or union"),
    ('head->nope', 6, 4, "no member named 'nope' in 'struct node'"),
    ('(nope *)0', 7, 1, 'expected an expression'),
    ('int x = ; x', 8, 1, 'expected an expression'),
    ('{ int y = 1;', 12, 1, "expected '}' at end of input"),
    ('if (counter) {', 14, 1, "expected '}' at end of input"),
    ('for (;;', 7, 1, 'expected an expression at end of input'),
    ('1 +', 3, 1, 'expected an expression at end of input'),
    ('(1 + 2', 6, 1, "expected ')' at end of input"),
    ('add(1, 2', 8, 1, "expected ')' at end of input"),
    ('"open', 0, 5, 'unterminated string literal'),
    ("'ab", 0, 3, 'unterminated character constant'),
    ('0x', 0, 2, "invalid suffix 'x' on integer constant"),
    ('1e', 0, 2, "invalid number '1e'"),
    ('$nosuch + 1', 0, 7, "use of undeclared identifier '$nosuch'"),
    ('int $a = 1; int $a = 2;', 16, 6, "redefinition of '$a'"),
    ('break;', 0, 6, "'break' statement not in loop statement"),
    ('strlen(greeting)', 0, 6, "function 'strlen' has unknown return type; cast the call to its declared return type"),
    ('int int x;', 4, 3, 'cannot combine with previous type specifier'),
    ('counter ? 1 : origin', 0, 20, "incompatible operand types ('int' and 'struct point')"),
    ('struct point p = {1, 2, 3}; p.x', 24, 1, 'excess elements in struct initializer'),
]


@pytest.fixture(scope="module")
def outputs(values_exe):
    outs = run_between_state(values_exe, [f"jit-eval {e}" for e, *_ in ERRORS]
                             + ["jit-eval counter + local"], STATE)
    assert parse_result(outs[-1]) == ("int", "51")      # and the session goes on
    return dict(zip([e for e, *_ in ERRORS], outs))


@pytest.mark.parametrize("expr, column, width, message", ERRORS)
def test_error_with_caret(outputs, expr, column, width, message):
    lines = outputs[expr].splitlines()
    assert lines == [expr, " " * column + "^" + "~" * (width - 1), "error: " + message]


def test_at_least_40_error_cases():
    assert len(ERRORS) >= 40
