package statedb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/todai-dev/todai/migrations"
	"github.com/todai-dev/todai/queries/checkup"
)

// Check looks at the state in PostgreSQL at rawURL without changing it (todai doctor): that the server answers,
// that the user may create the state's schema (or use the one there), and how the schema's version compares with
// this build's. Each problem comes with its exact fix: the GRANT to run, the URL to correct, the upgrade.
func Check(ctx context.Context, rawURL string) checkup.Findings {
	var f checkup.Findings
	u, err := url.Parse(rawURL)
	if err != nil {
		f.Fail("state.url cannot be read", "write it as postgres://user:password@host:5432/database?schema=todai")
		return f
	}
	schema := u.Query().Get("schema")
	if schema == "" {
		schema = DefaultSchema
	}
	if !reSchema.MatchString(schema) {
		f.Fail(fmt.Sprintf("state.url names schema %q", schema), "use lower-case letters, digits and _ (?schema=todai)")
		return f
	}
	q := u.Query()
	q.Del("schema")
	u.RawQuery = q.Encode()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		f.Fail("the state's PostgreSQL at "+Describe(u)+" cannot be reached: "+connError(err),
			"check the host, port, database, user and password in state.url, and that this machine may connect (pg_hba.conf)")
		return f
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	f.Pass("the state's PostgreSQL answers at " + Describe(u))

	var user, database string
	var exists, canCreate, canUse bool
	err = conn.QueryRow(ctx, `SELECT current_user, current_database(),
			EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
			has_database_privilege(current_database(), 'CREATE'),
			COALESCE((SELECT has_schema_privilege(oid, 'USAGE') AND has_schema_privilege(oid, 'CREATE')
				FROM pg_namespace WHERE nspname = $1), false)`, schema).
		Scan(&user, &database, &exists, &canCreate, &canUse)
	if err != nil {
		f.Fail("the state's rights could not be read: "+connError(err), "check that "+Describe(u)+" is a PostgreSQL server")
		return f
	}
	quser, qschema := pgx.Identifier{user}.Sanitize(), pgx.Identifier{schema}.Sanitize()
	switch {
	case exists && !canUse:
		f.Fail(fmt.Sprintf("user %s may not create tables in schema %s", user, schema),
			fmt.Sprintf("GRANT USAGE, CREATE ON SCHEMA %s TO %s;", qschema, quser))
		return f
	case !exists && !canCreate:
		f.Fail(fmt.Sprintf("schema %s does not exist and user %s may not create it", schema, user),
			fmt.Sprintf("GRANT CREATE ON DATABASE %s TO %s;  (or CREATE SCHEMA %s AUTHORIZATION %s;)",
				pgx.Identifier{database}.Sanitize(), quser, qschema, quser))
		return f
	case !exists:
		f.Pass(fmt.Sprintf("schema %s will be created by user %s at the first start (todai migrate)", schema, user))
		return f
	}
	f.Pass(fmt.Sprintf("user %s may use and create tables in schema %s", user, schema))
	var tablesOK, sequencesOK bool
	err = conn.QueryRow(ctx, `SELECT
			COALESCE(bool_and(has_table_privilege(c.oid, 'SELECT,INSERT,UPDATE,DELETE')) FILTER (WHERE c.relkind = 'r'), true),
			COALESCE(bool_and(has_sequence_privilege(c.oid, 'USAGE,SELECT,UPDATE')) FILTER (WHERE c.relkind = 'S'), true)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, schema).Scan(&tablesOK, &sequencesOK)
	switch {
	case err != nil:
		f.Warn("the rights on the state's tables could not be read: "+connError(err), "")
	case !tablesOK || !sequencesOK:
		f.Fail(fmt.Sprintf("user %s may not read and write every table of schema %s", user, schema),
			fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s; GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %s TO %s;",
				qschema, quser, qschema, quser))
		return f
	}
	f = append(f, checkVersion(ctx, conn, schema)...)
	return f
}

// checkVersion compares the schema's migration version with this build's.
func checkVersion(ctx context.Context, conn *pgx.Conn, schema string) checkup.Findings {
	var f checkup.Findings
	var current int64
	err := conn.QueryRow(ctx, `SELECT COALESCE(max(version_id), 0) FROM `+pgx.Identifier{schema, "goose_db_version"}.Sanitize()+
		` WHERE is_applied`).Scan(&current)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		current, err = 0, nil
	}
	if err != nil {
		f.Warn("the state's schema version could not be read: "+connError(err), "run todai migrate")
		return f
	}
	latest, err := latestVersion()
	if err != nil {
		f.Warn(err.Error(), "")
		return f
	}
	return append(f, checkup.SchemaVersion("the state in schema "+schema, current, latest))
}

// latestVersion is the newest migration of the state's schema this build has: the largest version its files'
// names begin with (00002_bot_scheduler.sql is 2), as goose numbers them.
func latestVersion() (int64, error) {
	entries, err := fs.ReadDir(migrations.PostgresFS(), ".")
	if err != nil {
		return 0, fmt.Errorf("read the state's migrations: %w", err)
	}
	var latest int64
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.ParseInt(prefix, 10, 64); err == nil && v > latest {
			latest = v
		}
	}
	if latest == 0 {
		return 0, errors.New("read the state's migrations: none")
	}
	return latest, nil
}

// connError is a connection error without its URL (which may hold a password).
func connError(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message + " (" + pgErr.Code + ")"
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return "could not connect"
	}
	return "the server did not answer"
}
