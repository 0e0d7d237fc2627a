#!/usr/bin/env bash
# fuzz.sh FUZZTIME TIMEOUT: every native Go fuzz target of the module, one after the other, each
# for FUZZTIME (make fuzz-smoke, make fuzz). The targets are found in the sources (func FuzzX in
# a _test.go file), not with go test -list: that links every package's test binary, DuckDB and
# all, for the few that have one.
#
# Go 1.26's fuzz coordinator can fail a target that found nothing: when the -fuzztime deadline
# fires, it may see the deadline before its workers' context is canceled and report
# "context deadline exceeded" (go.dev/issue/75804, fixed in Go 1.27). That failure writes no
# failing input. It happened in CI on a loaded 2-core machine. Such a run is fuzzed again once;
# any other failure, or a run that wrote a failing input, fails at once. A count budget (-fuzztime
# Nx) would avoid the deadline, but the targets run from 8 to 30,000 inputs a second.
set -euo pipefail
fuzztime=${1:?usage: fuzz.sh FUZZTIME TIMEOUT}
timeout=${2:?usage: fuzz.sh FUZZTIME TIMEOUT}
go=${GO:-go}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# coordinator_race: the run failed only with the coordinator's deadline, without a failing input.
coordinator_race() {
	! grep -q 'Failing input written to' "$log" &&
		grep -q '^--- FAIL: Fuzz' "$log" &&
		[ "$(grep -A1 '^--- FAIL: Fuzz' "$log" | tail -n1)" = "    context deadline exceeded" ]
}

for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./.cache/' | xargs -n1 dirname | sort -u); do
	for t in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //'); do
		for try in 1 2; do
			echo "fuzz $t ($dir, $fuzztime)"
			if "$go" test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -timeout "$timeout" "$dir" >"$log" 2>&1; then
				break
			fi
			if [ "$try" = 1 ] && coordinator_race; then
				echo "  $t: Go's fuzz coordinator reported its own deadline and no failing input (go.dev/issue/75804); fuzzing it again"
				continue
			fi
			cat "$log"
			exit 1
		done
	done
done
