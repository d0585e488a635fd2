package yahoo

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// tickerPattern accepts Yahoo symbols: AAPL, BRK-B, RY.TO, ^GSPC, EURUSD=X.
var tickerPattern = regexp.MustCompile(`^[A-Z0-9^][A-Z0-9.\-=^]{0,14}$`)

// LoadTickerMap reads a domain → ticker map from a .json file
// ({"costco.com": "COST"}) or a .csv file (rows "domain,ticker", an optional
// "domain,ticker" header, blank lines and #-comments ignored). Domains are
// lower-cased and tickers upper-cased; a malformed entry is an error naming
// the file and the line or key, so a typo does not silently go unmatched.
func LoadTickerMap(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open ticker map: %w", err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return readJSONMap(path, f)
	case ".csv":
		return readCSVMap(path, f)
	default:
		return nil, fmt.Errorf("ticker map %s: unsupported extension (want .json or .csv)", path)
	}
}

func readJSONMap(path string, r io.Reader) (map[string]string, error) {
	var raw map[string]string
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("ticker map %s: want a JSON object of domain to ticker: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for d, t := range raw {
		if err := add(out, d, t); err != nil {
			return nil, fmt.Errorf("ticker map %s: key %q: %w", path, d, err)
		}
	}
	return out, nil
}

func readCSVMap(path string, r io.Reader) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 2
	cr.TrimLeadingSpace = true
	out := make(map[string]string)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("ticker map %s: %w", path, err)
		}
		if first && strings.EqualFold(rec[0], "domain") && strings.EqualFold(rec[1], "ticker") {
			continue
		}
		if err := add(out, rec[0], rec[1]); err != nil {
			return nil, fmt.Errorf("ticker map %s line %d: %w", path, line, err)
		}
	}
}

func add(m map[string]string, domainName, ticker string) error {
	d := strings.ToLower(strings.TrimSpace(domainName))
	t := strings.ToUpper(strings.TrimSpace(ticker))
	switch {
	case d == "" || strings.ContainsAny(d, " /:"):
		return fmt.Errorf("invalid domain %q", domainName)
	case !tickerPattern.MatchString(t):
		return fmt.Errorf("invalid ticker %q", ticker)
	}
	if prev, ok := m[d]; ok && prev != t {
		return fmt.Errorf("domain %s mapped twice (%s and %s)", d, prev, t)
	}
	m[d] = t
	return nil
}
