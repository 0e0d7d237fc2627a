package kql

import "time"

// The syntax tree. Every node records the byte offset of its first token (pos), which
// errors report as line:col.

// query is a whole KQL query: let statements, then one tabular expression.
type query struct {
	lets []*letStmt
	body *pipeline
}

// letStmt is "let name = value;": value is a scalar expression or a tabular pipeline.
type letStmt struct {
	pos     int
	name    string
	scalar  expr      // set for a scalar let
	tabular *pipeline // set for a tabular let
	fn      *userFunc // set for a user-defined function
}

// userFunc is "(a:long, b:string = "x") { body }": body is a scalar expression or a
// tabular pipeline, after optional let statements.
type userFunc struct {
	params  []param
	lets    []*letStmt
	scalar  expr
	tabular *pipeline
	bodyPos int
}

// param is a function parameter with its optional default value.
type param struct {
	colDecl
	def expr
}

// pipeline is a source followed by "| operator" stages.
type pipeline struct {
	pos    int
	source source
	ops    []operator
}

// source is what a pipeline starts from.
type source interface{ srcPos() int }

type tableSource struct {
	pos  int
	name string
}

type unionSource struct {
	pos    int
	inputs []*pipeline
}

type parenSource struct {
	pos  int
	pipe *pipeline
}

// printSource is "print a = 1, 2": one row of named expressions.
type printSource struct {
	pos   int
	items []namedExpr
}

// datatableSource is "datatable (a:long, b:string) [1, "x", ...]": the values row by row.
type datatableSource struct {
	pos    int
	cols   []colDecl
	values []expr
}

// colDecl is "name:type" in datatable and in a function's parameters.
type colDecl struct {
	pos  int
	name string
	typ  kqlType
}

// rangeSource is "range x from a to b step s".
type rangeSource struct {
	pos            int
	name           string
	from, to, step expr
}

// callSource is "f(args)" where f is a tabular user function.
type callSource struct {
	pos  int
	call *callExpr
}

func (s *tableSource) srcPos() int     { return s.pos }
func (s *printSource) srcPos() int     { return s.pos }
func (s *datatableSource) srcPos() int { return s.pos }
func (s *rangeSource) srcPos() int     { return s.pos }
func (s *callSource) srcPos() int      { return s.pos }
func (s *unionSource) srcPos() int     { return s.pos }
func (s *parenSource) srcPos() int     { return s.pos }

// operator is one "| ..." stage.
type operator interface{ opPos() int }

// namedExpr is "name = expr" or a bare expr (name == "").
type namedExpr struct {
	pos     int
	name    string
	namePos int
	x       expr
}

type whereOp struct {
	pos  int
	pred expr
}

type projectOp struct {
	pos   int
	items []namedExpr
}

type extendOp struct {
	pos   int
	items []namedExpr
}

type projectAwayOp struct {
	pos      int
	patterns []namePattern
}

type namePattern struct {
	pos     int
	pattern string // may hold * wildcards
}

type projectRenameOp struct {
	pos   int
	pairs []renamePair
}

type renamePair struct {
	pos, oldPos int
	newName     string
	oldName     string
}

type summarizeOp struct {
	pos  int
	aggs []namedExpr
	by   []namedExpr
}

type sortKey struct {
	x          expr
	desc       bool
	nullsFirst bool
}

type sortOp struct {
	pos  int
	keys []sortKey
}

type takeOp struct {
	pos int
	n   expr
}

type topOp struct {
	pos int
	n   expr
	key sortKey
}

type distinctOp struct {
	pos   int
	star  bool
	items []namedExpr
}

type countOp struct {
	pos  int
	name string // "count as name"; "" for Count
}

type unionOp struct {
	pos    int
	inputs []*pipeline
}

// joinOp is "join kind=K (right) on keys".
type joinOp struct {
	pos   int
	kind  string
	right *pipeline
	on    []joinKey
}

// joinKey is "col" (same name on both sides) or "$left.a == $right.b".
type joinKey struct {
	pos         int
	left, right string
	lPos, rPos  int
}

type renderOp struct {
	pos   int
	chart string
}

func (o *whereOp) opPos() int         { return o.pos }
func (o *projectOp) opPos() int       { return o.pos }
func (o *extendOp) opPos() int        { return o.pos }
func (o *projectAwayOp) opPos() int   { return o.pos }
func (o *projectRenameOp) opPos() int { return o.pos }
func (o *summarizeOp) opPos() int     { return o.pos }
func (o *sortOp) opPos() int          { return o.pos }
func (o *takeOp) opPos() int          { return o.pos }
func (o *topOp) opPos() int           { return o.pos }
func (o *distinctOp) opPos() int      { return o.pos }
func (o *countOp) opPos() int         { return o.pos }
func (o *unionOp) opPos() int         { return o.pos }
func (o *joinOp) opPos() int          { return o.pos }
func (o *renderOp) opPos() int        { return o.pos }

// expr is a scalar expression.
type expr interface{ exprPos() int }

// nameRef is a column, let variable or (in calls) function name.
type nameRef struct {
	pos  int
	name string
}

// litKind is the type of a literal.
type litKind uint8

const (
	litString litKind = iota
	litLong
	litReal
	litBool
	litDatetime
	litTimespan
	litNull    // typed null: int(null), datetime(null), ...
	litDynamic // dynamic([1, 2]), dynamic({"a": 1}): s is the JSON text
)

// literal is a constant. typ names the KQL type for litNull.
type literal struct {
	pos   int
	kind  litKind
	s     string
	i     int64 // long; timespan in ticks
	f     float64
	b     bool
	t     time.Time
	typ   kqlType // for litNull and typed numbers (int(5) is int)
	isNow bool    // datetime() with no argument: the evaluation time
}

// binaryExpr is "l op r": arithmetic, comparison, string operators, and, or.
type binaryExpr struct {
	pos   int
	opPos int
	op    string // ==, !=, <, +, and, contains, !has, matches regex, ...
	l, r  expr
}

// unaryExpr is "-x" or "+x".
type unaryExpr struct {
	pos int
	op  string
	x   expr
}

// callExpr is "f(args)". star marks a * argument (arg_max(x, *)).
type callExpr struct {
	pos  int
	name string
	args []expr
}

// starExpr is * inside a call's argument list.
type starExpr struct{ pos int }

// memberExpr is "x.name" (dynamic property access).
type memberExpr struct {
	pos  int
	x    expr
	name string
}

// indexExpr is "x[i]" or x["key"].
type indexExpr struct {
	pos int
	x   expr
	idx expr
}

// inExpr is "x in (list)", with its variants !in, in~, !in~, and "x has_any (list)",
// "x has_all (list)". A dynamic array in the list stands for its elements.
type inExpr struct {
	pos, opPos int
	op         string // in, has_any, has_all
	x          expr
	list       []expr
	not, ci    bool
}

// betweenExpr is "x between (lo .. hi)" or "x !between (lo .. hi)".
type betweenExpr struct {
	pos, opPos int
	x, lo, hi  expr
	not        bool
}

// parenExpr keeps explicit parentheses (they matter for naming: none).
type parenExpr struct {
	pos int
	x   expr
}

func (e *nameRef) exprPos() int     { return e.pos }
func (e *literal) exprPos() int     { return e.pos }
func (e *binaryExpr) exprPos() int  { return e.pos }
func (e *unaryExpr) exprPos() int   { return e.pos }
func (e *callExpr) exprPos() int    { return e.pos }
func (e *starExpr) exprPos() int    { return e.pos }
func (e *memberExpr) exprPos() int  { return e.pos }
func (e *indexExpr) exprPos() int   { return e.pos }
func (e *inExpr) exprPos() int      { return e.pos }
func (e *betweenExpr) exprPos() int { return e.pos }
func (e *parenExpr) exprPos() int   { return e.pos }
