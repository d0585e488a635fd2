package legacysqlite

import (
	"math"
	"testing"
	"time"
)

func TestParseNumberText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		percent bool
		wantErr bool
	}{
		{in: "42", want: 42},
		{in: " 42 ", want: 42},
		{in: "12,500", want: 12500},
		{in: "$12,500", want: 12500},
		{in: "€1 250.50", want: 1250.5},
		{in: "1.2e7", want: 1.2e7},
		{in: "-3.5", want: -3.5},
		{in: "15M", want: 15e6},
		{in: "1.2B", want: 1.2e9},
		{in: "3k", want: 3000},
		{in: "$2.5m", want: 2.5e6},
		{in: "45.2%", want: 45.2, percent: true},
		{in: "45.2 %", want: 45.2, percent: true},
		{in: "", wantErr: true},
		{in: "n/a", wantErr: true},
		{in: "M", wantErr: true},
		{in: "12abc", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "5%k", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, pct, err := parseNumberText(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (math.Abs(got-tt.want) > 1e-9*math.Max(1, math.Abs(tt.want)) || pct != tt.percent) {
				t.Fatalf("got %v percent=%v, want %v percent=%v", got, pct, tt.want, tt.percent)
			}
		})
	}
}

// optional describes an expected converter result: unknown, a value, or an error.
type optional[T any] struct {
	val     *T
	wantErr bool
}

func some[T any](v T) optional[T] { return optional[T]{val: &v} }
func unknown[T any]() optional[T] { return optional[T]{} }
func failed[T any]() optional[T]  { return optional[T]{wantErr: true} }

func checkOptional[T any](t *testing.T, got *T, err error, want optional[T], eq func(a, b T) bool) {
	t.Helper()
	if (err != nil) != want.wantErr {
		t.Fatalf("err = %v, want error %v", err, want.wantErr)
	}
	switch {
	case want.val == nil && got != nil:
		t.Fatalf("got %v, want unknown", *got)
	case want.val != nil && got == nil:
		t.Fatalf("got unknown, want %v", *want.val)
	case want.val != nil && !eq(*got, *want.val):
		t.Fatalf("got %v, want %v", *got, *want.val)
	}
}

func near(a, b float64) bool          { return math.Abs(a-b) < 1e-9 }
func equal[T comparable](a, b T) bool { return a == b }

func TestToInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want optional[int64]
	}{
		{"null", nil, unknown[int64]()},
		{"blank text", "  ", unknown[int64]()},
		{"integer", int64(12500), some[int64](12500)},
		{"real", 1234567.0, some[int64](1234567)},
		{"real rounds", 95.6, some[int64](96)},
		{"money text", "$12,500", some[int64](12500)},
		{"exponent text", "1.2e7", some[int64](12_000_000)},
		{"suffix text", "15M", some[int64](15_000_000)},
		{"padded text", " 42 ", some[int64](42)},
		{"blob text", []byte("7"), some[int64](7)},
		{"garbage", "call sales", failed[int64]()},
		{"percent", "45%", failed[int64]()},
		{"too big", 1e19, failed[int64]()},
		{"infinite", math.Inf(1), failed[int64]()},
		{"binary blob", []byte{0xff, 0xfe}, failed[int64]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toInt(tt.in)
			checkOptional(t, got, err, tt.want, equal[int64])
		})
	}
}

func TestToFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want optional[float64]
	}{
		{"null", nil, unknown[float64]()},
		{"real", 4.25, some(4.25)},
		{"integer", int64(3), some(3.0)},
		{"billions", "1.2B", some(1.2e9)},
		{"money", "$1,250.75", some(1250.75)},
		{"percent refused", "12%", failed[float64]()},
		{"garbage", "TBD", failed[float64]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toFloat(tt.in)
			checkOptional(t, got, err, tt.want, near)
		})
	}
}

func TestToPercentPoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want optional[float64]
	}{
		{"real", 12.5, some(12.5)},
		{"negative", -8.0, some(-8.0)},
		{"above a hundred", 250.0, some(250.0)},
		{"percent sign", "12.5%", some(12.5)},
		{"null", nil, unknown[float64]()},
		{"garbage", "up", failed[float64]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toPercentPoints(tt.in)
			checkOptional(t, got, err, tt.want, near)
		})
	}
}

func TestToFraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want optional[float64]
	}{
		{"fraction", 0.452, some(0.452)},
		{"percent value", 45.2, some(0.452)},
		{"percent text", "45.2%", some(0.452)},
		{"small percent text", "0.5%", some(0.005)},
		{"fraction text", "0.3", some(0.3)},
		{"percent as text number", "45.2", some(0.452)},
		{"one is all", int64(1), some(1.0)},
		{"zero", int64(0), some(0.0)},
		{"hundred", int64(100), some(1.0)},
		{"hundred percent text", "100%", some(1.0)},
		{"above a hundred", 140.0, failed[float64]()},
		{"above a hundred text", "140%", failed[float64]()},
		{"negative", -0.1, failed[float64]()},
		{"null", nil, unknown[float64]()},
		{"garbage", "high", failed[float64]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toFraction(tt.in)
			checkOptional(t, got, err, tt.want, near)
		})
	}
}

func TestToBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want optional[bool]
	}{
		{"one", int64(1), some(true)},
		{"zero", int64(0), some(false)},
		{"real one", 1.0, some(true)},
		{"text one", "1", some(true)},
		{"text zero", "0", some(false)},
		{"true", "true", some(true)},
		{"False", "False", some(false)},
		{"YES", "YES", some(true)},
		{"no", " no ", some(false)},
		{"null", nil, unknown[bool]()},
		{"blank", "", unknown[bool]()},
		{"two", int64(2), failed[bool]()},
		{"maybe", "maybe", failed[bool]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toBool(tt.in)
			checkOptional(t, got, err, tt.want, equal[bool])
		})
	}
}

func TestToTime(t *testing.T) {
	t.Parallel()
	noon := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want optional[time.Time]
	}{
		{"space separated", "2024-03-01 12:00:00", some(noon)},
		{"T separated", "2024-03-01T12:00:00", some(noon)},
		{"Z", "2024-03-01T12:00:00Z", some(noon)},
		{"offset", "2024-03-01T14:00:00+02:00", some(noon)},
		{"offset without colon", "2024-03-01T14:00:00+0200", some(noon)},
		{"space offset", "2024-03-01 07:00:00-05:00", some(noon)},
		{"fractional", "2024-03-01 12:00:00.250", some(noon.Add(250 * time.Millisecond))},
		{"fractional offset", "2024-03-01T14:00:00.5+02:00", some(noon.Add(500 * time.Millisecond))},
		{"minutes only", "2024-03-01 12:00", some(noon)},
		{"date only", "2024-03-01", some(noon.Add(-12 * time.Hour))},
		{"padded", " 2024-03-01 12:00:00 ", some(noon)},
		{"unix seconds", noon.Unix(), some(noon)},
		{"unix seconds real", float64(noon.Unix()), some(noon)},
		{"unix seconds text", "1709294400", some(noon)},
		{"unix millis", noon.UnixMilli(), some(noon)},
		{"driver time", noon.In(time.FixedZone("x", 3600)), some(noon)},
		{"null", nil, unknown[time.Time]()},
		{"blank", "", unknown[time.Time]()},
		{"garbage", "last tuesday", failed[time.Time]()},
		{"bad month", "2024-13-01", failed[time.Time]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toTime(tt.in)
			checkOptional(t, got, err, tt.want, func(a, b time.Time) bool { return a.Equal(b) && a.Location() == time.UTC })
		})
	}
}

func TestToText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      any
		want    string
		wantErr bool
	}{
		{"trimmed", "  Acme Outfitters \n", "Acme Outfitters", false},
		{"blank is unknown", "   ", "", false},
		{"null is unknown", nil, "", false},
		{"integer", int64(7203), "7203", false},
		{"real", 2.5, "2.5", false},
		{"blob", []byte(" Tokyo "), "Tokyo", false},
		{"binary blob", []byte{0xc3, 0x28}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := toText(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
