package memstore_test

import (
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/memstore"
)

func TestContract(t *testing.T) {
	eventstoretest.Run(t, memstore.New(time.Now))
}

func TestSnapshotContract(t *testing.T) {
	eventstoretest.RunSnapshots(t, memstore.New(time.Now))
}
