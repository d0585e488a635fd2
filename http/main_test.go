package httpapi

import (
	"testing"

	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
)

// db is this package's private database, shared by every test that needs the
// real store.
var db *pgtest.Database

func TestMain(m *testing.M) { pgtest.Run(m, &db) }
