package gluefake

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// value is a partition value or a literal.
type value struct {
	s   string
	n   float64
	num bool
}

// typed makes the value of a partition key of a Hive type.
func typed(hiveType, v string) value {
	switch hiveType {
	case "int", "bigint", "smallint", "tinyint":
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return value{s: v, n: n, num: true}
		}
	}
	return value{s: v}
}

func compare(a, b value) int {
	if a.num && !b.num {
		if n, err := strconv.ParseFloat(b.s, 64); err == nil {
			b = value{s: b.s, n: n, num: true}
		}
	}
	if a.num && b.num {
		return cmp.Compare(a.n, b.n)
	}
	return strings.Compare(a.s, b.s)
}

// expr is a parsed predicate.
type expr interface {
	eval(env map[string]value) (bool, error)
}

type (
	andExpr struct{ l, r expr }
	orExpr  struct{ l, r expr }
	notExpr struct{ e expr }
	cmpExpr struct {
		key string
		op  string
		lit value
	}
	inExpr struct {
		key  string
		lits []value
	}
	betweenExpr struct {
		key    string
		lo, hi value
	}
)

func lookup(env map[string]value, key string) (value, error) {
	v, ok := env[key]
	if !ok {
		return value{}, fmt.Errorf("unknown partition key %q", key)
	}
	return v, nil
}

func (e andExpr) eval(env map[string]value) (bool, error) {
	l, err := e.l.eval(env)
	if err != nil || !l {
		return false, err
	}
	return e.r.eval(env)
}

func (e orExpr) eval(env map[string]value) (bool, error) {
	l, err := e.l.eval(env)
	if err != nil || l {
		return l, err
	}
	return e.r.eval(env)
}

func (e notExpr) eval(env map[string]value) (bool, error) {
	v, err := e.e.eval(env)
	return !v, err
}

func (e cmpExpr) eval(env map[string]value) (bool, error) {
	v, err := lookup(env, e.key)
	if err != nil {
		return false, err
	}
	c := compare(v, e.lit)
	switch e.op {
	case "=":
		return c == 0, nil
	case "<>", "!=":
		return c != 0, nil
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("operator %q", e.op)
}

func (e inExpr) eval(env map[string]value) (bool, error) {
	v, err := lookup(env, e.key)
	if err != nil {
		return false, err
	}
	for _, l := range e.lits {
		if compare(v, l) == 0 {
			return true, nil
		}
	}
	return false, nil
}

func (e betweenExpr) eval(env map[string]value) (bool, error) {
	v, err := lookup(env, e.key)
	if err != nil {
		return false, err
	}
	return compare(v, e.lo) >= 0 && compare(v, e.hi) <= 0, nil
}

// token kinds.
const (
	tIdent = iota
	tString
	tNumber
	tOp
	tPunct
	tEOF
)

type token struct {
	kind int
	text string
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated string at %d", i)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' { // '' is a quote
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			toks = append(toks, token{tString, b.String()})
			i = j + 1
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tNumber, s[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j]})
			i = j
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, token{tPunct, string(c)})
			i++
		case strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<>") || strings.HasPrefix(s[i:], "!="):
			toks = append(toks, token{tOp, s[i : i+2]})
			i += 2
		case c == '=' || c == '<' || c == '>':
			toks = append(toks, token{tOp, string(c)})
			i++
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return append(toks, token{kind: tEOF}), nil
}

type parser struct {
	toks []token
	pos  int
}

func parseExpression(s string) (expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %q", t.text)
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) keyword(kw string) bool {
	if t := p.peek(); t.kind == tIdent && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) punct(s string) bool {
	if t := p.peek(); t.kind == tPunct && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *parser) or() (expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *parser) and() (expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *parser) not() (expr, error) {
	if p.keyword("NOT") {
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	return p.primary()
}

func (p *parser) literal() (value, error) {
	switch t := p.next(); t.kind {
	case tString:
		return value{s: t.text}, nil
	case tNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return value{}, err
		}
		return value{s: t.text, n: n, num: true}, nil
	default:
		return value{}, fmt.Errorf("want a literal, got %q", t.text)
	}
}

func (p *parser) primary() (expr, error) {
	if p.punct("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, fmt.Errorf("missing ')'")
		}
		return e, nil
	}
	t := p.next()
	if t.kind != tIdent {
		return nil, fmt.Errorf("want a partition key, got %q", t.text)
	}
	key := t.text
	switch {
	case p.keyword("IN"):
		if !p.punct("(") {
			return nil, fmt.Errorf("IN without '('")
		}
		var lits []value
		for {
			l, err := p.literal()
			if err != nil {
				return nil, err
			}
			lits = append(lits, l)
			if p.punct(")") {
				return inExpr{key, lits}, nil
			}
			if !p.punct(",") {
				return nil, fmt.Errorf("IN list: want ',' or ')'")
			}
		}
	case p.keyword("BETWEEN"):
		lo, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.keyword("AND") {
			return nil, fmt.Errorf("BETWEEN without AND")
		}
		hi, err := p.literal()
		if err != nil {
			return nil, err
		}
		return betweenExpr{key, lo, hi}, nil
	}
	op := p.next()
	if op.kind != tOp {
		return nil, fmt.Errorf("want an operator after %s, got %q", key, op.text)
	}
	lit, err := p.literal()
	if err != nil {
		return nil, err
	}
	return cmpExpr{key, op.text, lit}, nil
}
