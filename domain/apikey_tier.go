package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownTier is returned for a tier name that is not one of Tiers.
var ErrUnknownTier = errors.New("unknown tier")

// Tier is what an API key may do and how often. Tiers are ordered:
// admin may do everything power may, power everything standard may.
type Tier string

const (
	TierStandard Tier = "standard"
	TierPower    Tier = "power"
	TierAdmin    Tier = "admin"
)

// Tiers lists the tiers from least to most capable.
var Tiers = []Tier{TierStandard, TierPower, TierAdmin}

// ParseTier reads a tier name in any case.
func ParseTier(s string) (Tier, error) {
	t := Tier(strings.ToLower(strings.TrimSpace(s)))
	if t.rank() < 0 {
		return "", fmt.Errorf("%w %q (want standard, power or admin)", ErrUnknownTier, s)
	}
	return t, nil
}

func (t Tier) rank() int {
	for i, u := range Tiers {
		if t == u {
			return i
		}
	}
	return -1
}

// AtLeast reports whether t may do what min may.
func (t Tier) AtLeast(min Tier) bool { return t.rank() >= 0 && t.rank() >= min.rank() }

// Unlimited marks a budget with no limit.
const Unlimited = -1

// Limits are a tier's budgets. Reads and writes are per minute and shared
// by every instance; enrichments (new jobs opened) are per UTC day.
type Limits struct {
	ReadsPerMinute    int
	WritesPerMinute   int
	EnrichmentsPerDay int
}

// Limits returns the tier's budgets; an unknown tier gets none.
func (t Tier) Limits() Limits {
	switch t {
	case TierStandard:
		return Limits{ReadsPerMinute: 100, WritesPerMinute: 20, EnrichmentsPerDay: 50}
	case TierPower:
		return Limits{ReadsPerMinute: 500, WritesPerMinute: 100, EnrichmentsPerDay: 200}
	case TierAdmin:
		return Limits{ReadsPerMinute: Unlimited, WritesPerMinute: Unlimited, EnrichmentsPerDay: Unlimited}
	}
	return Limits{}
}
