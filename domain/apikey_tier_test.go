package domain_test

import (
	"errors"
	"testing"

	"github.com/partnerforge/partnerforge/domain"
)

func TestParseTier(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Tier
		err  bool
	}{
		{"standard", domain.TierStandard, false},
		{" Power ", domain.TierPower, false},
		{"ADMIN", domain.TierAdmin, false},
		{"", "", true},
		{"gold", "", true},
	}
	for _, tt := range tests {
		got, err := domain.ParseTier(tt.in)
		if tt.err != (err != nil) || got != tt.want {
			t.Errorf("ParseTier(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if tt.err && !errors.Is(err, domain.ErrUnknownTier) {
			t.Errorf("ParseTier(%q) error %v is not ErrUnknownTier", tt.in, err)
		}
	}
}

func TestTierOrderAndLimits(t *testing.T) {
	if !domain.TierAdmin.AtLeast(domain.TierPower) || !domain.TierPower.AtLeast(domain.TierStandard) {
		t.Error("tiers out of order")
	}
	if domain.TierStandard.AtLeast(domain.TierPower) || domain.Tier("gold").AtLeast(domain.TierStandard) {
		t.Error("a lesser or unknown tier passes as a greater one")
	}
	std, pow := domain.TierStandard.Limits(), domain.TierPower.Limits()
	if std != (domain.Limits{ReadsPerMinute: 100, WritesPerMinute: 20, EnrichmentsPerDay: 50}) {
		t.Errorf("standard limits %+v", std)
	}
	if pow != (domain.Limits{ReadsPerMinute: 500, WritesPerMinute: 100, EnrichmentsPerDay: 200}) {
		t.Errorf("power limits %+v", pow)
	}
	if a := domain.TierAdmin.Limits(); a.ReadsPerMinute != domain.Unlimited || a.EnrichmentsPerDay != domain.Unlimited {
		t.Errorf("admin limits %+v, want unlimited", a)
	}
}
