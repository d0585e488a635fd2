// Package migrations embeds the versioned schema migrations so the binary
// carries its own schema; sqlc reads the same files.
package migrations

import "embed"

// FS holds every migration, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS
