package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/source/sourcetest"
)

// TestDoctorLostGrant: on a real PostgreSQL server, Todai reads the Elementary schema as a read-only role. When
// that role loses SELECT on a table it synced before (as Elementary's `create or replace` does on Snowflake), todai
// doctor names the table and prints the exact GRANT to run.
func TestDoctorLostGrant(t *testing.T) {
	base, schema, admin := sourcetest.OpenPostgres(t)
	ctx := context.Background()
	for _, tab := range elementary.Tables() {
		if _, err := admin.ExecContext(ctx, elementary.CreateTableSQL(elementary.Postgres, schema, tab)); err != nil {
			t.Fatal(err)
		}
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	reader := "todai_reader_" + hex.EncodeToString(b[:])
	// reader and schema are generated here from hex digits: safe in SQL text.
	for _, q := range []string{
		"CREATE ROLE " + reader + " LOGIN PASSWORD 'reader'",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + reader,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + reader,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Skipf("!!! cannot create a read-only role on the test server (%v): SKIPPED; .ci/postgres.sh grants createrole !!!", err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM " + reader,
			"REVOKE ALL ON SCHEMA " + schema + " FROM " + reader, "DROP ROLE " + reader} {
			if _, err := admin.ExecContext(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(reader, "reader")
	readerURL := u.String()

	s := newDoctorSetup(t, demoWarehouse(t))
	s.warehouse = readerURL
	if code, out, errOut := cli(t, "--warehouse", readerURL, "--state", s.state, "sync"); code != 0 {
		t.Fatalf("sync as the read-only role: %s %s", out, errOut)
	}
	if _, err := admin.ExecContext(ctx, "REVOKE SELECT ON "+schema+".dbt_invocations FROM "+reader); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "--config", s.write(t), "doctor")
	if code == 0 {
		t.Errorf("doctor passed with a lost grant:\n%s\n%s", out, errOut)
	}
	for _, want := range []string{
		"dbt_invocations was synced before",
		`fix: GRANT SELECT ON "` + schema + `"."dbt_invocations" TO "` + reader + `";`,
		"ALTER DEFAULT PRIVILEGES",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}
