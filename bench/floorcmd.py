"""`result-floor`: what any LLDB command written in Python pays to print a result the
way jit-eval must, with no evaluation at all: LLDB's entry into a scripted command, 4
bytes written to debuggee memory, that memory made the next `$N` (SBValue.Persist) and
printed. bench/latency.py times it, after an `expression`, as it times jit-eval."""
import lldb

_page = {}


class ResultFloor:
    def __init__(self, debugger, internal_dict):
        pass

    def __call__(self, debugger, command, exe_ctx, result):
        target, process = exe_ctx.GetTarget(), exe_ctx.GetProcess()
        error = lldb.SBError()
        uid = process.GetUniqueID()
        if uid not in _page:
            _page[uid] = [process.AllocateMemory(
                4096, lldb.ePermissionsReadable | lldb.ePermissionsWritable, error), 0]
        page = _page[uid]
        address = page[0] + page[1] % 4096
        page[1] += 4
        process.WriteMemory(address, (78).to_bytes(4, "little"), error)
        value = target.CreateValueFromAddress(
            "$result", lldb.SBAddress(address, target),
            target.GetBasicType(lldb.eBasicTypeInt)).Persist()
        stream = lldb.SBStream()
        value.GetDescription(stream)
        result.AppendMessage(stream.GetData().rstrip("\n"))
        result.SetStatus(lldb.eReturnStatusSuccessFinishResult)


def __lldb_init_module(debugger, internal_dict):
    debugger.HandleCommand(f"command script add -o -c {__name__}.ResultFloor result-floor")
