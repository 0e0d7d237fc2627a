// Package layers holds only a test: it checks, with go list, that the packages of kudulens
// import one another in the data-flow order the README's Architecture section describes
// (source → parse → pipeline → store → sql → report → cmd), and that DuckDB and Azure stay in
// the packages that own them.
package layers
