package sourcetest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestPostgresCreatesAndDropsSchema(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		url = Postgres(t)
		conn, schema, err := ConnString(url)
		if err != nil {
			t.Fatal(err)
		}
		if schema == "" {
			t.Fatalf("URL %q has no schema parameter", url)
		}
		if exists(t, conn, schema) != 1 {
			t.Fatalf("schema %s not created", schema)
		}
	})
	if url == "" {
		t.Skip("inner test skipped")
	}
	conn, schema, err := ConnString(url)
	if err != nil {
		t.Fatal(err)
	}
	if n := exists(t, conn, schema); n != 0 {
		t.Fatalf("schema %s still exists after cleanup", schema)
	}
}

func exists(t *testing.T, connString, schema string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConnString(t *testing.T) {
	tests := []struct{ in, conn, schema string }{
		{"postgres://u:p@h:5432/db?schema=s1&sslmode=disable", "postgres://u:p@h:5432/db?sslmode=disable", "s1"},
		{"postgres://u@h/db", "postgres://u@h/db", ""},
	}
	for _, tt := range tests {
		conn, schema, err := ConnString(tt.in)
		if err != nil || conn != tt.conn || schema != tt.schema {
			t.Errorf("ConnString(%q) = %q, %q, %v; want %q, %q", tt.in, conn, schema, err, tt.conn, tt.schema)
		}
	}
}
