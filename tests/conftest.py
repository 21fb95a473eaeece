"""For the whole suite: lldb-jit's on-disk caches (compiled objects, LLDB's symbols) go
to a directory of this run, never the user's ~/.cache, and start empty."""
import os
import tempfile

os.environ["LLDB_JIT_CACHE"] = tempfile.mkdtemp(prefix="lldb-jit-cache-")
