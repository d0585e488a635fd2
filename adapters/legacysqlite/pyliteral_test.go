package legacysqlite

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestPyToJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"escaped quote", `{'a': 'it\'s', 'b': [1, None, True]}`, `{"a":"it's","b":[1,null,true]}`},
		{"mixed quotes", `['x', "y's"]`, `["x","y's"]`},
		{"nested", `{'a': {'b': [{'c': False}]}, 'd': ()}`, `{"a":{"b":[{"c":false}]},"d":[]}`},
		{"keeps key order", `{'z': 1, 'a': 2}`, `{"z":1,"a":2}`},
		{"tuple", `('a', 'b')`, `["a","b"]`},
		{"one-tuple", `('a',)`, `["a"]`},
		{"parenthesised value", `('a')`, `"a"`},
		{"set", `{'a', 'b'}`, `["a","b"]`},
		{"empty dict", `{}`, `{}`},
		{"trailing comma", `[1, 2,]`, `[1,2]`},
		{"numbers", `[-1, +2, 3.5, .5, 1., 1e3, 2.5E-2, 1_000, 0x1F, -0.0]`, `[-1,2,3.5,0.5,1,1e3,2.5E-2,1000,31,-0.0]`},
		{"non-string keys", `{1: 'a', None: 'b', True: 'c', 2.5: 'd'}`, `{"1":"a","null":"b","true":"c","2.5":"d"}`},
		{"escapes", `'tab\there\nline \\ \x41\u00e9\101 \q'`, `"tab\there\nline \\ AéA \\q"`},
		{"unicode text", `['São Paulo', 'Zürich']`, `["São Paulo","Zürich"]`},
		{"double-quoted escapes", `"say \"hi\""`, `"say \"hi\""`},
		{"raw string", `r'C:\path'`, `"C:\\path"`},
		{"unicode prefix", `[u'x', b'y']`, `["x","y"]`},
		{"triple quoted", `'''a 'quoted' word'''`, `"a 'quoted' word"`},
		{"words inside strings stay text", `['True', 'None of it', "it's True"]`, `["True","None of it","it's True"]`},
		{"html-ish text", `['AT&T <b>']`, `["AT&T <b>"]`},
		{"whitespace", "  [ 1 ,\n 2 ]  ", `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := pyToJSON(tt.in)
			if err != nil {
				t.Fatalf("pyToJSON(%s): %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Fatalf("pyToJSON(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON %s", got)
			}
		})
	}
}

func TestPyToJSONRejects(t *testing.T) {
	t.Parallel()
	tests := []string{
		``,
		`[1, 2`,
		`{'a' 1}`,
		`{'a': 1, 'b'}`,
		`['a' 'b']`,
		`'unterminated`,
		"'new\nline'",
		`[datetime(2024, 1, 1)]`,
		`{('a', 'b'): 1}`,
		`[1] [2]`,
		`[nan]`,
		`[1j]`,
		`'\x4'`,
		`[Decimal('1.2')]`,
		`info@example.com`,
		strings.Repeat("[", maxPyDepth+1) + strings.Repeat("]", maxPyDepth+1),
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if got, err := pyToJSON(in); err == nil {
				t.Fatalf("pyToJSON(%q) = %s, want an error", in, got)
			}
		})
	}
}

func TestToJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       any
		want     string // "" means unknown
		keptText bool
	}{
		{"json list", `["a@x.com", "b@x.com"]`, `["a@x.com","b@x.com"]`, false},
		{"json object compacted", "{\n  \"linkedin\": \"x\"\n}", `{"linkedin":"x"}`, false},
		{"python dict", `{'a': 'it\'s', 'b': [1, None, True]}`, `{"a":"it's","b":[1,null,true]}`, false},
		{"python list", `['x', "y's"]`, `["x","y's"]`, false},
		{"plain text", "info@x.com, sales@x.com", `"info@x.com, sales@x.com"`, false},
		{"text with ampersand", "Search & Merchandising", `"Search & Merchandising"`, false},
		{"broken structure", `['info@', `, `"['info@',"`, true},
		{"broken object", `{"a": }`, `"{\"a\": }"`, true},
		{"json null", "null", "", false},
		{"python None", "None", "", false},
		{"blank", "  ", "", false},
		{"sql null", nil, "", false},
		{"integer", int64(3), `3`, false},
		{"real", 2.5, `2.5`, false},
		{"blob", []byte(`[1]`), `[1]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toJSON(tt.in)
			if tt.keptText != errors.Is(err, errKeptAsText) || (err != nil && !tt.keptText) {
				t.Fatalf("err = %v, want kept-as-text %v", err, tt.keptText)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if got != nil && !json.Valid(got) {
				t.Fatalf("invalid JSON %s", got)
			}
		})
	}
}
