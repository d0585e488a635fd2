package eventstoretest

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// SnapshotStore is the contract of a store that also keeps snapshots.
type SnapshotStore interface {
	Store
	ReadFromSnapshots(ctx context.Context, limit int, reads ...domain.SnapshotRead) ([]domain.StreamTail, error)
	SaveSnapshot(ctx context.Context, s domain.Snapshot) error
}

// RunSnapshots runs the snapshot contract against store: a snapshot comes
// back byte for byte with the events after it, only while the event it
// names is stored at its version and only in the format asked for, and a
// save never replaces a newer usable snapshot with an older one.
func RunSnapshots(t *testing.T, store SnapshotStore) {
	ctx := context.Background()
	const format = "contract/1"
	// given appends n events to a new stream and returns it and them.
	given := func(t *testing.T, n int) (string, []domain.RecordedEvent) {
		t.Helper()
		stream := UniqueStream("snap")
		evs := make([]domain.EventData, n)
		for i := range evs {
			evs[i] = NewEvent(t, "Happened", map[string]int{"n": i + 1})
		}
		if _, err := store.Append(ctx, stream, domain.NoStream, evs...); err != nil {
			t.Fatal(err)
		}
		stored, err := store.ReadStream(ctx, stream, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		return stream, stored
	}
	// State with spacing and key order a jsonb column would change: the
	// digest is over these exact bytes.
	snapshotAt := func(stream string, evs []domain.RecordedEvent, version int64, state string) domain.Snapshot {
		s := domain.Snapshot{Stream: stream, Version: version, EventID: evs[version-1].ID, Format: format, State: []byte(state)}
		s.Seal()
		return s
	}
	read := func(t *testing.T, stream, format string, limit int) (*domain.Snapshot, []int64) {
		t.Helper()
		tails, err := store.ReadFromSnapshots(ctx, limit, domain.SnapshotRead{Stream: stream, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		if len(tails) != 1 {
			t.Fatalf("%d tails for one read", len(tails))
		}
		snap, tail := tails[0].Snapshot, tails[0].Events
		versions := make([]int64, len(tail))
		for i, e := range tail {
			if e.StreamID != stream || e.ID == uuid.Nil {
				t.Fatalf("tail event %+v is not the stream's", e)
			}
			versions[i] = e.StreamVersion
		}
		return snap, versions
	}
	equalVersions := func(t *testing.T, got []int64, from, to int64) {
		t.Helper()
		if int64(len(got)) != to-from+1 || (len(got) > 0 && (got[0] != from || got[len(got)-1] != to)) {
			t.Fatalf("tail versions %v, want %d…%d", got, from, to)
		}
	}

	t.Run("no snapshot: the stream from its start", func(t *testing.T) {
		stream, _ := given(t, 5)
		snap, tail := read(t, stream, format, 100)
		if snap != nil {
			t.Fatalf("snapshot %+v, want none", snap)
		}
		equalVersions(t, tail, 1, 5)
		_, tail = read(t, stream, format, 2)
		equalVersions(t, tail, 1, 2)
		_, tail = read(t, UniqueStream("snap"), format, 100)
		equalVersions(t, tail, 1, 0)
	})
	t.Run("a snapshot and the events after it, byte for byte", func(t *testing.T) {
		stream, evs := given(t, 6)
		want := snapshotAt(stream, evs, 4, `{"z": 1,  "a": [2, 1]}`)
		if err := store.SaveSnapshot(ctx, want); err != nil {
			t.Fatal(err)
		}
		snap, tail := read(t, stream, format, 100)
		if snap == nil {
			t.Fatal("no snapshot")
		}
		if snap.Stream != stream || snap.Version != 4 || snap.EventID != want.EventID || snap.Format != format ||
			!bytes.Equal(snap.State, want.State) || !bytes.Equal(snap.Digest, want.Digest) {
			t.Fatalf("snapshot %+v (state %s), want %+v (state %s)", snap, snap.State, want, want.State)
		}
		equalVersions(t, tail, 5, 6)
		_, tail = read(t, stream, format, 1)
		equalVersions(t, tail, 5, 5)
	})
	t.Run("a snapshot at the stream's head has an empty tail", func(t *testing.T) {
		stream, evs := given(t, 3)
		if err := store.SaveSnapshot(ctx, snapshotAt(stream, evs, 3, `{}`)); err != nil {
			t.Fatal(err)
		}
		snap, tail := read(t, stream, format, 100)
		if snap == nil || snap.Version != 3 {
			t.Fatalf("snapshot %+v, want version 3", snap)
		}
		equalVersions(t, tail, 4, 3)
	})
	t.Run("a snapshot of another format, or naming an event not stored there, is not returned", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			format string
			change func(s *domain.Snapshot)
		}{
			{"other format asked", "contract/2", func(*domain.Snapshot) {}},
			{"another event at its version", format, func(s *domain.Snapshot) { s.EventID = uuid.New() }},
			{"beyond the stream's head", format, func(s *domain.Snapshot) { s.Version = 9 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream, evs := given(t, 4)
				s := snapshotAt(stream, evs, 2, `{}`)
				tc.change(&s)
				if err := store.SaveSnapshot(ctx, s); err != nil {
					t.Fatal(err)
				}
				snap, tail := read(t, stream, tc.format, 100)
				if snap != nil {
					t.Fatalf("snapshot %+v returned", snap)
				}
				equalVersions(t, tail, 1, 4)
			})
		}
	})
	t.Run("several streams in one call, each as asked", func(t *testing.T) {
		a, aEvs := given(t, 5)
		b, _ := given(t, 3)
		c, cEvs := given(t, 4)
		for _, s := range []domain.Snapshot{snapshotAt(a, aEvs, 2, `{"a":2}`), snapshotAt(c, cEvs, 4, `{"c":4}`)} {
			if err := store.SaveSnapshot(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		tails, err := store.ReadFromSnapshots(ctx, 100,
			domain.SnapshotRead{Stream: a, Format: format}, domain.SnapshotRead{Stream: b, Format: format},
			domain.SnapshotRead{Stream: c, Format: "contract/2"}, domain.SnapshotRead{Stream: c, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		type got struct {
			snapshot    int64
			first, last int64
			n           int
		}
		summary := make([]got, len(tails))
		for i, tl := range tails {
			if tl.Snapshot != nil {
				summary[i].snapshot = tl.Snapshot.Version
			}
			if n := len(tl.Events); n > 0 {
				summary[i].first, summary[i].last, summary[i].n = tl.Events[0].StreamVersion, tl.Events[n-1].StreamVersion, n
			}
		}
		want := []got{{2, 3, 5, 3}, {0, 1, 3, 3}, {0, 1, 4, 4}, {4, 0, 0, 0}}
		if len(summary) != len(want) {
			t.Fatalf("%d tails for %d reads", len(summary), len(want))
		}
		for i := range want {
			if summary[i] != want[i] {
				t.Fatalf("read %d: %+v, want %+v", i, summary[i], want[i])
			}
		}
	})
	t.Run("saves keep the newest usable snapshot", func(t *testing.T) {
		stream, evs := given(t, 8)
		save := func(s domain.Snapshot) {
			t.Helper()
			if err := store.SaveSnapshot(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		version := func() int64 {
			t.Helper()
			snap, _ := read(t, stream, format, 100)
			if snap == nil {
				return 0
			}
			return snap.Version
		}
		save(snapshotAt(stream, evs, 5, `{"v":5}`))
		save(snapshotAt(stream, evs, 3, `{"v":3}`))
		if v := version(); v != 5 {
			t.Fatalf("an older save replaced the newer snapshot: version %d", v)
		}
		save(snapshotAt(stream, evs, 6, `{"v":6}`))
		if v := version(); v != 6 {
			t.Fatalf("version %d, want 6", v)
		}
		// One altered at the same version (its digest no longer matches
		// what the reader computes) is replaced by a fresh one.
		altered := snapshotAt(stream, evs, 6, `{"v":6}`)
		altered.State = []byte(`{"v":0}`)
		save(altered)
		fresh := snapshotAt(stream, evs, 6, `{"v":6}`)
		save(fresh)
		if snap, _ := read(t, stream, format, 100); snap == nil || !bytes.Equal(snap.State, fresh.State) {
			t.Fatalf("snapshot %+v, want the fresh one", snap)
		}
		// One the reader cannot use (it names an event not stored at its
		// version) is replaced even by an older one.
		bogus := snapshotAt(stream, evs, 8, `{}`)
		bogus.EventID = uuid.New()
		save(bogus)
		save(snapshotAt(stream, evs, 7, `{"v":7}`))
		if v := version(); v != 7 {
			t.Fatalf("version %d, want 7 after replacing an unusable snapshot", v)
		}
		// Another format replaces it too: the build that reads is the one
		// writing.
		other := snapshotAt(stream, evs, 2, `{}`)
		other.Format = "contract/2"
		other.Seal()
		save(other)
		if snap, _ := read(t, stream, "contract/2", 100); snap == nil || snap.Version != 2 {
			t.Fatalf("snapshot %+v, want the other format's", snap)
		}
	})
}
