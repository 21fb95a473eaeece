"""What the debugger can learn about the stub at the other end of LLDB's connection
from this host's /proc, where the SB API tells nothing: whether it is qemu-user's
gdb stub (which cannot be interrupted through the connection) and its process id."""
from __future__ import annotations

import os
import re

_TCP_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
_ESTABLISHED = "01"


def qemu_user_peer() -> int | None:
    """The pid of a qemu-user process (`qemu-aarch64`, `qemu-riscv64`...) at the other
    end of one of this process's TCP connections, or None."""
    sockets = _tcp_sockets()
    mine = [s for inode in _own_socket_inodes() if (s := sockets.get(inode))]
    peers = {inode for inode, (local, remote) in sockets.items()
             for my_local, my_remote in mine if local == my_remote and remote == my_local}
    for pid, inode in _socket_owners(peers):
        try:
            exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            continue
        if exe.startswith("qemu-") and not exe.startswith("qemu-system"):
            return pid
    return None


def _tcp_sockets() -> dict[str, tuple[str, str]]:
    """inode -> (local address, remote address) of every established TCP socket."""
    sockets = {}
    for table in _TCP_TABLES:
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _ESTABLISHED:
                sockets[fields[9]] = (fields[1], fields[2])
    return sockets


def _own_socket_inodes() -> list[str]:
    return [inode for _, inode in _fd_sockets(os.getpid())]


def _fd_sockets(pid):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return
    for fd in fds:
        try:
            match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if match:
            yield pid, match.group(1)


def _socket_owners(inodes: set[str]):
    if not inodes:
        return
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            for pid, inode in _fd_sockets(int(entry)):
                if inode in inodes:
                    yield pid, inode
