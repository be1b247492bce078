package statedb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/todai-dev/todai/queries/checkup"
	"github.com/todai-dev/todai/queries/source/sourcetest"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestCheck: doctor's look at the state in PostgreSQL, without changing it — an unreachable server, a user who may
// not create the schema or use it (each with the exact GRANT), a schema never migrated, one at this build's version
// and one newer.
func TestCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	says := func(t *testing.T, f checkup.Findings, outcome checkup.Outcome, what, fix string) {
		t.Helper()
		for _, x := range f {
			if x.Outcome == outcome && strings.Contains(x.What, what) && strings.Contains(x.Fix, fix) {
				return
			}
		}
		t.Errorf("no finding %v %q (fix %q) in %+v", outcome, what, fix, f)
	}
	says(t, statedb.Check(ctx, "postgres://todai:s3cret@127.0.0.1:1/ops"), checkup.Fail, "cannot be reached", "pg_hba.conf")

	schemaURL := statedbtest.URL(t) // a schema the test's user owns, never migrated
	says(t, statedb.Check(ctx, schemaURL), checkup.Warn, "is at schema version 0", "todai migrate")
	db, err := statedb.OpenPostgres(ctx, schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	says(t, statedb.Check(ctx, schemaURL), checkup.Pass, "schema current", "")
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	says(t, statedb.Check(ctx, schemaURL), checkup.Fail, "newer than this Todai's", "release")

	// A user without rights: neither on the database nor on the schema that is there.
	user, userURL := roleWithoutRights(t, schemaURL)
	says(t, statedb.Check(ctx, userURL), checkup.Fail, "may not create tables in schema", "GRANT USAGE, CREATE ON SCHEMA")
	fresh := withSchema(t, userURL, "todai_nothere_"+user[len(user)-6:])
	says(t, statedb.Check(ctx, fresh), checkup.Fail, "does not exist and user", "GRANT CREATE ON DATABASE")
	if _, err := statedb.OpenPostgres(ctx, fresh); err == nil {
		t.Error("OpenPostgres without the right to create the schema succeeded")
	}
	// The schema's owner lets the user in: first the schema alone (not enough: its tables too), then its tables.
	grant := func(sql string) {
		t.Helper()
		if err := asOwner(schemaURL, sql); err != nil {
			t.Fatal(err)
		}
	}
	_, schema, _ := sourcetest.ConnString(schemaURL)
	if _, err := statedb.OpenPostgres(ctx, withSchema(t, schemaURL, schema)); err == nil {
		t.Fatal("the newer schema opened") // still at 9999
	}
	grant("DELETE FROM " + schema + ".goose_db_version WHERE version_id = 9999")
	grant("GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + user)
	says(t, statedb.Check(ctx, userURL), checkup.Fail, "may not read and write every table", "ON ALL TABLES IN SCHEMA")
	grant("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + user +
		"; GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + user)
	says(t, statedb.Check(ctx, userURL), checkup.Pass, "schema current", "")
	if db, err := statedb.OpenPostgres(ctx, userURL); err != nil {
		t.Errorf("the user with the GRANTs doctor gave cannot open the state: %v", err)
	} else {
		db.Close()
	}
	for _, f := range append(statedb.Check(ctx, userURL), statedb.Check(ctx, fresh)...) {
		if strings.Contains(f.What+f.Fix, "pw-"+user) {
			t.Errorf("a finding holds the password: %+v", f)
		}
	}
}

// roleWithoutRights creates a login role with no rights beyond connecting, dropped when the test ends, and returns
// its name and url as that role.
func roleWithoutRights(t *testing.T, schemaURL string) (string, string) {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	user := "todai_nr_" + hex.EncodeToString(b[:])
	// user is generated from hex digits: safe to place in SQL text.
	if err := asOwner(schemaURL, "CREATE ROLE "+user+" LOGIN PASSWORD 'pw-"+user+"'"); err != nil {
		t.Skipf("cannot create a role on the test server: %v", err)
	}
	t.Cleanup(func() {
		_, schema, _ := sourcetest.ConnString(schemaURL)
		revoke := "REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM " + user + "; REVOKE ALL ON ALL SEQUENCES IN SCHEMA " +
			schema + " FROM " + user + "; REVOKE ALL ON SCHEMA " + schema + " FROM " + user + "; DROP ROLE " + user
		if err := asOwner(schemaURL, revoke); err != nil {
			t.Errorf("drop role %s: %v", user, err)
		}
	})
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, "pw-"+user)
	return user, u.String()
}

// asOwner runs sql as the test server's user, who owns the test's schemas.
func asOwner(schemaURL, sql string) error {
	ctx := context.Background()
	conn, _, err := sourcetest.ConnString(schemaURL)
	if err != nil {
		return err
	}
	admin, err := pgx.Connect(ctx, conn)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, sql)
	return err
}

// withSchema is rawURL naming schema instead.
func withSchema(t *testing.T, rawURL, schema string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
