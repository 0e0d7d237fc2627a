package kql

// EvalStringOp exposes the Go reference of the string predicates to the DuckDB tests.
var EvalStringOp = evalStringOp
