package lambda_test

import (
	"fmt"
	"strconv"
	"strings"
)

// parseYAML parses the subset of YAML that template.yaml is written in,
// into map[string]any, []any and string values: block mappings and
// sequences, "- key: value" items, plain, single- and double-quoted
// scalars, folded and literal block scalars (>, >-, |, |-), one-line flow
// sequences ([a, b]) and comments. CloudFormation's short-form tags become
// their long forms: !Ref X is {"Ref": "X"}, !GetAtt A.B is
// {"Fn::GetAtt": "A.B"}, !Sub s is {"Fn::Sub": "s"}.
//
// It exists because the module has no YAML library among its requirements;
// anything outside the subset is an error, so the template cannot drift
// into YAML this test would misread.
func parseYAML(src string) (map[string]any, error) {
	var lines []yline
	for i, raw := range strings.Split(src, "\n") {
		text := stripComment(raw)
		if strings.TrimSpace(text) == "" {
			lines = append(lines, yline{no: i + 1, indent: -1, raw: raw})
			continue
		}
		if strings.Contains(text, "\t") {
			return nil, fmt.Errorf("line %d: tab", i+1)
		}
		trimmed := strings.TrimLeft(text, " ")
		lines = append(lines, yline{no: i + 1, indent: len(text) - len(trimmed), text: strings.TrimRight(trimmed, " "), raw: raw})
	}
	p := &yparser{lines: lines}
	p.skipBlank()
	if p.i >= len(p.lines) {
		return nil, fmt.Errorf("empty document")
	}
	v, err := p.block(p.lines[p.i].indent)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.i < len(p.lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.lines[p.i].no)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document is not a mapping")
	}
	return m, nil
}

type yline struct {
	no, indent int // indent -1: blank or comment
	text, raw  string
}

type yparser struct {
	lines []yline
	i     int
}

func (p *yparser) skipBlank() {
	for p.i < len(p.lines) && p.lines[p.i].indent < 0 {
		p.i++
	}
}

func isItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block parses the mapping or sequence whose lines start at indent.
func (p *yparser) block(indent int) (any, error) {
	p.skipBlank()
	if isItem(p.lines[p.i].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yparser) mapping(indent int) (map[string]any, error) {
	m := map[string]any{}
	for p.skipBlank(); p.i < len(p.lines); p.skipBlank() {
		l := p.lines[p.i]
		if l.indent < indent || (l.indent == indent && isItem(l.text)) {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.no)
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: want key: value, got %q", l.no, l.text)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", l.no, key)
		}
		p.i++
		v, err := p.value(l, indent, rest)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	return m, nil
}

// value parses what follows "key:" on line l of a mapping at indent.
func (p *yparser) value(l yline, indent int, rest string) (any, error) {
	switch {
	case rest == "":
		p.skipBlank()
		if p.i < len(p.lines) {
			next := p.lines[p.i]
			if next.indent > indent || (next.indent == indent && isItem(next.text)) {
				return p.block(next.indent)
			}
		}
		return nil, nil
	case rest == ">" || rest == ">-" || rest == "|" || rest == "|-":
		var parts []string
		for ; p.i < len(p.lines) && (p.lines[p.i].indent < 0 || p.lines[p.i].indent > indent); p.i++ {
			parts = append(parts, strings.TrimSpace(p.lines[p.i].raw))
		}
		sep := " "
		if rest[0] == '|' {
			sep = "\n"
		}
		return strings.TrimSpace(strings.Join(parts, sep)), nil
	}
	return scalar(l.no, rest)
}

func (p *yparser) sequence(indent int) ([]any, error) {
	var s []any
	for p.skipBlank(); p.i < len(p.lines); p.skipBlank() {
		l := p.lines[p.i]
		if l.indent != indent || !isItem(l.text) {
			if l.indent > indent {
				return nil, fmt.Errorf("line %d: unexpected indentation", l.no)
			}
			break
		}
		content := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		switch {
		case content == "":
			p.i++
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		case isMappingStart(content):
			// "- key: value": a mapping whose keys align with key.
			inner := indent + len(l.text) - len(content)
			p.lines[p.i] = yline{no: l.no, indent: inner, text: content, raw: l.raw}
			v, err := p.mapping(inner)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		default:
			p.i++
			v, err := scalar(l.no, content)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
	}
	return s, nil
}

func isMappingStart(s string) bool {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'") || strings.HasPrefix(s, "!") || strings.HasPrefix(s, "[") {
		return false
	}
	_, _, ok := splitKey(s)
	return ok
}

// splitKey splits "key: rest" or "key:".
func splitKey(s string) (key, rest string, ok bool) {
	if k, ok := strings.CutSuffix(s, ":"); ok && !strings.Contains(k, ": ") {
		return k, "", k != ""
	}
	k, r, ok := strings.Cut(s, ": ")
	if !ok || k == "" || strings.ContainsAny(k, `"'[{`) {
		return "", "", false
	}
	return k, strings.TrimSpace(r), true
}

var shortTags = map[string]string{"!Ref": "Ref", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub"}

func scalar(no int, s string) (any, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "!"):
		tag, rest, _ := strings.Cut(s, " ")
		long, ok := shortTags[tag]
		if !ok {
			return nil, fmt.Errorf("line %d: tag %s is outside the subset", no, tag)
		}
		v, err := scalar(no, rest)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("line %d: %s of a non-scalar", no, tag)
		}
		return map[string]any{long: v}, nil
	case strings.HasPrefix(s, "["):
		inner, ok := strings.CutSuffix(strings.TrimPrefix(s, "["), "]")
		if !ok || strings.ContainsAny(inner, "[]{}") {
			return nil, fmt.Errorf("line %d: flow sequence outside the subset: %s", no, s)
		}
		out := []any{}
		for _, part := range strings.Split(inner, ",") {
			v, err := scalar(no, part)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case strings.HasPrefix(s, `"`):
		v, err := strconv.Unquote(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", no, s, err)
		}
		return v, nil
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return nil, fmt.Errorf("line %d: unterminated quote: %s", no, s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case strings.HasPrefix(s, "{") || strings.HasPrefix(s, "&") || strings.HasPrefix(s, "*"):
		return nil, fmt.Errorf("line %d: outside the subset: %s", no, s)
	}
	return s, nil
}

// stripComment removes a comment: a # at the start or after a space,
// outside quotes.
func stripComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			if i == 0 || strings.ContainsRune(" [,:", rune(s[i-1])) {
				quote = r
			}
		case r == '#' && (i == 0 || s[i-1] == ' '):
			return s[:i]
		}
	}
	return s
}
