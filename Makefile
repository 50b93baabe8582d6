# mcx — one non-recursive GNU Makefile.
#   make            build bin/mcxd, bin/mcx and build/libmcx.a
#   make test       unit tests + protocol cases in-process + live suite
#   make SAN=1 ...  the same under ASan+UBSan (separate build tree)
#   make fuzz       libFuzzer drivers (clang)
#   make bench      benchmark against nginx (see bench/README.md)
#   make V=1        show commands

PKGS    := libmicrohttpd libxml-2.0 sqlite3 libcrypto libssl libcurl jansson libargon2 libre libwbxml2
CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
B       := build-san
SANFLAGS:= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else
B       := build
SANFLAGS:=
OPT     ?= -O2 -g
endif
BIN     := $(if $(filter 1,$(SAN)),$(B)/bin,bin)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wold-style-definition -Wvla -Wcast-align -Wformat=2 -Wno-format-nonliteral \
           -Werror
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -fvisibility=hidden -pthread \
           -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS)) $(SANFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -pthread
LDFLAGS := $(SANFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(wildcard src/core/*.c src/xcap/*.c src/xcap/usages/*.c src/store/*.c src/http/*.c src/idms/*.c src/sip/*.c src/patch/*.c src/dm/*.c src/cmc/*.c)
SCHEMAS  := $(wildcard schemas/*.xsd) $(wildcard demo/*.xml) demo/manifest
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o) $(B)/schemas.o
MCXD_SRC := src/cmd/mcxd.c
MCX_SRC  := $(wildcard src/cmd/mcx*.c)
MCX_SRC  := $(filter-out src/cmd/mcxd.c,$(MCX_SRC))
UNIT_SRC := $(wildcard tests/unit/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

all: $(BIN)/mcxd $(BIN)/mcx $(B)/libmcx.a $(B)/test-unit

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Schemas are embedded in the library: one assembler file of .incbin lines.
$(B)/schemas.S: $(SCHEMAS) scripts/gen-schemas.sh
	@mkdir -p $(dir $@)
	$(Q)sh scripts/gen-schemas.sh $(SCHEMAS) > $@
$(B)/schemas.o: $(B)/schemas.S
	$(Q)$(CC) -c $< -o $@

$(B)/libmcx.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/mcxd: $(MCXD_SRC:%.c=$(B)/%.o) $(B)/libmcx.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/mcx: $(MCX_SRC:%.c=$(B)/%.o) $(B)/libmcx.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/test-unit: $(UNIT_SRC:%.c=$(B)/%.o) $(B)/libmcx.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test: all
	$(Q)MCX_BIN=$(BIN) MCX_BUILD=$(B) sh tests/run.sh

check: test

# libFuzzer drivers, built with clang into build-fuzz/.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS)) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DMCX_NO_BANNED
fuzz: $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
build-fuzz/%: fuzz/%.c $(LIB_SRC) $(B)/schemas.o
	@mkdir -p build-fuzz
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(B)/schemas.o $(LDLIBS)

bench: all
	$(Q)sh bench/run.sh

# SIP fan-out (issue 5): make bench-sip [SIP_N="10000 100000"]; see docs/benchmarks.md
bench-sip: $(BIN)/mcxd
	$(Q)MCXD=$(BIN)/mcxd sh bench/run-sip.sh $(SIP_N)

PREFIX  ?= /usr/local
install: $(BIN)/mcxd $(BIN)/mcx
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/mcx
	install -m 0755 $(BIN)/mcxd $(BIN)/mcx $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/mcx/

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability -Iinclude -Isrc \
	  --suppress=missingIncludeSystem src

clean:
	rm -rf build build-san build-fuzz bin

.PHONY: all test check fuzz bench bench-sip format lint clean install
-include $(shell find $(B) -name '*.d' 2>/dev/null)
