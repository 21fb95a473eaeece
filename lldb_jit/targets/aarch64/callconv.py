"""AAPCS64: records passed and returned by value (not yet: a clear error)."""
from __future__ import annotations

from ...errors import JitError


def lower_call(ret, params):
    raise JitError("passing structs by value is not implemented for AArch64 yet")
