"""The error hierarchy. Every failure the user can cause is a JitError; the command
turns it into an `error:` line and never shows a traceback."""


class JitError(Exception):
    """Base of every error lldb-jit reports to the user."""


class CompileError(JitError):
    """Bad C input: `offset`/`length` locate the offending span in the source text."""

    def __init__(self, offset: int, length: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.length = max(1, length)
        self.message = message


class ElfParseError(JitError):
    """The object file produced by LLVM could not be read."""


class LinkError(JitError):
    """A symbol could not be resolved, or a relocation cannot be applied."""


class ExecError(JitError):
    """Loading or running the code in the debuggee failed."""
