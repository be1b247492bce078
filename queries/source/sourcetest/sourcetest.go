// Package sourcetest gives tests a real PostgreSQL schema to build an Elementary warehouse in.
//
// Tests read TODAI_TEST_POSTGRES_URL (for example postgres://todai:todai@127.0.0.1:5432/todai_test); when it is
// unset they are skipped with a loud message. `eval "$(.ci/postgres.sh)"` starts a local server and sets it.
package sourcetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
