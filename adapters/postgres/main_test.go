package postgres_test

import (
	"testing"

	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
)

var db *pgtest.Database

func TestMain(m *testing.M) { pgtest.Run(m, &db) }
