#!/bin/sh
# zig as the C/C++ compiler and linker for cgo's darwin targets (scripts/release.sh).
# Usage: zig-cc.sh cc|c++ TARGET ARGS...   Environment: ZIG (the zig binary), ZIG_FRAMEWORKS
# (the folder with the framework stubs).
# Go's external link passes options that zig's Mach-O linker refuses ("unsupported linker
# arg"): -S and -x (from go build -ldflags -s: drop debug and local symbols from the symbol
# table) and --compress-debug-sections (an ELF option). They are dropped: the binary then keeps
# its local symbol names, which costs size, not behaviour.
mode=$1
target=$2
shift 2
for arg in "$@"; do
	shift
	case $arg in
	-Wl,-S | -Wl,-x | -Wl,--compress-debug-sections=zlib) continue ;;
	esac
	set -- "$@" "$arg"
done
exec "${ZIG:?ZIG is not set}" "$mode" -target "$target" ${ZIG_FRAMEWORKS:+-F"$ZIG_FRAMEWORKS"} "$@"
