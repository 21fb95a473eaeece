# `make demo` and `make test` are all a newcomer needs: both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BUILD  := build

.PHONY: demo test unit e2e bench setup system-deps clean lldbs test-lldbs

setup: $(STAMP)

# Debian packages the tests need: gcc to build debuggees; GNU gdbserver, qemu-user and
# the AArch64 and RISC-V 64 cross compilers (with their binutils) for the stub, AArch64
# and RISC-V tests; gdb, the
# second oracle of the real-program corpus (tests/e2e/test_corpus.py), whose programs are
# CPython's debug build and the debug info of GNU binutils and glibc. A command:package
# pair is checked with `command -v`; a package with no command of its own (debug
# symbols) is checked as installed with dpkg-query.
DEBIAN_DEPS := gcc:gcc gdbserver:gdbserver qemu-aarch64:qemu-user qemu-riscv64:qemu-user \
               aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
               riscv64-linux-gnu-gcc:gcc-riscv64-linux-gnu gdb:gdb python3-dbg:python3-dbg
DEBIAN_DEBUG_DEPS := binutils-x86-64-linux-gnu-dbg libc6-dbg
system-deps:
	@missing=""; for dep in $(DEBIAN_DEPS); do \
	    command -v $${dep%%:*} >/dev/null || missing="$$missing $${dep#*:}"; done; \
	for pkg in $(DEBIAN_DEBUG_DEPS); do \
	    dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

$(BUILD)/sample: examples/sample.c | system-deps
	mkdir -p $(BUILD)
	gcc -g -O0 -o $@ $<

demo: $(STAMP) $(BUILD)/sample
	cd $(BUILD) && ../$(BIN)/lldb --no-lldbinit --no-use-colors -b \
	    -O 'settings set interpreter.stop-command-source-on-error false' \
	    -s ../examples/demo.lldb ./sample

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

e2e: $(STAMP) system-deps
	$(BIN)/python -m pytest -q tests/e2e

# Debian's LLDBs for tests/e2e/test_lldbs.py and test_dap.py (which skip those absent,
# so `make test` stays quick). Their python3-lldb-N packages conflict (each owns
# /usr/lib/python3/dist-packages/lldb), so one (lldb-22, with lldb-dap-22) is installed
# as a package if none is, and the others are unpacked under build/lldbs/N, with the
# libraries they need (liblldb-N, which do not conflict) installed as packages.
DEBIAN_LLDBS := 16 19 22
lldbs: system-deps
	@if ! dpkg-query -W -f='$${Status}\n' 'python3-lldb-*' 2>/dev/null | grep -q 'ok installed'; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lldb-22 python3-lldb-22; fi
	@for v in $(DEBIAN_LLDBS); do \
	    [ -x /usr/lib/llvm-$$v/bin/lldb ] && [ -d /usr/lib/llvm-$$v/lib/python3.11/site-packages/lldb ] \
	        && continue; \
	    [ -x $(BUILD)/lldbs/$$v/usr/lib/llvm-$$v/bin/lldb ] && continue; \
	    echo "unpacking lldb-$$v under $(BUILD)/lldbs/$$v"; \
	    dpkg-query -W -f='$${Status}' liblldb-$$v 2>/dev/null | grep -q 'ok installed' || \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblldb-$$v libclang-cpp$$v; \
	    mkdir -p $(BUILD)/lldbs/debs && (cd $(BUILD)/lldbs/debs && apt-get download -qq lldb-$$v python3-lldb-$$v) \
	        && for deb in $(BUILD)/lldbs/debs/lldb-$${v}_*.deb $(BUILD)/lldbs/debs/python3-lldb-$${v}_*.deb; do \
	            dpkg -x $$deb $(BUILD)/lldbs/$$v; done; \
	done

test-lldbs: $(STAMP) lldbs
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/test_lldbs.py tests/e2e/test_dap.py

bench: $(STAMP)
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(BUILD) $(VENV) *.egg-info
