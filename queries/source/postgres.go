package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/todai-dev/todai/queries/elementary"
)

// openPostgres opens a PostgreSQL source; u is postgres://user:pass@host:port/db?schema=...; see Open.
func openPostgres(ctx context.Context, u *url.URL, opts Options) (*warehouse, error) {
	q := u.Query()
	schema := q.Get("schema")
	if schema == "" {
		schema = "public"
	}
	if !elementary.ValidIdentifier(schema) || strings.Contains(schema, ".") {
		return nil, errors.New("source: postgres schema must be a plain identifier (letters, digits, _)")
	}
	q.Del("schema")
	c := *u
	c.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(c.String())
	if err != nil {
		// pgx redacts the password in its parse errors; keep only the message to be sure.
		return nil, errors.New("source: cannot parse the postgres URL (not shown: it may hold a password)")
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "todai"
	}
	// A server-side cap matching the client timeout, in case the cancel request is lost.
	cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.QueryTimeout.Milliseconds(), 10)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	w := &warehouse{
		kind:    "postgres",
		dialect: dialectPostgres,
		describe: fmt.Sprintf("postgres %s:%d/%s schema %s (user %s)", cfg.Host, cfg.Port, cfg.Database, schema,
			cfg.User),
		db:      db,
		schema:  schema,
		timeout: opts.QueryTimeout,
		log:     opts.Logger,
		grantee: cfg.User,
	}
	if err := w.ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return w, nil
}

// postgresFingerprints returns "file=..;ins=..;upd=..;del=..;live=.." per Elementary table in the schema, from
// pg_class and pg_stat_user_tables in one query. relfilenode changes on TRUNCATE and table rewrites; the tuple
// counters change on every insert, update and delete.
//
// Caveat: since PostgreSQL 15 the statistics are flushed by each writing backend lazily (about once a second
// when idle, later under lock contention), so a write becomes visible here with a short delay; the next sync sees
// it. Tests call pg_stat_force_next_flush() in the writing session. With track_counts=off the counters never move:
// the fingerprints then carry the current time so every sync re-reads (logged once as a warning).
func (w *warehouse) postgresFingerprints(ctx context.Context) (map[string]Fingerprint, error) {
	known := knownTables()
	fps := map[string]Fingerprint{}
	countsOff := false
	err := w.query(ctx, &w.metadata, "fingerprints", postgresFingerprintSQL, []any{w.schema}, func(rows *sql.Rows) error {
		for rows.Next() {
			var (
				name                string
				file                uint32
				ins, upd, del, live int64
				trackCounts         string
			)
			if err := rows.Scan(&name, &file, &ins, &upd, &del, &live, &trackCounts); err != nil {
				return err
			}
			if !known[name] {
				continue
			}
			countsOff = trackCounts != "on"
			fps[name] = Fingerprint(fmt.Sprintf("file=%d;ins=%d;upd=%d;del=%d;live=%d", file, ins, upd, del, live))
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if countsOff {
		w.mu.Lock()
		warn := !w.warned
		w.warned = true
		w.mu.Unlock()
		if warn {
			w.log.WarnContext(ctx, "postgres track_counts is off: change detection disabled, every sync re-reads",
				"source", w.describe)
		}
		stamp := time.Now().UTC().Format(time.RFC3339Nano)
		for k, v := range fps {
			fps[k] = v + Fingerprint(";at="+stamp)
		}
	}
	return fps, nil
}
