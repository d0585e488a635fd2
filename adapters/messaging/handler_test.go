package messaging

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

func recorded(t *testing.T, e domain.Event) domain.RecordedEvent {
	t.Helper()
	data, err := domain.Encode(e, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	return domain.RecordedEvent{EventData: data, RecordedAt: time.Now()}
}

func TestHandlerRoutesTypedEvents(t *testing.T) {
	d := domain.MustParseDomain("costco.com")
	job := uuid.New()
	var got []string
	var observed int
	h := NewHandler("test",
		On(func(_ context.Context, _ domain.RecordedEvent, e domain.ProviderFetched) error {
			got = append(got, "fetched "+string(e.Provider))
			return nil
		}),
		On(func(_ context.Context, _ domain.RecordedEvent, e domain.ProviderFailed) error {
			got = append(got, "failed "+string(e.Code))
			return errors.New("refused")
		}),
	)
	h.Observe = func(string, time.Duration) { observed++ }
	if types := h.Types(); !slices.Equal(types, []string{domain.TypeProviderFailed, domain.TypeProviderFetched}) {
		t.Errorf("types %v", types)
	}
	ctx := context.Background()
	if err := h.Handle(ctx, recorded(t, domain.ProviderFetched{JobID: job, Domain: d, Provider: domain.ProviderBuiltWith})); err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(ctx, recorded(t, domain.ProviderFailed{JobID: job, Domain: d, Provider: domain.ProviderSimilarWeb, Code: domain.FailureTimeout})); err == nil {
		t.Error("the route's error was lost")
	}
	// Another type is acknowledged without a call.
	if err := h.Handle(ctx, recorded(t, domain.TargetAdded{Domain: d})); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"fetched builtwith", "failed timeout"}) {
		t.Errorf("routed %v", got)
	}
	if observed != 1 {
		t.Errorf("observed %d events, want 1: only those handled without error", observed)
	}
}

func TestHandlerRefusesTwoRoutesForOneType(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("two routes for one type were accepted")
		}
	}()
	noop := func(context.Context, domain.RecordedEvent, domain.TargetAdded) error { return nil }
	NewHandler("dup", On(noop), On(noop))
}
