package httpapi

import (
	"net/http"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
)

// db is this package's private database, shared by every test that needs the
// real store.
var db *pgtest.Database

func TestMain(m *testing.M) {
	// Requests carry the tests' admin key unless they name one: see
	// auth_fixture_test.go.
	http.DefaultTransport = withTestKey(plainTransport)
	pgtest.Run(m, &db)
}
