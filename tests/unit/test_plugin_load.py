"""Loading the plugin registers its commands and nothing more: the pipeline (front end,
LLVM) is imported in the background or at the first evaluation, so
`command script import lldb_jit` stays quick (bench/latency.py measures it)."""
import subprocess
import sys


def test_the_command_module_imports_no_pipeline():
    code = ("import sys, lldb_jit.command; "
            "print(sorted(m for m in sys.modules if m.startswith(('lldb_jit.', 'llvmlite'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = eval(out)
    assert not [m for m in loaded if m.startswith(("lldb_jit.frontend", "lldb_jit.session",
                                                   "lldb_jit.irgen", "llvmlite"))], loaded
