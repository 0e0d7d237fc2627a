package sql

// OperationNameSQL is opSQL, for the tests of package sql_test.
var OperationNameSQL = opSQL
