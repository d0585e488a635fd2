package legacysqlite

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The converters below turn one scanned SQLite value into a typed value. They
// share a contract: (nil, nil) means the cell holds nothing (NULL or blank), a
// non-nil error means the cell holds something unusable. The reader records
// such errors as warnings and leaves the field unknown; it never drops a row
// for a bad attribute.
//
// The scanned value is whatever the driver produced for the cell's storage
// class, which in SQLite need not match the declared column type: int64,
// float64, string, []byte, nil, or time.Time for TIMESTAMP columns whose text
// the driver could parse itself.

// errNotText rejects a blob that is not UTF-8; nothing in the legacy list
// stores binary data on purpose.
var errNotText = errors.New("binary value is not UTF-8 text")

// cellText returns the trimmed text of a TEXT or BLOB cell, ok=false when the
// cell has another storage class.
func cellText(v any) (s string, ok bool, err error) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true, nil
	case []byte:
		if !utf8.Valid(x) {
			return "", true, errNotText
		}
		return strings.TrimSpace(string(x)), true, nil
	}
	return "", false, nil
}

// toText converts a cell to a trimmed string; "" means unknown. Numbers in a
// text column are written the way SQLite would print them.
func toText(v any) (string, error) {
	if s, ok, err := cellText(v); ok {
		return s, err
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("unsupported value type %T", v)
}

// multipliers are the magnitude suffixes people type into spreadsheets.
var multipliers = map[byte]float64{'k': 1e3, 'm': 1e6, 'b': 1e9, 't': 1e12}

// parseNumberText reads a number written by a person: surrounding blanks,
// a currency sign, thousands separators, a k/M/B/T magnitude suffix or a
// trailing percent sign. percent reports the sign; the value is returned as
// written (45.2% gives 45.2), because only the column knows what a percent
// means for it.
func parseNumberText(s string) (value float64, percent bool, err error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "$€£")
	s = strings.NewReplacer(",", "", "_", "", " ", "", "\u00a0", "").Replace(s)
	if rest, ok := strings.CutSuffix(s, "%"); ok {
		s, percent = rest, true
	}
	mult := 1.0
	if n := len(s); n > 1 && !percent {
		if m, ok := multipliers[lower(s[n-1])]; ok {
			s, mult = s[:n-1], m
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("not a number: %q", orig)
	}
	return f * mult, percent, nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// toNumber converts a numeric or text cell to a float. percent reports a
// trailing percent sign in text.
func toNumber(v any) (f *float64, percent bool, err error) {
	if s, ok, err := cellText(v); ok {
		if err != nil || s == "" {
			return nil, false, err
		}
		n, pct, err := parseNumberText(s)
		if err != nil {
			return nil, false, err
		}
		return &n, pct, nil
	}
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case int64:
		n := float64(x)
		return &n, false, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false, fmt.Errorf("not a finite number: %v", x)
		}
		return &x, false, nil
	}
	return nil, false, fmt.Errorf("unsupported value type %T for a number", v)
}

// toFloat converts a cell holding an amount or ratio that is not a share, such
// as revenue or pages per visit. A percent sign is refused there: "12%" of
// revenue means nothing.
func toFloat(v any) (*float64, error) {
	f, pct, err := toNumber(v)
	if err != nil {
		return nil, err
	}
	if pct {
		return nil, errors.New("percent sign in a column that is not a share")
	}
	return f, nil
}

// toPercentPoints converts a cell measured in percentage points, where a
// percent sign is just decoration ("12.5%" and 12.5 are the same value).
func toPercentPoints(v any) (*float64, error) {
	f, _, err := toNumber(v)
	return f, err
}

// toInt converts a cell to a whole number. A fractional value is rounded:
// legacy exports wrote 1.2e7 visits or an average duration of 95.4 seconds,
// and the nearest whole number is what they meant.
func toInt(v any) (*int64, error) {
	if x, ok := v.(int64); ok {
		return &x, nil
	}
	f, err := toFloat(v)
	if err != nil || f == nil {
		return nil, err
	}
	r := math.Round(*f)
	// 2^63 is the first float64 outside the int64 range.
	if r >= math.Exp2(63) || r < -math.Exp2(63) {
		return nil, fmt.Errorf("number %g out of range", *f)
	}
	n := int64(r)
	return &n, nil
}

// toFraction converts a share (bounce rate, search traffic, gross margin) to
// a fraction 0–1. The legacy list mixed two scales, so the value decides: a
// text ending in "%" or a value above 1 is a percent and is divided by 100;
// a value of at most 1 is already a fraction. That makes 1 mean 100 %, never
// 1 %, which is the reading that keeps real fractions intact.
func toFraction(v any) (*float64, error) {
	f, pct, err := toNumber(v)
	if err != nil || f == nil {
		return nil, err
	}
	x := *f
	if x < 0 || x > 100 {
		return nil, fmt.Errorf("share %g outside 0–100 %%", x)
	}
	if pct || x > 1 {
		x /= 100
	}
	return &x, nil
}

// toBool converts 0/1, true/false and yes/no in any case.
func toBool(v any) (*bool, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		t, ok, err := cellText(v)
		if !ok {
			return nil, fmt.Errorf("unsupported value type %T for a boolean", v)
		}
		if err != nil || t == "" {
			return nil, err
		}
		s = t
	}
	var b bool
	switch strings.ToLower(s) {
	case "1", "true", "yes":
		b = true
	case "0", "false", "no":
		b = false
	default:
		return nil, fmt.Errorf("not a boolean: %q", s)
	}
	return &b, nil
}

// timeLayouts are tried in order. time.Parse accepts fractional seconds after
// the seconds field even when a layout does not mention them, and "Z07:00"
// accepts both "Z" and "+02:00". Layouts without a zone parse as UTC, which is
// how the legacy list meant its naive times.
var timeLayouts = []string{
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// unixMillisAbove separates Unix seconds from Unix milliseconds: 1e11 seconds
// is the year 5138, while 1e11 milliseconds is 1973.
const unixMillisAbove = 1e11

// toTime converts a timestamp cell to UTC. Numbers (and numeric text) are Unix
// seconds, or milliseconds when implausibly large as seconds.
func toTime(v any) (*time.Time, error) {
	var t time.Time
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = x
	case int64:
		t = unixTime(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("not a finite timestamp: %v", x)
		}
		t = unixTime(x)
	default:
		s, ok, err := cellText(v)
		if !ok {
			return nil, fmt.Errorf("unsupported value type %T for a timestamp", v)
		}
		if err != nil || s == "" {
			return nil, err
		}
		if t, err = parseTimeText(s); err != nil {
			return nil, err
		}
	}
	t = t.UTC()
	return &t, nil
}

func unixTime(sec float64) time.Time {
	if math.Abs(sec) > unixMillisAbove {
		return time.UnixMilli(int64(sec)).UTC()
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

func parseTimeText(s string) (time.Time, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
		return unixTime(n), nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %q", s)
}
