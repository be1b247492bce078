package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// DefaultQueryTimeout bounds every query when Options.QueryTimeout is zero.
const DefaultQueryTimeout = 60 * time.Second

// Options tune a Source.
type Options struct {
	// QueryTimeout bounds each query (context deadline; on PostgreSQL and Snowflake also a server-side statement
	// timeout). Zero means DefaultQueryTimeout.
	QueryTimeout time.Duration
	// Logger receives debug lines per query and warnings; nil discards. It never receives secrets.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Open connects to the Elementary warehouse named by rawURL, checks the connection, and returns a read-only
// Source. Errors and Describe never show passwords, passphrases, tokens or keys.
//
// SQLite (demo and tests), opened read-only (mode=ro); the tables are in the main schema under their own names.
// The path must be absolute: sqlite://relative/x.db is rejected, since a relative path would depend on the
// working directory of the bot.
//
//	sqlite:///var/lib/todai/elementary.db
//
// PostgreSQL, through pgx (postgresql:// works too). schema defaults to public and is removed from the URL before
// connecting; every other parameter is pgx's (sslmode, connect_timeout …). Sessions run with
// default_transaction_read_only=on, application_name=todai and statement_timeout = the query timeout.
//
//	postgres://user:password@host:5432/analytics?schema=prod_elementary&sslmode=require
//
// Snowflake, through gosnowflake v2. The host is the account identifier, the path DATABASE/SCHEMA (upper-cased,
// as unquoted Snowflake identifiers are). Parameters:
//
//	warehouse               warehouse that runs Scan (Discover and Fingerprints need none)
//	role                    role to use
//	authenticator           snowflake (password in the URL, default), snowflake_jwt (key pair) or oauth
//	private_key_file        snowflake_jwt: PKCS#8 PEM file (.p8), plain or encrypted (PBES2: PBKDF2 + AES/3DES)
//	private_key_passphrase  snowflake_jwt: passphrase of an encrypted key
//	token                   oauth: the access token
//	query_tag               QUERY_TAG of every query (default todai)
//	statement_timeout       STATEMENT_TIMEOUT_IN_SECONDS, as 60s or 60 (default: the query timeout)
//
// Sessions also set TIMEZONE=UTC; the pool holds at most 2 sessions; the application name is todai.
//
//	snowflake://todai:password@xy12345.eu-central-1/ANALYTICS/PROD_ELEMENTARY?warehouse=TODAI_WH&role=TODAI
//	snowflake://TODAI@myorg-myaccount/ANALYTICS/PROD_ELEMENTARY?warehouse=TODAI_WH&authenticator=snowflake_jwt&private_key_file=/etc/todai/key.p8&private_key_passphrase=…
//	snowflake://TODAI@myorg-myaccount/ANALYTICS/PROD_ELEMENTARY?warehouse=TODAI_WH&authenticator=oauth&token=…
//
// Special characters in a password, passphrase or token must be percent-encoded.
func Open(ctx context.Context, rawURL string, opts Options) (Source, error) {
	opts = opts.withDefaults()
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, and even its reason can quote part of a password ("invalid port ':pa'"
		// when the password holds a '/'): say nothing about the text.
		return nil, errors.New("source: cannot parse the warehouse URL (not shown: it may hold a secret); " +
			"percent-encode special characters in passwords and tokens")
	}
	var w *warehouse
	switch strings.ToLower(u.Scheme) {
	case "sqlite":
		w, err = openSQLite(ctx, u, opts)
	case "postgres", "postgresql":
		w, err = openPostgres(ctx, u, opts)
	case "snowflake":
		w, err = openSnowflake(ctx, u, opts)
	case "":
		return nil, errors.New("source: the warehouse URL needs a scheme: sqlite://, postgres:// or snowflake://")
	default:
		return nil, fmt.Errorf("source: unsupported warehouse %q (want sqlite, postgres or snowflake)", u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	opts.Logger.InfoContext(ctx, "warehouse source opened", "source", w.describe)
	return w, nil
}
