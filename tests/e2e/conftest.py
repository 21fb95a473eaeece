import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lldbrun import HERE, build  # noqa: E402


@pytest.fixture(scope="session")
def values_exe(tmp_path_factory) -> Path:
    return build(HERE / "programs" / "values.c", tmp_path_factory.mktemp("values"))


@pytest.fixture(scope="session")
def trouble_exe(tmp_path_factory) -> Path:
    return build(HERE / "programs" / "trouble.c", tmp_path_factory.mktemp("trouble"), "-pthread")


@pytest.fixture(scope="session")
def optimized_exe(tmp_path_factory) -> Path:
    return build(HERE / "programs" / "optimized.c", tmp_path_factory.mktemp("optimized"), "-O2")


@pytest.fixture(scope="session", autouse=True)
def _debugserver():
    """Outside the lldb launcher, LLDB needs to be told where lldb-server is."""
    import lldb_for_pwndbg
    server = Path(lldb_for_pwndbg.__file__).parent / "_vendor" / "bin" / "lldb-server"
    os.environ.setdefault("LLDB_DEBUGSERVER_PATH", str(server))
