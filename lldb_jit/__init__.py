"""lldb-jit: evaluate C expressions in LLDB by compiling them with LLVM and running the
machine code inside the stopped debuggee.

    (lldb) command script import lldb_jit
    (lldb) jit-eval counter + local * 2
    (int) $0 = 55
"""


def __lldb_init_module(debugger, internal_dict):
    from . import command  # noqa: F401  (LLDB finds the class as lldb_jit.command...)
    # Tab after `jit-eval`: LLDB calls no Python to complete a raw command, only one of
    # its built-in completers (README, "Completion"); jit-complete lists ours.
    debugger.HandleCommand("command script add -o -C variable-path "
                           "-c lldb_jit.command.JitEvalCommand jit-eval")
    debugger.HandleCommand(
        "command script add -o -c lldb_jit.command.JitCompleteCommand jit-complete")
