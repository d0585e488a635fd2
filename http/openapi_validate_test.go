package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// This file validates values against the OpenAPI document's schemas. The
// document keeps to a subset of JSON Schema 2020-12 (the OpenAPI 3.1
// dialect), and this validator enforces every keyword of that subset:
//
//	$ref (to #/components/…), type (a name or a list, "null" included),
//	enum, const, properties, required, additionalProperties (bool or schema),
//	items, minimum, maximum, minLength, maxLength, pattern, format (uuid,
//	date-time)
//
// plus the annotations description, default, examples and title, which it
// ignores. Any other keyword fails validation, so the document cannot use a
// constraint that nothing checks.

var annotationKeywords = []string{"description", "default", "examples", "title"}

type openAPIDoc struct {
	root map[string]any
}

func parseOpenAPI(raw []byte) (*openAPIDoc, error) {
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("parse OpenAPI document: %w", err)
	}
	return &openAPIDoc{root: root}, nil
}

// resolve follows a local $ref ("#/components/schemas/Job") until it reaches
// an object without one.
func (d *openAPIDoc) resolve(node any) (map[string]any, error) {
	for range 16 {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected an object, got %T", node)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		target, err := d.pointer(ref)
		if err != nil {
			return nil, err
		}
		node = target
	}
	return nil, fmt.Errorf("$ref chain too long")
}

func (d *openAPIDoc) pointer(ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("only local $refs are supported: %q", ref)
	}
	var node any = d.root
	for part := range strings.SplitSeq(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside an object", ref, part)
		}
		if node, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	return node, nil
}

// decodeJSON decodes with json.Number so integers can be told from other
// numbers.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

// validate returns one message per violation, each prefixed with the JSON
// path of the offending value ("$" is the root).
func (d *openAPIDoc) validate(schemaNode any, value any, at string) []string {
	schema, err := d.resolve(schemaNode)
	if err != nil {
		return []string{at + ": schema: " + err.Error()}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }

	for _, k := range sortedKeys(schema) {
		if !slices.Contains(schemaKeywords, k) && !slices.Contains(annotationKeywords, k) {
			fail("schema uses unsupported keyword %q", k)
		}
	}
	if t, ok := schema["type"]; ok && !typeMatches(t, value) {
		fail("want type %v, got %s", t, jsonTypeOf(value))
		return errs // the other keywords assume the type
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, value) }) {
		fail("%v is not one of %v", value, enum)
	}
	if c, ok := schema["const"]; ok && !jsonEqual(c, value) {
		fail("want %v, got %v", c, value)
	}
	switch v := value.(type) {
	case map[string]any:
		errs = append(errs, d.validateObject(schema, v, at)...)
	case []any:
		if lo, ok := schema["minItems"].(float64); ok && float64(len(v)) < lo {
			fail("%d items, fewer than the minimum %v", len(v), lo)
		}
		if hi, ok := schema["maxItems"].(float64); ok && float64(len(v)) > hi {
			fail("%d items, more than the maximum %v", len(v), hi)
		}
		if unique, _ := schema["uniqueItems"].(bool); unique {
			for i := range v {
				if slices.ContainsFunc(v[:i], func(e any) bool { return jsonEqual(e, v[i]) }) {
					fail("item %d repeats an earlier item", i)
				}
			}
		}
		if items, ok := schema["items"]; ok {
			for i, item := range v {
				errs = append(errs, d.validate(items, item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case json.Number:
		f, _ := v.Float64()
		if lo, ok := schema["minimum"].(float64); ok && f < lo {
			fail("%v is below the minimum %v", v, lo)
		}
		if hi, ok := schema["maximum"].(float64); ok && f > hi {
			fail("%v is above the maximum %v", v, hi)
		}
	case string:
		errs = append(errs, validateString(schema, v, at)...)
	}
	return errs
}

var schemaKeywords = []string{"$ref", "type", "enum", "const", "properties", "required", "additionalProperties",
	"items", "minItems", "maxItems", "uniqueItems", "minimum", "maximum", "minLength", "maxLength", "pattern", "format"}

func (d *openAPIDoc) validateObject(schema map[string]any, obj map[string]any, at string) []string {
	var errs []string
	props, _ := schema["properties"].(map[string]any)
	if req, ok := schema["required"].([]any); ok {
		for _, name := range req {
			if _, present := obj[name.(string)]; !present {
				errs = append(errs, fmt.Sprintf("%s: missing required property %q", at, name))
			}
		}
	}
	for _, k := range sortedKeys(obj) {
		child := at + "." + k
		if ps, ok := props[k]; ok {
			errs = append(errs, d.validate(ps, obj[k], child)...)
			continue
		}
		switch extra := schema["additionalProperties"].(type) {
		case bool:
			if !extra {
				errs = append(errs, child+": property is not in the document")
			}
		case map[string]any:
			errs = append(errs, d.validate(extra, obj[k], child)...)
		}
	}
	return errs
}

func validateString(schema map[string]any, s, at string) []string {
	var errs []string
	n := len([]rune(s))
	if lo, ok := schema["minLength"].(float64); ok && float64(n) < lo {
		errs = append(errs, fmt.Sprintf("%s: %q is shorter than %v", at, s, lo))
	}
	if hi, ok := schema["maxLength"].(float64); ok && float64(n) > hi {
		errs = append(errs, fmt.Sprintf("%s: %q is longer than %v", at, s, hi))
	}
	if p, ok := schema["pattern"].(string); ok {
		re, err := regexp.Compile(p)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: schema pattern %q: %v", at, p, err))
		} else if !re.MatchString(s) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %s", at, s, p))
		}
	}
	switch schema["format"] {
	case "uuid":
		if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
			errs = append(errs, fmt.Sprintf("%s: %q is not a UUID", at, s))
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not an RFC 3339 date-time", at, s))
		}
	case nil:
	default:
		errs = append(errs, fmt.Sprintf("%s: schema format %v is not supported", at, schema["format"]))
	}
	return errs
}

func typeMatches(t any, v any) bool {
	switch t := t.(type) {
	case string:
		return typeIs(t, v)
	case []any:
		return slices.ContainsFunc(t, func(x any) bool { s, _ := x.(string); return typeIs(s, v) })
	}
	return false
}

func typeIs(name string, v any) bool {
	got := jsonTypeOf(v)
	return got == name || (name == "number" && got == "integer")
}

func jsonTypeOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if f, err := v.Float64(); err == nil && f == math.Trunc(f) && !strings.ContainsAny(string(v), ".eE") {
			return "integer"
		}
		return "number"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// jsonEqual compares a document value (float64 numbers) with a response
// value (json.Number numbers).
func jsonEqual(a, b any) bool {
	num := func(x any) (float64, bool) {
		switch x := x.(type) {
		case float64:
			return x, true
		case json.Number:
			f, err := x.Float64()
			return f, err == nil
		}
		return 0, false
	}
	if fa, ok := num(a); ok {
		fb, ok := num(b)
		return ok && fa == fb
	}
	return fmt.Sprint(a) == fmt.Sprint(b) && jsonTypeOf(a) == jsonTypeOf(b)
}

// validateParam checks a query, path or header value, which arrives as
// text, against a parameter's schema: integers and booleans are parsed
// first, arrays are the repeated values (form style, exploded).
func (d *openAPIDoc) validateParam(schemaNode any, values []string, at string) []string {
	schema, err := d.resolve(schemaNode)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	if schema["type"] == "array" {
		items := make([]any, len(values))
		itemSchema, _ := d.resolve(schema["items"])
		for i, v := range values {
			items[i] = scalarFromText(itemSchema, v)
		}
		return d.validate(schema, items, at)
	}
	if len(values) != 1 {
		return []string{fmt.Sprintf("%s: want one value, got %d", at, len(values))}
	}
	return d.validate(schema, scalarFromText(schema, values[0]), at)
}

func scalarFromText(schema map[string]any, s string) any {
	switch schema["type"] {
	case "integer", "number":
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s)
		}
	case "boolean":
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
