"""The LLDBs installed here, for the tests that run the same session under each: the
wheel's (always there), and Debian's lldb-N, either installed as packages
(/usr/lib/llvm-N) or unpacked under build/lldbs/N by `make lldbs` (Debian's
python3-lldb-N packages conflict with each other, so only one can be installed).

Each LLDB loads the plugin as the README says for a system LLDB: from a directory
holding lldb_jit, llvmlite and elftools (a venv's site-packages there; symbolic links
to this checkout's lldb_jit and to the test environment's packages here), by
`command script import DIR/lldb_jit`, which puts DIR on LLDB's Python path."""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lldbrun import LLDB, ROOT, split_transcript

UNPACKED = ROOT / "build" / "lldbs"
PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass
class Lldb:
    name: str                  # "wheel", "debian-22"
    version: str               # major version as LLDB reports it ("23", "22")
    lldb: str                  # the lldb program
    dap: str | None            # its lldb-dap (lldb-vscode before LLDB 18), if any
    env: dict = field(default_factory=dict)   # set (a value) or removed (None)
    symtab: bool = True        # its library keeps its symbol table (stophandling.py)

    def environ(self) -> dict:
        env = dict(os.environ)
        for name, value in self.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env


def installed() -> list[Lldb]:
    found = [Lldb("wheel", "23", LLDB, None)]
    prefixes = sorted(glob.glob("/usr/lib/llvm-*/bin/lldb")) \
        + sorted(glob.glob(str(UNPACKED / "*" / "usr/lib/llvm-*/bin/lldb")))
    seen = set()
    for program in prefixes:
        prefix = Path(program).parent.parent
        version = prefix.name.removeprefix("llvm-")
        bindings = prefix / "lib" / PYTHON / "site-packages"
        if version in seen or not (bindings / "lldb" / "__init__.py").exists():
            continue        # no Python bindings for our Python: the plugin cannot load
        seen.add(version)
        unpacked = not str(prefix).startswith("/usr/")
        env = {"PYTHONPATH": None, "LLDB_DEBUGSERVER_PATH": None}
        if unpacked:
            # its built-in paths name /usr/lib/llvm-N, where it is not installed
            env = {"PYTHONPATH": str(bindings),
                   "LLDB_DEBUGSERVER_PATH": str(prefix / "bin" / "lldb-server")}
        dap = next((str(prefix / "bin" / n) for n in ("lldb-dap", "lldb-vscode")
                    if (prefix / "bin" / n).exists()), None)
        library = Path(f"/usr/lib/{_multiarch()}/liblldb-{version}.so.1")
        found.append(Lldb(f"debian-{version}", version, str(program), dap, env,
                          _has_symtab(library)))
    return found


def _multiarch() -> str:
    return subprocess.run(["gcc", "-print-multiarch"], capture_output=True,
                          text=True).stdout.strip() or "x86_64-linux-gnu"


def _has_symtab(library: Path) -> bool:
    from elftools.elf.elffile import ELFFile
    if not library.exists():
        return False
    with open(library, "rb") as f:
        return ELFFile(f).get_section_by_name(".symtab") is not None


def plugin_dir(out: Path) -> Path:
    """A directory like a venv's site-packages holding lldb_jit and what it imports."""
    import elftools
    import llvmlite
    site = out / "site-packages"
    site.mkdir(exist_ok=True)
    for name, path in (("lldb_jit", ROOT / "lldb_jit"),
                       ("llvmlite", Path(llvmlite.__file__).parent),
                       ("elftools", Path(elftools.__file__).parent)):
        link = site / name
        if not link.exists():
            link.symlink_to(path)
    return site


def batch(lldb: Lldb, site: Path, exe: Path, commands: list[str],
          setup: list[str] = (), timeout: float = 120) -> list[tuple[str, str]]:
    """lldbrun.batch under `lldb`: `commands` (after `setup`) in one `lldb -b`, the
    plugin imported from `site`; (command, output) of each of `commands`."""
    script = [f"command script import {site}/lldb_jit",
              "script print(lldb.SBDebugger.GetVersionString().splitlines()[0])",
              *setup, *commands]
    cmdfile = exe.parent / f"{exe.name}.{lldb.name}.{os.getpid()}.lldb"
    cmdfile.write_text("\n".join(script) + "\n")
    proc = subprocess.run([lldb.lldb, "--no-lldbinit", "--no-use-colors", "-b",
                           "-O", "settings set interpreter.stop-command-source-on-error false",
                           "-s", str(cmdfile), str(exe)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          cwd=exe.parent, env=lldb.environ())
    blocks = split_transcript(proc.stdout, script)
    version = blocks[1][1]
    assert re.search(rf"lldb version {lldb.version}\.", version), (lldb.name, proc.stdout)
    assert "Traceback" not in proc.stdout, proc.stdout
    return blocks[len(script) - len(commands):]
