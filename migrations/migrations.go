// Package migrations holds the SQL schema of Todai's local SQLite database: the mirror of Elementary's tables and
// Todai's own state. Files are goose migrations, embedded in the binary and applied at start by queries/localdb.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed *.sql
var files embed.FS

// FS returns the migration files.
func FS() fs.FS { return files }
