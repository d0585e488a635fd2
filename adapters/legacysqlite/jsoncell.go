package legacysqlite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// errKeptAsText reports structured-looking text that was neither JSON nor a
// Python literal. The value is still imported, as a JSON string, so nothing
// the legacy list held is lost.
var errKeptAsText = errors.New("neither JSON nor a Python literal; kept as a JSON string")

// toJSON converts a JSON-ish cell to valid JSON: JSON text is compacted,
// Python literals are converted and any other text becomes a JSON string. A
// JSON null (or Python None) means unknown. On errKeptAsText the returned
// value is usable.
func toJSON(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		return json.RawMessage(strconv.FormatInt(x, 10)), nil
	case float64:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("number %v: %w", x, err)
		}
		return b, nil
	}
	s, ok, err := cellText(v)
	if !ok {
		return nil, fmt.Errorf("unsupported value type %T for JSON", v)
	}
	if err != nil || s == "" {
		return nil, err
	}
	var out json.RawMessage
	if json.Valid([]byte(s)) {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(s)); err != nil {
			return nil, fmt.Errorf("compact JSON: %w", err)
		}
		out = b.Bytes()
	} else if py, err := pyToJSON(s); err == nil {
		out = py
	} else {
		out = jsonString(s)
		if s[0] == '[' || s[0] == '{' || s[0] == '(' {
			return out, errKeptAsText
		}
		return out, nil
	}
	if string(out) == "null" {
		return nil, nil
	}
	return out, nil
}

// jsonString encodes s as a JSON string without json.Marshal's HTML escaping,
// so "AT&T" stays readable in stored events.
func jsonString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
