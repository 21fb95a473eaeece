# `make demo` and `make test` are all a newcomer needs: both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BUILD  := build

.PHONY: demo test unit e2e bench setup system-deps clean

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

bench: $(STAMP)
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(BUILD) $(VENV) *.egg-info
