// Package sourcetest gives tests a real Elementary warehouse: a PostgreSQL schema to build it in, and Elementary's
// real outputs (its DDL, edr's Slack payloads) to build and check it with.
//
// Tests read TODAI_TEST_POSTGRES_URL (for example postgres://todai:todai@127.0.0.1:5432/todai_test); when it is
// unset they are skipped with a loud message. `eval "$(.ci/postgres.sh)"` starts a local server and sets it.
package sourcetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvPostgresURL names the variable holding the test server's URL.
const EnvPostgresURL = "TODAI_TEST_POSTGRES_URL"

// Postgres creates a fresh schema on the test server, drops it when the test ends, and returns the server URL
// with ?schema=<name> added: the form source.Open takes. Use ConnString to connect to it directly.
func Postgres(t testing.TB) (url string) {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skip("!!! PostgreSQL tests SKIPPED: set " + EnvPostgresURL + " or run .ci/postgres.sh " +
			"(eval \"$(.ci/postgres.sh)\") !!!")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("sourcetest: random schema name: %v", err)
	}
	schema := "todai_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("sourcetest: connect to %s: %v", EnvPostgresURL, err)
	}
	defer func() { _ = conn.Close(ctx) }()
	// schema is generated above from hex digits: safe to place in SQL text.
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("sourcetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("sourcetest: connect to drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("sourcetest: drop schema %s: %v", schema, err)
		}
	})
	out, err := withSchema(base, schema)
	if err != nil {
		t.Fatalf("sourcetest: %v", err)
	}
	return out
}

// ConnString splits a URL returned by Postgres into a pgx connection string (without the schema parameter, which
// the server would reject) and the schema name.
func ConnString(rawURL string) (conn, schema string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("sourcetest: parse URL: %w", err)
	}
	q := u.Query()
	schema = q.Get("schema")
	q.Del("schema")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func withSchema(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvPostgresURL, err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// OpenPostgres is Postgres with a connection to the new schema's database: the URL source.Open takes, the schema's
// name, and a *sql.DB (closed when the test ends) to build the warehouse with.
func OpenPostgres(t testing.TB) (url, schema string, db *sql.DB) {
	t.Helper()
	url = Postgres(t)
	conn, schema, err := ConnString(url)
	if err != nil {
		t.Fatalf("sourcetest: %v", err)
	}
	db, err = sql.Open("pgx", conn)
	if err != nil {
		t.Fatalf("sourcetest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return url, schema, db
}

// ElementaryDDL returns Elementary's own DDL (dbt-data-reliability 0.25.1 rendered on PostgreSQL, with a {schema}
// placeholder).
func ElementaryDDL(tb testing.TB) string {
	tb.Helper()
	return string(ElementaryReal(tb, "postgres-ddl.sql"))
}

// ElementaryReal reads one of Elementary's real outputs kept for tests in shared/elementary-real, in the steering
// repository beside this one. A test is skipped, loudly, where that folder is not there.
func ElementaryReal(tb testing.TB, name string) []byte {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "shared", "elementary-real", name))
	if err != nil {
		tb.Skipf("!!! Elementary's real %s is not beside the repository (%v): SKIPPED !!!", name, err)
	}
	return b
}
