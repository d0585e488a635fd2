package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

func TestAPIKeysProjection(t *testing.T) {
	t.Parallel()
	d := isolated(t)
	ctx := context.Background()
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	hasher, err := domain.NewKeyHasher("projection test salt, long enough")
	if err != nil {
		t.Fatal(err)
	}
	issue := commands.NewIssueKeyHandler(store(d), hasher, now)
	ana, err := issue.Handle(ctx, commands.IssueKey{Owner: "ana@example.com", Tier: domain.TierStandard, IssuedBy: "ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ben, err := issue.Handle(ctx, commands.IssueKey{Owner: "ben@example.com", Tier: domain.TierStandard, IssuedBy: "ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := commands.NewChangeKeyTierHandler(store(d), now).Handle(ctx, commands.ChangeKeyTier{KeyID: ana.KeyID, Tier: domain.TierPower, ChangedBy: "ops@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := commands.NewRevokeKeyHandler(store(d), now).Handle(ctx, commands.RevokeKey{KeyID: ben.KeyID, RevokedBy: "ops@example.com"}); err != nil {
		t.Fatal(err)
	}
	runner := newRunner(t, d, projections.APIKeys{})
	catchUp(t, runner)
	keys := postgres.NewAPIKeys(d.Pool)

	tests := []struct {
		name string
		raw  string
		want readmodel.KeyIdentity
		err  error
	}{
		{name: "tier changed", raw: ana.Key.Reveal(), want: readmodel.KeyIdentity{KeyID: ana.KeyID, Owner: "ana@example.com", Tier: domain.TierPower}},
		{name: "revoked", raw: ben.Key.Reveal(), want: readmodel.KeyIdentity{KeyID: ben.KeyID, Owner: "ben@example.com", Tier: domain.TierStandard, Revoked: true}},
		{name: "unknown", raw: "pf_live_unknown", err: readmodel.ErrNotFound},
	}
	for _, tc := range tests {
		got, err := keys.KeyByHash(ctx, hasher.Hash(tc.raw))
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}

	used := at.Add(time.Hour)
	if err := keys.TouchKeys(ctx, map[uuid.UUID]time.Time{ana.KeyID: used}); err != nil {
		t.Fatal(err)
	}
	// An older use recorded later (another instance's flush) does not move
	// last use backwards.
	if err := keys.TouchKeys(ctx, map[uuid.UUID]time.Time{ana.KeyID: at}); err != nil {
		t.Fatal(err)
	}
	before := dump(t, d, "api_keys", "key_id")
	if err := runner.Rebuild(ctx, projections.APIKeysName); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, d, "api_keys", "key_id"); mustJSON(t, after) != mustJSON(t, before) {
		t.Errorf("rebuild changed api_keys:\n%v\n%v", before, after)
	}
	list, err := keys.ListKeys(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	byID := map[uuid.UUID]readmodel.APIKey{list[0].KeyID: list[0], list[1].KeyID: list[1]}
	if k := byID[ana.KeyID]; k.LastUsedAt == nil || !k.LastUsedAt.Equal(used) || k.RevokedAt != nil || k.Prefix != ana.Prefix || k.Tier != domain.TierPower {
		t.Errorf("ana's key after a rebuild: %+v", k)
	}
	if k := byID[ben.KeyID]; k.LastUsedAt != nil || k.RevokedAt == nil || !k.RevokedAt.Equal(at) {
		t.Errorf("ben's key: %+v", k)
	}
}
