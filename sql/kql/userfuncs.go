package kql

// User-defined functions: "let f = (a:long, b:string = "x") { body };". A call binds each
// parameter to the translated argument, as a scalar let visible only in the body, and
// translates the body there: the SQL of the body is inlined at every call.

// maxCallDepth bounds nested user-function calls (a function calling itself).
const maxCallDepth = 16

// bindParams translates the arguments of a call of fn in the caller's scope and returns the
// lets the body sees: the function's declaration environment plus its parameters.
func (t *translator) bindParams(c *callExpr, b *letBinding, sc *scope) (map[string]*letBinding, *Error) {
	fn := b.fn
	if len(c.args) > len(fn.params) {
		return nil, t.errAt(c.pos, "%s() takes %d arguments, got %d", c.name, len(fn.params), len(c.args))
	}
	env := make(map[string]*letBinding, len(b.env)+len(fn.params))
	for k, v := range b.env {
		env[k] = v
	}
	for i, prm := range fn.params {
		var x *sqlExpr
		var err *Error
		switch {
		case i < len(c.args):
			x, err = t.scalar(c.args[i], sc, false)
		case prm.def != nil:
			saved := t.lets
			t.lets = env
			x, err = t.scalar(prm.def, &scope{noCols: true}, false)
			t.lets = saved
		default:
			return nil, t.errAt(c.pos, "%s(): missing argument '%s'", c.name, prm.name)
		}
		if err != nil {
			return nil, err
		}
		if x, err = t.convertArg(c, i, prm, x); err != nil {
			return nil, err
		}
		env[prm.name] = &letBinding{scalar: x}
	}
	return env, nil
}

// convertArg checks an argument against its parameter's type; integers passed as reals
// are widened, as KQL does.
func (t *translator) convertArg(c *callExpr, i int, prm param, x *sqlExpr) (*sqlExpr, *Error) {
	switch {
	case x.typ == prm.typ || x.typ == typeNull:
		return x, nil
	case prm.typ == typeReal && x.typ.integral():
		return atom("CAST("+x.sql+" AS DOUBLE)", typeReal, x.nullable), nil
	case prm.typ == typeLong && x.typ == typeInt:
		return atom("CAST("+x.sql+" AS BIGINT)", typeLong, x.nullable), nil
	case prm.typ == typeDynamic:
		return x, nil
	}
	pos := c.pos
	if i < len(c.args) {
		pos = c.args[i].exprPos()
	}
	return nil, t.errAt(pos, "argument '%s' of %s() must be %s, got %s", prm.name, c.name, prm.typ, x.typ)
}

// enterCall runs f with the lets of a function body in place and the call depth checked.
func (t *translator) enterCall(c *callExpr, env map[string]*letBinding, lets []*letStmt, f func() *Error) *Error {
	if t.calls >= maxCallDepth {
		return t.errAt(c.pos, "%s(): user functions nested more than %d deep (recursion is not supported by kudulens)", c.name, maxCallDepth)
	}
	t.calls++
	saved := t.lets
	t.lets = env
	defer func() { t.lets, t.calls = saved, t.calls-1 }()
	for _, l := range lets {
		if err := t.let(l); err != nil {
			return err
		}
	}
	return f()
}

// userCall translates a call of a scalar user function.
func (t *translator) userCall(c *callExpr, b *letBinding, sc *scope, positive bool) (*sqlExpr, *Error) {
	if b.fn.scalar == nil {
		return nil, t.errAt(c.pos, "'%s' is a tabular function, used here as a scalar", c.name)
	}
	env, err := t.bindParams(c, b, sc)
	if err != nil {
		return nil, err
	}
	var x *sqlExpr
	err = t.enterCall(c, env, b.fn.lets, func() *Error {
		var err *Error
		x, err = t.scalar(b.fn.scalar, &scope{noCols: true, colsWhat: "a function body sees its parameters, not the caller's columns"}, positive)
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// tabularCall translates "f(args)" as a query source.
func (t *translator) tabularCall(c *callExpr) (*stage, *Error) {
	b, ok := t.lets[c.name]
	if !ok || b.fn == nil || b.fn.tabular == nil {
		return nil, t.errAt(c.pos, "'%s' is not a tabular function", c.name)
	}
	env, err := t.bindParams(c, b, &scope{noCols: true})
	if err != nil {
		return nil, err
	}
	var s *stage
	err = t.enterCall(c, env, b.fn.lets, func() *Error {
		var err *Error
		s, err = t.tabular(b.fn.tabular, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
