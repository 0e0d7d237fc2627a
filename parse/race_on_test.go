//go:build race

package parse

// raceDetector: the tests run with -race, under which sync.Pool drops a quarter of what is
// put in it (regexp keeps its matchers in one), so allocation counts are not the code's.
const raceDetector = true
