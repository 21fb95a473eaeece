"""jit-eval in an editor's debug console: a small DAP client (tests/e2e/dapclient.py)
drives each lldb-dap installed (Debian's lldb-N ships one) as VS Code does, with the
plugin loaded by the adapter's initCommands (README, "Editors: lldb-dap"). The
`evaluate` request in the `repl` context runs jit-eval as a command: its result and
its errors are the response's text; its `$N` result, evaluated in turn, is a variable
the editor can expand."""
from __future__ import annotations

import pytest
from dapclient import DapClient
from lldbs import installed, plugin_dir
from lldbrun import HERE, build

DAPS = [x for x in installed() if x.dap and "lldb-dap" in x.dap]


@pytest.fixture(scope="module")
def trouble(tmp_path_factory):
    return build(HERE / "programs" / "trouble.c", tmp_path_factory.mktemp("trouble"),
                 "-pthread")


def _line(source, text: str) -> int:
    return next(i for i, line in enumerate(source.read_text().splitlines(), 1)
                if text in line)


@pytest.mark.skipif(not DAPS, reason="no lldb-dap installed (make test-lldbs installs one)")
@pytest.mark.parametrize("lldb", DAPS, ids=[x.name for x in DAPS])
def test_debug_console(lldb, trouble, tmp_path):
    site = plugin_dir(tmp_path)
    source = HERE / "programs" / "trouble.c"
    client = DapClient([lldb.dap], env=lldb.environ(), cwd=str(trouble.parent))
    try:
        client.request("initialize", adapterID="lldb-dap", clientID="lldb-jit-tests",
                       linesStartAt1=True, columnsStartAt1=True, pathFormat="path")
        client.send("launch", program=str(trouble),
                    initCommands=[f"command script import {site}/lldb_jit"])
        client.wait_event("initialized")
        client.request("setBreakpoints", source={"path": str(source)},
                       breakpoints=[{"line": _line(source, "break here")}])
        client.request("configurationDone")
        thread = client.wait_event("stopped")["body"]["threadId"]
        frame = client.request("stackTrace", threadId=thread, levels=1)["stackFrames"][0]

        def evaluate(text: str) -> dict:
            body = client.request("evaluate", expression=text, frameId=frame["id"],
                                  context="repl", timeout=60)
            echo = f"(lldb) {text}\n"     # lldb-dap 19 echoes the command first
            if body["result"].startswith(echo):
                body["result"] = body["result"][len(echo):]
            return body

        assert evaluate("jit-eval local * 2 + data[3]")["result"] == "(int) $0 = 14\n"
        assert evaluate("jit-eval sum_data()")["result"] == "(int) $1 = 36\n"
        error = evaluate("jit-eval nosuch + 1")["result"]
        assert error.splitlines() == ["nosuch + 1", "^~~~~~",
                                      "error: use of undeclared identifier 'nosuch'"]
        crash = evaluate("jit-eval crash_via(nowhere)")["result"]
        assert "SIGSEGV" in crash and "deep_crash at trouble.c:16" in crash
        assert "timed out after 1 s" in evaluate("jit-eval -t 1 -- spin()")["result"]
        array = evaluate("jit-eval data")
        assert array["result"].startswith("(int[8]) $2 = ([0] = 1, [1] = 2")
        # the result is LLDB's `$2`: evaluated, a variable with children
        kept = evaluate("$2")
        assert kept["variablesReference"] > 0
        children = client.request("variables",
                                  variablesReference=kept["variablesReference"])
        assert [v["value"] for v in children["variables"]] == [str(i) for i in range(1, 9)]
        # the evaluations neither moved the editor's view nor lost the process
        assert not [e for e in client.events if e.get("event") in ("stopped", "continued",
                                                                  "exited")]
        assert evaluate("jit-eval local + 1")["result"] == "(int) $3 = 6\n"
        client.request("continue", threadId=thread)
        assert client.wait_event("exited")["body"]["exitCode"] == 0
    finally:
        client.close()
