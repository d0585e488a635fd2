package legacysqlite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The legacy scripts often stored str(some_dict) instead of json.dumps: single
// quotes, True/False/None, tuples. pyToJSON reads such Python literals with a
// small lexer and recursive-descent parser and writes them as JSON. A regular
// expression cannot do this safely: quotes inside strings ("it's") and the
// words True/None inside text would be mangled.

// maxPyDepth bounds nesting so a malformed cell cannot exhaust the stack.
const maxPyDepth = 200

type pyTokenKind int

const (
	pyEOF pyTokenKind = iota
	pyPunct
	pyString
	pyNumber
	pyName
)

type pyToken struct {
	kind pyTokenKind
	text string // punctuation, name, the number as written, or the decoded string
	pos  int
}

type pyLexer struct {
	src string
	pos int
}

func (l *pyLexer) errorf(pos int, format string, args ...any) error {
	return fmt.Errorf("python literal at offset %d: %s", pos, fmt.Sprintf(format, args...))
}

func (l *pyLexer) next() (pyToken, error) {
	for l.pos < len(l.src) && strings.IndexByte(" \t\r\n", l.src[l.pos]) >= 0 {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return pyToken{kind: pyEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case strings.IndexByte("[](){},:", c) >= 0:
		l.pos++
		return pyToken{kind: pyPunct, text: string(c), pos: start}, nil
	case c == '\'' || c == '"':
		s, err := l.str(false)
		return pyToken{kind: pyString, text: s, pos: start}, err
	case c == '-' || c == '+' || c == '.' || isDigit(c):
		return l.number()
	case isNameStart(c):
		for l.pos < len(l.src) && (isNameStart(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		name := l.src[start:l.pos]
		// A string prefix (u'…', r'…', b'…', rb'…') directly followed by a quote.
		if l.pos < len(l.src) && (l.src[l.pos] == '\'' || l.src[l.pos] == '"') && isStringPrefix(name) {
			s, err := l.str(strings.ContainsAny(name, "rR"))
			return pyToken{kind: pyString, text: s, pos: start}, err
		}
		return pyToken{kind: pyName, text: name, pos: start}, nil
	}
	return pyToken{}, l.errorf(start, "unexpected %q", c)
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isNameStart(c byte) bool { return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func isStringPrefix(p string) bool {
	switch strings.ToLower(p) {
	case "u", "r", "b", "br", "rb":
		return true
	}
	return false
}

// number scans a numeric literal including a leading sign; the parser decides
// whether the text is a valid number.
func (l *pyLexer) number() (pyToken, error) {
	start := l.pos
	if c := l.src[l.pos]; c == '-' || c == '+' {
		l.pos++
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		exponentSign := (c == '-' || c == '+') && (l.src[l.pos-1] == 'e' || l.src[l.pos-1] == 'E') &&
			!strings.ContainsAny(l.src[start:l.pos], "xX")
		if !isDigit(c) && !isNameStart(c) && c != '.' && !exponentSign {
			break
		}
		l.pos++
	}
	return pyToken{kind: pyNumber, text: l.src[start:l.pos], pos: start}, nil
}

// str scans a quoted string (single, double or triple quoted) at l.pos and
// returns its decoded value.
func (l *pyLexer) str(raw bool) (string, error) {
	start := l.pos
	q := l.src[l.pos : l.pos+1]
	if strings.HasPrefix(l.src[l.pos:], q+q+q) {
		q += q + q
	}
	l.pos += len(q)
	var b strings.Builder
	for {
		if l.pos >= len(l.src) {
			return "", l.errorf(start, "unterminated string")
		}
		if strings.HasPrefix(l.src[l.pos:], q) {
			l.pos += len(q)
			return b.String(), nil
		}
		c := l.src[l.pos]
		if c == '\n' && len(q) == 1 {
			return "", l.errorf(start, "newline in string")
		}
		if c != '\\' {
			b.WriteByte(c)
			l.pos++
			continue
		}
		if l.pos+1 >= len(l.src) {
			return "", l.errorf(start, "unterminated string")
		}
		if raw {
			// A raw string keeps the backslash; it only stops the next
			// character from ending the string.
			b.WriteString(l.src[l.pos : l.pos+2])
			l.pos += 2
			continue
		}
		if err := l.escape(&b); err != nil {
			return "", err
		}
	}
}

var simpleEscapes = map[byte]string{
	'\\': `\`, '\'': `'`, '"': `"`, 'n': "\n", 't': "\t", 'r': "\r",
	'b': "\b", 'f': "\f", 'v': "\v", 'a': "\a", '\n': "",
}

// hexEscapeLen is the number of hex digits after \x, \u and \U.
var hexEscapeLen = map[byte]int{'x': 2, 'u': 4, 'U': 8}

// escape decodes the backslash sequence at l.pos into b, as Python does.
func (l *pyLexer) escape(b *strings.Builder) error {
	at := l.pos
	e := l.src[l.pos+1]
	l.pos += 2
	if s, ok := simpleEscapes[e]; ok {
		b.WriteString(s)
		return nil
	}
	hexDigits := hexEscapeLen[e]
	switch {
	case hexDigits > 0:
		if l.pos+hexDigits > len(l.src) {
			return l.errorf(at, "short \\%c escape", e)
		}
		n, err := strconv.ParseUint(l.src[l.pos:l.pos+hexDigits], 16, 32)
		if err != nil || n > utf8.MaxRune {
			return l.errorf(at, "bad \\%c escape", e)
		}
		b.WriteRune(rune(n))
		l.pos += hexDigits
	case '0' <= e && e <= '7':
		end := l.pos - 1
		for end < len(l.src) && end < l.pos+2 && '0' <= l.src[end] && l.src[end] <= '7' {
			end++
		}
		n, _ := strconv.ParseUint(l.src[l.pos-1:end], 8, 32)
		b.WriteRune(rune(n))
		l.pos = end
	default:
		// Python keeps unknown escapes verbatim, backslash included.
		b.WriteString(l.src[at:l.pos])
	}
	return nil
}

var pyConstants = map[string]string{"True": "true", "False": "false", "None": "null"}

type pyParser struct {
	lex  pyLexer
	tok  pyToken
	deep int
}

// pyToJSON converts one Python literal to compact JSON. Dicts keep their key
// order; tuples and sets become arrays; non-string dict keys become strings
// the way json.dumps writes them.
func pyToJSON(src string) (json.RawMessage, error) {
	p := &pyParser{lex: pyLexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != pyEOF {
		return nil, p.lex.errorf(p.tok.pos, "unexpected %q after the value", p.tok.text)
	}
	return v, nil
}

func (p *pyParser) advance() error {
	t, err := p.lex.next()
	p.tok = t
	return err
}

func (p *pyParser) isPunct(s string) bool { return p.tok.kind == pyPunct && p.tok.text == s }

func (p *pyParser) value() (json.RawMessage, error) {
	p.deep++
	defer func() { p.deep-- }()
	if p.deep > maxPyDepth {
		return nil, p.lex.errorf(p.tok.pos, "nested too deeply")
	}
	t := p.tok
	switch t.kind {
	case pyString:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return jsonString(t.text), nil
	case pyNumber:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return pyNumberJSON(t)
	case pyName:
		lit, ok := pyConstants[t.text]
		if !ok {
			return nil, p.lex.errorf(t.pos, "unknown name %q", t.text)
		}
		return json.RawMessage(lit), p.advance()
	case pyPunct:
		switch t.text {
		case "[":
			return p.sequence("]")
		case "(":
			return p.sequence(")")
		case "{":
			return p.braces()
		}
	}
	if t.kind == pyEOF {
		return nil, p.lex.errorf(t.pos, "unexpected end")
	}
	return nil, p.lex.errorf(t.pos, "unexpected %q", t.text)
}

// sequence parses a list or tuple after its opening bracket. "(x)" without a
// comma is just x in parentheses, as in Python.
func (p *pyParser) sequence(closing string) (json.RawMessage, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	sawComma := false
	for !p.isPunct(closing) {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		if !p.isPunct(",") {
			break
		}
		sawComma = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expect(closing); err != nil {
		return nil, err
	}
	if closing == ")" && len(items) == 1 && !sawComma {
		return items[0], nil
	}
	return joinJSON('[', ']', items), nil
}

// braces parses a dict or a set after "{".
func (p *pyParser) braces() (json.RawMessage, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	isDict := true
	for n := 0; !p.isPunct("}"); n++ {
		keyTok := p.tok
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			isDict = p.isPunct(":")
		}
		if isDict {
			key, err := pyKey(keyTok, v)
			if err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			val, err := p.value()
			if err != nil {
				return nil, err
			}
			v = append(append(key, ':'), val...)
		}
		items = append(items, v)
		if !p.isPunct(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("}"); err != nil {
		return nil, err
	}
	if isDict {
		return joinJSON('{', '}', items), nil
	}
	return joinJSON('[', ']', items), nil
}

// pyKey turns a parsed dict key into a JSON object key.
func pyKey(t pyToken, v json.RawMessage) (json.RawMessage, error) {
	switch {
	case t.kind == pyString:
		return v, nil
	case t.kind == pyNumber || t.kind == pyName:
		return jsonString(string(v)), nil
	}
	return nil, errors.New("python literal: dict key must be a string, number, bool or None")
}

func (p *pyParser) expect(punct string) error {
	if !p.isPunct(punct) {
		if p.tok.kind == pyEOF {
			return p.lex.errorf(p.tok.pos, "want %q, got the end", punct)
		}
		return p.lex.errorf(p.tok.pos, "want %q, got %q", punct, p.tok.text)
	}
	return p.advance()
}

// pyNumberJSON rewrites a Python number (1_000, 0x1F, .5, 1., +3) as JSON.
func pyNumberJSON(t pyToken) (json.RawMessage, error) {
	s := strings.TrimPrefix(t.text, "+")
	if json.Valid([]byte(s)) {
		return json.RawMessage(s), nil
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return json.RawMessage(strconv.FormatInt(i, 10)), nil
	}
	plain := strings.ReplaceAll(s, "_", "")
	if f, err := strconv.ParseFloat(plain, 64); err == nil && !strings.ContainsAny(plain, "xXpPiInN") {
		return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return nil, fmt.Errorf("python literal at offset %d: bad number %q", t.pos, t.text)
}

func joinJSON(open, closing byte, items []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte(open)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(closing)
	return b.Bytes()
}
