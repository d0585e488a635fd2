// Package legacysqlite reads the legacy displacement-target list, a SQLite
// file written over the years by several scripts, into domain.TargetProfile
// values.
//
// SQLite is dynamically typed, so any cell may hold an integer, a real, text,
// a blob or NULL whatever its declared type; every cell is scanned as a plain
// value and converted here. Conversion is forgiving by design: a cell that
// cannot be understood becomes an unknown attribute and a warning in the
// Report, a row whose domain cannot be understood is rejected with a reason,
// and neither stops the import. Rows that name the same target are merged.
//
// The file is untrusted input. displacement_targets must be an ordinary table
// (a view or virtual table would run SQL the file chose), the connection has
// trusted_schema off and is read-only, a cell over its size cap is never
// copied out (its row is rejected when it is the domain, its attribute left
// unknown with a warning otherwise), and the reasons and values the Report
// repeats are cut to 200 characters, because the Report is stored in the
// import's permanent event.
//
// WriteDemo produces a synthetic database with the same schema and the same
// kinds of mess, for demos and tests.
package legacysqlite
