package httpapi

import (
	"slices"
	"strings"
)

// Navigation of the parsed OpenAPI document, for the contract test.

// operations lists "METHOD /path" for every operation in the document.
func (d *openAPIDoc) operations() []string {
	var out []string
	paths, _ := d.root["paths"].(map[string]any)
	for _, path := range sortedKeys(paths) {
		item, _ := paths[path].(map[string]any)
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch"} {
			if _, ok := item[m]; ok {
				out = append(out, strings.ToUpper(m)+" "+path)
			}
		}
	}
	return out
}

func (d *openAPIDoc) operation(method, path string) map[string]any {
	op, _ := jsonPath(d.root, "paths", path, strings.ToLower(method)).(map[string]any)
	return op
}

func (d *openAPIDoc) responses(method, path string) map[string]any {
	rs, _ := jsonPath(d.operation(method, path), "responses").(map[string]any)
	return rs
}

// parameters returns the operation's parameters with $refs resolved.
func (d *openAPIDoc) parameters(method, path string) []map[string]any {
	raw, _ := jsonPath(d.operation(method, path), "parameters").([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, p := range raw {
		if m, err := d.resolve(p); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// route finds the documented path template a concrete path matches,
// preferring literal segments over parameters as the router does.
func (d *openAPIDoc) route(path string) (string, bool) {
	parts := strings.Split(path, "/")
	best, bestLiterals := "", -1
	paths, _ := d.root["paths"].(map[string]any)
	for tmpl := range paths {
		tparts := strings.Split(tmpl, "/")
		if len(tparts) != len(parts) {
			continue
		}
		literals, ok := 0, true
		for i, seg := range tparts {
			switch {
			case strings.HasPrefix(seg, "{") && parts[i] != "":
			case seg == parts[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = tmpl, literals
		}
	}
	return best, bestLiterals >= 0
}

func jsonPath(node any, keys ...string) any {
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return node
}

// ginPathToOpenAPI turns /api/companies/:domain into /api/companies/{domain}.
func ginPathToOpenAPI(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
