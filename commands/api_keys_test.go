package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/memstore"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

var testKeyHasher = func() domain.KeyHasher {
	h, err := domain.NewKeyHasher("a test salt of enough bytes")
	if err != nil {
		panic(err)
	}
	return h
}()

const keyHash = "0000000000000000000000000000000000000000000000000000000000000000"

var keyID = uuid.MustParse("7d1c9a3e-2b4f-4e51-9c0d-1a2b3c4d5e6f")

// givenKey stores past events on the key's stream.
func givenKey(t *testing.T, store *memstore.Store, events ...domain.Event) {
	t.Helper()
	if len(events) == 0 {
		return
	}
	_, err := commands.NewRepository(store).Save(context.Background(), domain.Metadata{Actor: "test"},
		commands.Change{Stream: domain.APIKeyStream(keyID), Expected: domain.NoStream, Events: events, ID: commands.ByIndex("given", keyID.String())})
	if err != nil {
		t.Fatal(err)
	}
}

// newKeyEvents returns the events the command appended after the given ones.
func newKeyEvents(t *testing.T, store *memstore.Store, given int) []domain.Event {
	t.Helper()
	recs, err := store.ReadStream(context.Background(), domain.APIKeyStream(keyID), int64(given), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]domain.Event, len(recs))
	for i, re := range recs {
		if out[i], err = domain.Decode(re); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestKeyDecisions(t *testing.T) {
	t.Parallel()
	at := fixedNow().UTC()
	issued := domain.APIKeyIssued{KeyID: keyID, Owner: "ana@example.com", Tier: domain.TierStandard, Prefix: "pf_live_abcd", Hash: keyHash, IssuedBy: "ops@example.com", IssuedAt: at}
	revoked := domain.APIKeyRevoked{KeyID: keyID, RevokedBy: "ops@example.com", RevokedAt: at}
	tests := []struct {
		name    string
		given   []domain.Event
		when    func(ctx context.Context, store *memstore.Store) error
		then    []domain.Event
		wantErr error
	}{
		{
			name: "tier change", given: []domain.Event{issued},
			when: changeTier(domain.TierPower, "ops@example.com"),
			then: []domain.Event{domain.APIKeyTierChanged{KeyID: keyID, From: domain.TierStandard, To: domain.TierPower, ChangedBy: "ops@example.com", ChangedAt: at}},
		},
		{
			name: "tier change to the tier the key has records nothing", given: []domain.Event{issued},
			when: changeTier(domain.TierStandard, "ops@example.com"),
		},
		{
			name: "tier change to an unknown tier", given: []domain.Event{issued},
			when: changeTier("gold", "ops@example.com"), wantErr: domain.ErrUnknownTier,
		},
		{
			name: "tier change of a revoked key", given: []domain.Event{issued, revoked},
			when: changeTier(domain.TierAdmin, "ops@example.com"), wantErr: domain.ErrKeyRevoked,
		},
		{
			name: "tier change of an unknown key",
			when: changeTier(domain.TierAdmin, "ops@example.com"), wantErr: domain.ErrUnknownKey,
		},
		{
			name: "tier change without an actor", given: []domain.Event{issued},
			when: changeTier(domain.TierAdmin, " "), wantErr: domain.ErrNoActor,
		},
		{
			name: "revoke with a reason", given: []domain.Event{issued},
			when: revoke("ops@example.com", "  left the company "),
			then: []domain.Event{domain.APIKeyRevoked{KeyID: keyID, RevokedBy: "ops@example.com", Reason: "left the company", RevokedAt: at}},
		},
		{
			name: "revoke keeps the first 200 characters of a reason", given: []domain.Event{issued},
			when: revoke("ops@example.com", strings.Repeat("é", 300)),
			then: []domain.Event{domain.APIKeyRevoked{KeyID: keyID, RevokedBy: "ops@example.com", Reason: strings.Repeat("é", 200), RevokedAt: at}},
		},
		{
			name: "revoke twice", given: []domain.Event{issued, revoked},
			when: revoke("ops@example.com", ""), wantErr: domain.ErrKeyRevoked,
		},
		{
			name: "revoke an unknown key",
			when: revoke("ops@example.com", ""), wantErr: domain.ErrUnknownKey,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := memstore.New(fixedNow)
			givenKey(t, store, tc.given...)
			err := tc.when(context.Background(), store)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			got := newKeyEvents(t, store, len(tc.given))
			if tc.then == nil {
				tc.then = []domain.Event{}
			}
			if mustJSON(t, got) != mustJSON(t, tc.then) {
				t.Errorf("new events\n got  %s\n want %s", mustJSON(t, got), mustJSON(t, tc.then))
			}
		})
	}
}

func changeTier(tier domain.Tier, by string) func(context.Context, *memstore.Store) error {
	return func(ctx context.Context, store *memstore.Store) error {
		return commands.NewChangeKeyTierHandler(store, fixedNow).Handle(ctx, commands.ChangeKeyTier{KeyID: keyID, Tier: tier, ChangedBy: by})
	}
}

func revoke(by, reason string) func(context.Context, *memstore.Store) error {
	return func(ctx context.Context, store *memstore.Store) error {
		return commands.NewRevokeKeyHandler(store, fixedNow).Handle(ctx, commands.RevokeKey{KeyID: keyID, RevokedBy: by, Reason: reason})
	}
}

func TestIssueKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cmd     commands.IssueKey
		wantErr error
	}{
		{name: "standard key", cmd: commands.IssueKey{Owner: "Ana@Example.com", Tier: domain.TierStandard, IssuedBy: "ops@example.com"}},
		{name: "admin key, tier in any case", cmd: commands.IssueKey{Owner: "ops@example.com", Tier: "ADMIN", IssuedBy: "cli"}},
		{name: "owner is not an email", cmd: commands.IssueKey{Owner: "ana", Tier: domain.TierPower, IssuedBy: "cli"}, wantErr: domain.ErrInvalidEmail},
		{name: "owner with a display name", cmd: commands.IssueKey{Owner: "Ana <ana@example.com>", Tier: domain.TierPower, IssuedBy: "cli"}, wantErr: domain.ErrInvalidEmail},
		{name: "unknown tier", cmd: commands.IssueKey{Owner: "ana@example.com", Tier: "gold", IssuedBy: "cli"}, wantErr: domain.ErrUnknownTier},
		{name: "no issuer", cmd: commands.IssueKey{Owner: "ana@example.com", Tier: domain.TierPower}, wantErr: domain.ErrNoActor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := memstore.New(fixedNow)
			got, err := commands.NewIssueKeyHandler(store, testKeyHasher, fixedNow).Handle(context.Background(), tc.cmd)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if n := countEvents(t, store, ""); n != 0 {
					t.Errorf("a refused issue stored %d events", n)
				}
				return
			}
			raw := got.Key.Reveal()
			if !domain.LooksLikeKey(raw) || !strings.HasPrefix(raw, got.Prefix) || len(got.Prefix) != len("pf_live_")+4 {
				t.Errorf("key %q prefix %q", raw, got.Prefix)
			}
			evs := newKeyEventsOf(t, store, got.KeyID)
			want := domain.APIKeyIssued{
				KeyID: got.KeyID, Owner: strings.ToLower(tc.cmd.Owner), Tier: got.Tier, Prefix: got.Prefix,
				Hash: testKeyHasher.Hash(raw), IssuedBy: tc.cmd.IssuedBy, IssuedAt: fixedNow().UTC(),
			}
			if mustJSON(t, evs) != mustJSON(t, []domain.Event{want}) {
				t.Errorf("events %s, want %s", mustJSON(t, evs), mustJSON(t, []domain.Event{want}))
			}
			all, err := store.ReadAll(context.Background(), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := json.Marshal(all)
			if strings.Contains(string(stored), raw) || strings.Contains(mustJSON(t, got), raw) {
				t.Error("the raw key is stored, or shows in the result's JSON")
			}
		})
	}
}

func TestIssuedKeysDiffer(t *testing.T) {
	t.Parallel()
	store := memstore.New(fixedNow)
	h := commands.NewIssueKeyHandler(store, testKeyHasher, fixedNow)
	seen := map[string]bool{}
	for range 20 {
		k, err := h.Handle(context.Background(), commands.IssueKey{Owner: "ana@example.com", Tier: domain.TierPower, IssuedBy: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if seen[k.Key.Reveal()] || seen[k.KeyID.String()] {
			t.Fatalf("key or id issued twice: %s", k.KeyID)
		}
		seen[k.Key.Reveal()], seen[k.KeyID.String()] = true, true
	}
}

func newKeyEventsOf(t *testing.T, store *memstore.Store, id uuid.UUID) []domain.Event {
	t.Helper()
	recs, err := store.ReadStream(context.Background(), domain.APIKeyStream(id), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]domain.Event, len(recs))
	for i, re := range recs {
		if out[i], err = domain.Decode(re); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
