"""A minimal Debug Adapter Protocol client for the tests: JSON messages over the
adapter's stdin and stdout (`Content-Length: N` then N bytes), requests answered in
order, events kept until asked for. Enough to drive lldb-dap as an editor does:
initialize, launch, setBreakpoints, configurationDone, wait for `stopped`, evaluate."""
from __future__ import annotations

import json
import queue
import subprocess
import threading
import time


class DapError(Exception):
    pass


class DapClient:
    def __init__(self, argv: list[str], env: dict | None = None, cwd: str | None = None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self.seq = 0
        self.messages: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:                     # headers up to an empty line
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value or -1)
            body = stream.read(length) if length and length > 0 else b""
            if len(body) != length:       # cut short: the adapter is gone
                self.messages.put(None)
                return
            self.messages.put(json.loads(body))

    def _next(self, deadline: float) -> dict:
        try:
            message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise DapError("the adapter said nothing in time") from None
        if message is None:
            raise DapError("the adapter exited")
        return message

    def send(self, command: str, **arguments) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command,
                           "arguments": arguments}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return self.seq

    def request(self, command: str, timeout: float = 30, **arguments) -> dict:
        """The response to `command` (events that come first are kept); raises
        DapError when the adapter says it failed."""
        seq = self.send(command, **arguments)
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("type") == "event":
                self.events.append(message)
            elif message.get("type") == "response" and message.get("request_seq") == seq:
                if not message.get("success"):
                    raise DapError(f"{command}: {message.get('message')}: "
                                   f"{message.get('body')}")
                return message.get("body") or {}

    def wait_event(self, name: str, timeout: float = 30) -> dict:
        """The first `name` event not waited for yet."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("event") == name:
                    return self.events.pop(i)
            message = self._next(deadline)
            if message.get("type") == "event":
                self.events.append(message)

    def output(self) -> str:
        """The text of the `output` events received so far (taken)."""
        text = "".join(e["body"].get("output", "") for e in self.events
                       if e.get("event") == "output")
        self.events = [e for e in self.events if e.get("event") != "output"]
        return text

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.send("disconnect", terminateDebuggee=True)
                self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
