package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake/v2"

	"github.com/todai-dev/todai/queries/elementary"
)

// snowflakeParams are the query parameters a snowflake:// URL accepts.
func snowflakeParams() map[string]bool {
	return map[string]bool{"warehouse": true, "role": true, "authenticator": true, "private_key_file": true,
		"private_key_passphrase": true, "token": true, "query_tag": true, "statement_timeout": true}
}

// snowflakeTarget is what a snowflake:// URL resolves to.
type snowflakeTarget struct {
	cfg      sf.Config
	schema   string // "DATABASE.SCHEMA", upper case
	describe string
}

// snowflakeConfig builds the driver configuration from a snowflake:// URL (see Open). readFile reads the private
// key file. Errors never contain the password, passphrase, token or key.
func snowflakeConfig(u *url.URL, opts Options, readFile func(string) ([]byte, error)) (snowflakeTarget, error) {
	var zero snowflakeTarget
	account := u.Hostname()
	if account == "" || u.Port() != "" || !validAccount(account) {
		return zero, errors.New("source: snowflake URL: the host must be the account identifier, " +
			"like snowflake://user@xy12345.eu-central-1/DATABASE/SCHEMA")
	}
	if u.User == nil || u.User.Username() == "" {
		return zero, errors.New("source: snowflake URL: a user is required (snowflake://user@account/DB/SCHEMA)")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 {
		return zero, errors.New("source: snowflake URL: the path must be /DATABASE/SCHEMA")
	}
	database, dbQuoted := snowflakeName(parts[0])
	schema, schemaQuoted := snowflakeName(parts[1])
	for _, id := range []string{database, schema} {
		if !elementary.ValidIdentifier(id) || strings.Contains(id, ".") {
			return zero, errors.New("source: snowflake URL: database and schema must be plain identifiers (letters, digits, _, $), " +
				`in double quotes ("analytics") when they were created quoted in another case`)
		}
	}
	q := u.Query()
	var unknown []string
	for k, v := range q {
		if !snowflakeParams()[k] {
			unknown = append(unknown, k)
		}
		if len(v) > 1 {
			return zero, fmt.Errorf("source: snowflake URL: parameter %s given twice", k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return zero, fmt.Errorf("source: snowflake URL: unknown parameters %s (known: warehouse, role, authenticator, "+
			"private_key_file, private_key_passphrase, token, query_tag, statement_timeout)", strings.Join(unknown, ", "))
	}
	cfg := sf.Config{
		Account:     account,
		User:        u.User.Username(),
		Database:    quoteIf(dbQuoted, database),
		Schema:      quoteIf(schemaQuoted, schema),
		Warehouse:   q.Get("warehouse"),
		Role:        q.Get("role"),
		Application: "todai",
	}
	for name, v := range map[string]string{"warehouse": cfg.Warehouse, "role": cfg.Role} {
		if v != "" && (!elementary.ValidIdentifier(v) || strings.Contains(v, ".")) {
			return zero, fmt.Errorf("source: snowflake URL: %s must be a plain identifier", name)
		}
	}
	password, hasPassword := u.User.Password()
	auth := "password"
	switch strings.ToLower(q.Get("authenticator")) {
	case "", "snowflake":
		if !hasPassword || password == "" {
			return zero, errors.New("source: snowflake URL: password authentication needs snowflake://user:password@…; " +
				"for key pairs set authenticator=snowflake_jwt&private_key_file=…")
		}
		cfg.Authenticator = sf.AuthTypeSnowflake
		cfg.Password = password
	case "snowflake_jwt":
		path := q.Get("private_key_file")
		if path == "" {
			return zero, errors.New("source: snowflake URL: authenticator=snowflake_jwt needs private_key_file=/path/key.p8")
		}
		data, err := readFile(path)
		if err != nil {
			return zero, fmt.Errorf("source: snowflake private key: %w", err)
		}
		key, err := parsePrivateKeyPEM(data, q.Get("private_key_passphrase"))
		if err != nil {
			return zero, fmt.Errorf("source: snowflake private key %s: %w", path, err)
		}
		cfg.Authenticator = sf.AuthTypeJwt
		cfg.PrivateKey = key
		auth = "key pair"
	case "oauth":
		if q.Get("token") == "" {
			return zero, errors.New("source: snowflake URL: authenticator=oauth needs token=…")
		}
		cfg.Authenticator = sf.AuthTypeOAuth
		cfg.Token = q.Get("token")
		auth = "oauth"
	default:
		return zero, errors.New("source: snowflake URL: authenticator must be snowflake, snowflake_jwt or oauth")
	}
	tag := q.Get("query_tag")
	if tag == "" {
		tag = "todai"
	}
	if len(tag) > 2000 {
		return zero, errors.New("source: snowflake URL: query_tag longer than 2000 characters")
	}
	timeout := opts.QueryTimeout
	if s := q.Get("statement_timeout"); s != "" {
		d, err := parseSeconds(s)
		if err != nil {
			return zero, fmt.Errorf("source: snowflake URL: statement_timeout: %w", err)
		}
		timeout = d
	}
	secs := strconv.FormatInt(int64(math.Ceil(timeout.Seconds())), 10)
	utc := "UTC"
	cfg.Params = map[string]*string{
		"QUERY_TAG":                    &tag,
		"STATEMENT_TIMEOUT_IN_SECONDS": &secs,
		"TIMEZONE":                     &utc,
	}
	return snowflakeTarget{
		cfg:    cfg,
		schema: database + "." + schema,
		describe: fmt.Sprintf("snowflake account %s %s.%s (user %s, %s)", account, database, schema,
			cfg.User, auth),
	}, nil
}

// snowflakeName reads a database or schema of the URL's path as Snowflake reads an identifier: unquoted, upper-cased;
// in double quotes ("analytics", as dbt creates it with `quoting: true`), exactly as written.
func snowflakeName(s string) (name string, quoted bool) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1], true
	}
	return strings.ToUpper(s), false
}

// quoteIf double-quotes s when quoted: a case-exact name for the session's database and schema.
func quoteIf(quoted bool, s string) string {
	if quoted {
		return `"` + s + `"`
	}
	return s
}

// parseSeconds reads "60s", "2m" or a plain number of seconds; the result is positive.
func parseSeconds(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, fmt.Errorf("%q is not a duration like 60s", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not positive", s)
	}
	return d, nil
}

// validAccount reports whether s looks like a Snowflake account identifier: org-account, a locator with region
// and cloud (xy12345.eu-central-1.aws) or a privatelink host.
func validAccount(s string) bool {
	if len(s) > 255 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// openSnowflake opens a Snowflake source and logs in once (a login uses no warehouse).
func openSnowflake(ctx context.Context, u *url.URL, opts Options) (*warehouse, error) {
	t, err := snowflakeConfig(u, opts, os.ReadFile)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, t.cfg))
	db.SetMaxOpenConns(2)
	db.SetConnMaxIdleTime(30 * time.Minute)
	w := &warehouse{
		kind:     "snowflake",
		dialect:  dialectSnowflake,
		describe: t.describe,
		db:       db,
		schema:   t.schema,
		timeout:  opts.QueryTimeout,
		log:      opts.Logger,
		grantee:  t.cfg.Role,
	}
	if err := w.ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return w, nil
}

// snowflakeFingerprints returns "rows=..;bytes=..;altered=..;created=.." per Elementary table, from one
// SHOW TABLES (cloud services only: it never resumes the warehouse). Columns are read by name; name, rows and
// bytes are required (an error otherwise, rather than fingerprints that never change), the others are left empty
// when a Snowflake release or an account override lacks them.
func (w *warehouse) snowflakeFingerprints(ctx context.Context) (map[string]Fingerprint, error) {
	known := knownTables()
	fps := map[string]Fingerprint{}
	err := w.query(ctx, &w.metadata, "fingerprints", snowflakeFingerprintSQL(w.schema), nil, func(rows *sql.Rows) error {
		return readNamed(rows, []string{"name", "rows", "bytes", "last_altered", "created_on"}, 3, func(v []any) error {
			if fp, name, ok := snowflakeFingerprint(known, v); ok {
				fps[name] = fp
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return fps, nil
}

// snowflakeFingerprint turns one SHOW TABLES row (name, rows, bytes, last_altered, created_on) into a
// fingerprint, for the tables in known.
func snowflakeFingerprint(known map[string]bool, v []any) (Fingerprint, string, bool) {
	name := strings.ToLower(metaText(v[0]))
	if !known[name] {
		return "", "", false
	}
	return Fingerprint(fmt.Sprintf("rows=%s;bytes=%s;altered=%s;created=%s",
		metaText(v[1]), metaText(v[2]), metaText(v[3]), metaText(v[4]))), name, true
}
