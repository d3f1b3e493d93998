package gluefake

import "testing"

func TestExpression(t *testing.T) {
	env := map[string]value{
		"reading_type": typed("string", "kw"),
		"year":         typed("string", "2024"),
		"month":        typed("string", "03"),
		"n":            typed("int", "9"),
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"reading_type = 'kw'", true},
		{"reading_type <> 'kw'", false},
		{"reading_type != 'kwh'", true},
		{"reading_type IN ('kwh', 'kw')", true},
		{"reading_type in ('kwh')", false},
		{"year > '2023' AND month >= '03'", true},
		{"year > '2024' OR (year = '2024' AND month < '03')", false},
		{"NOT (month = '03')", false},
		{"month BETWEEN '02' AND '03'", true},
		{"n > 10", false},     // numeric: 9 < 10
		{"n > '10'", false},   // int key, string literal: still numeric
		{"month < '1'", true}, // string key: '03' < '1' as strings, not as numbers
		{"year = 'it''s'", false},
	}
	for _, tc := range tests {
		e, err := parseExpression(tc.expr)
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		got, err := e.eval(env)
		if err != nil || got != tc.want {
			t.Errorf("%q = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
	for _, bad := range []string{"year =", "year = 'x", "(year = '1'", "year IN ()", "unknown = '1' AND", "year ~ '1'"} {
		if _, err := parseExpression(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if e, err := parseExpression("nokey = '1'"); err != nil {
		t.Fatal(err)
	} else if _, err := e.eval(env); err == nil {
		t.Error("unknown key: no error")
	}
}
