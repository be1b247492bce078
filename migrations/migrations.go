// Package migrations holds the SQL schema of Todai's local SQLite database — the mirror of Elementary's tables and
// Todai's own state — and, under postgres/, of Todai's own state in PostgreSQL (several replicas). Files are goose
// migrations, embedded in the binary and applied at start by queries/localdb and queries/statedb.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed *.sql
var files embed.FS

//go:embed postgres/*.sql
var postgresFiles embed.FS

// FS returns the SQLite migration files.
func FS() fs.FS { return files }

// PostgresFS returns the migration files of the state schema in PostgreSQL.
func PostgresFS() fs.FS {
	sub, err := fs.Sub(postgresFiles, "postgres")
	if err != nil {
		panic(err) // the directory is embedded above: it is there
	}
	return sub
}
