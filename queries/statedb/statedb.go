// Package statedb is Todai's own state — incidents, their timelines, silences and sends — on SQLite (the state file
// of one replica, which the mirror shares) or on PostgreSQL (a schema several replicas share). A store writes one set
// of statements for both: `?` placeholders, which Rebind numbers for PostgreSQL; standard SQL (ON CONFLICT,
// RETURNING, partial indexes); and, where the engines differ, a function this package names (Greatest).
package statedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/todai-dev/todai/migrations"
	"github.com/todai-dev/todai/queries/localdb"
)

// Dialect is the engine a state database runs on.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultSchema is the PostgreSQL schema the state lives in unless the URL names another (?schema=).
const DefaultSchema = "todai"

// DB is a state database. Write takes every statement that changes state, and the reads that must see the writes
// before them; Read the others. On SQLite they are the state file's single writer and its pool of readers; on
// PostgreSQL one pool.
type DB struct {
	Write, Read *sql.DB
	dialect     Dialect
	// Schema is the PostgreSQL schema ("" on SQLite).
	Schema string
	closer func() error
}

// IsURL reports whether where names a state in PostgreSQL (postgres:// or postgresql://) rather than a file.
func IsURL(where string) bool {
	s := strings.ToLower(strings.TrimSpace(where))
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open opens the state where names: a postgres:// URL (OpenPostgres), else an existing state file's path
// (sqlite:// prefix allowed), migrated. Close closes it, file included.
func Open(ctx context.Context, where string) (*DB, error) {
	if IsURL(where) {
		return OpenPostgres(ctx, where)
	}
	path := strings.TrimPrefix(where, "sqlite://")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no state file at %s: name an existing state file (state.path) or a postgres:// URL", path)
	}
	local, err := localdb.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	db := FromLocal(local)
	db.closer = local.Close
	return db, nil
}

// FromLocal is the state held in the local SQLite file db (one replica).
func FromLocal(db *localdb.DB) *DB {
	return &DB{Write: db.Write, Read: db.Read, dialect: SQLite}
}

var reSchema = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// OpenPostgres connects to the state in PostgreSQL at rawURL (postgres://user:password@host/db[?schema=todai]),
// creates its schema when it is missing, and applies the migrations this build has. It refuses a schema migrated
// by a newer Todai.
func OpenPostgres(ctx context.Context, rawURL string) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("open the state in PostgreSQL: the URL cannot be read") // it may hold a password
	}
	q := u.Query()
	schema := q.Get("schema")
	if schema == "" {
		schema = DefaultSchema
	}
	if !reSchema.MatchString(schema) {
		return nil, fmt.Errorf("open the state in PostgreSQL: schema %q: use lower-case letters, digits and _", schema)
	}
	q.Del("schema")
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, errors.New("open the state in PostgreSQL: the URL cannot be read")
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	// A write waits for the writer's lock at most this long, and a transaction left idle (a replica gone quiet) is
	// ended, so that one stalled replica cannot stop the others' writes for good.
	cfg.RuntimeParams["lock_timeout"] = "30s"
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "60s"
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(maxConns)
	db := &DB{Write: pool, Read: pool, dialect: Postgres, Schema: schema, closer: pool.Close}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open the state in PostgreSQL at %s: %w", Describe(u), err)
	}
	if err := db.prepare(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// maxConns bounds a replica's connections to the state: writes take one lock, so more would only wait.
const maxConns = 8

// Describe names a PostgreSQL URL without its secrets: user@host:port/database (no password, no query).
func Describe(u *url.URL) string {
	user := ""
	if u.User != nil {
		user = u.User.Username() + "@"
	}
	return user + u.Host + u.Path
}

// prepare creates the schema when it is missing and applies the migrations, one opener at a time per schema (a
// session advisory lock): replicas starting together, or a rolling upgrade, migrate once.
func (db *DB) prepare(ctx context.Context) error {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open the state in PostgreSQL: %w", err)
	}
	defer conn.Close()
	const key = `hashtext('todai state ' || $1)`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`, db.Schema); err != nil {
		return fmt.Errorf("open the state in PostgreSQL: wait for other replicas' migrations: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`, db.Schema) //nolint:errcheck // the session ends with the connection anyway
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, db.Schema).
		Scan(&exists); err != nil {
		return fmt.Errorf("open the state in PostgreSQL: %w", err)
	}
	if !exists { // created only when missing: a user with rights on the schema alone needs none on the database
		if _, err := conn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{db.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("open the state in PostgreSQL: create schema %s: %w (todai doctor gives the GRANT)", db.Schema, err)
		}
	}
	return db.migrate(ctx)
}

// migrate applies the pending migrations, refusing a schema newer than this build.
func (db *DB) migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db.Write, migrations.PostgresFS())
	if err != nil {
		return fmt.Errorf("load the state's migrations: %w", err)
	}
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read the state's schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("the state in schema %s is at version %d, newer than this Todai's %d: upgrade Todai", db.Schema,
			current, latest)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply the state's migrations: %w", err)
	}
	return nil
}

// Close closes a PostgreSQL state's pool, or the file Open opened; a state FromLocal made is its localdb's to close.
func (db *DB) Close() error {
	if db.closer == nil {
		return nil
	}
	return db.closer()
}

// Dialect is the engine the state runs on.
func (db *DB) Dialect() Dialect { return db.dialect }

// Rebind writes a statement's `?` placeholders as the engine takes them: as they are on SQLite, $1, $2 … on
// PostgreSQL; a numbered one (?2) keeps its number ($2). A `?` inside a quoted string or identifier is left alone.
// A statement uses bare or numbered placeholders, not both (bare ones are counted from $1), and no `?` in comments.
func (db *DB) Rebind(query string) string {
	if db.dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			b.WriteByte('$')
			if i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
				continue // ?2 is $2
			}
			n++
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Greatest names the function of the greatest of its arguments: max on SQLite, greatest on PostgreSQL.
func (db *DB) Greatest() string {
	if db.dialect == Postgres {
		return "greatest"
	}
	return "max"
}

// In writes the placeholders of an IN list of n values: "?, ?, ?" (at least one: an empty list matches nothing when
// given a value no row holds).
func In(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", max(n, 1)), ", ")
}

// Rows writes the placeholders of a VALUES list of n one-column rows: "(?), (?), (?)" (at least one).
func Rows(n int) string {
	return strings.TrimSuffix(strings.Repeat("(?), ", max(n, 1)), ", ")
}

// Querier runs statements written with `?` placeholders on a pool or a transaction, numbering them for the engine.
type Querier struct {
	q interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	db     *DB
	single bool // Single's: statements atomic on their own, run without the writer's lock
}

// ExecContext runs a statement that returns no rows. On a PostgreSQL pool it runs in its own transaction holding the
// writer's lock, so that it never lands between another writer's read and its write.
func (q Querier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if _, pool := q.q.(*sql.DB); pool && q.db.dialect == Postgres && !q.single {
		tx, err := q.db.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return res, tx.Commit()
	}
	return q.q.ExecContext(ctx, q.db.Rebind(query), args...)
}

// QueryContext runs a query.
func (q Querier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.q.QueryContext(ctx, q.db.Rebind(query), args...)
}

// QueryRowContext runs a query of one row.
func (q Querier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, q.db.Rebind(query), args...)
}

// Writer runs statements on Write.
func (db *DB) Writer() Querier { return Querier{q: db.Write, db: db} }

// Single runs, on Write, statements that are atomic on their own — one row's insert, upsert or update by key —
// and that no read-then-write transaction depends on, without the writer's lock: one round trip to PostgreSQL
// instead of four, for the journal's marks that must land before a process can die.
func (db *DB) Single() Querier { return Querier{q: db.Write, db: db, single: true} }

// Reader runs statements on Read.
func (db *DB) Reader() Querier { return Querier{q: db.Read, db: db} }

// Tx is a transaction on Write whose statements are numbered for the engine.
type Tx struct {
	Querier
	tx *sql.Tx
}

// writerLock is taken by every write on PostgreSQL, for the transaction's length: one writer at a time per schema,
// as SQLite's single writer connection gives the state file, so that the stores' read-then-write transactions
// (take an incident one does not hold yet, claim a send not claimed) stay serial across connections and replicas.
const writerLock = `SELECT pg_advisory_xact_lock(hashtext(current_schema()))`

// Begin starts a write transaction on Write (on PostgreSQL, holding the writer's lock).
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, writerLock); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("take the state's writer lock: %w", err)
		}
	}
	return &Tx{Querier: Querier{q: tx, db: db}, tx: tx}, nil
}

// InTx runs f in a write transaction (Begin) and commits it when f succeeds; otherwise it rolls it back.
// If ctx carries a first write (OnFirstWrite) not yet committed, it runs first in the same transaction.
func (db *DB) InTx(ctx context.Context, f func(*Tx) error) error {
	fw, _ := ctx.Value(firstWriteKey{}).(*firstWrite)
	if fw != nil {
		fw.mu.Lock()
		defer fw.mu.Unlock()
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	if fw != nil && !fw.done {
		if err := fw.f(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if fw != nil {
		fw.done = true
	}
	return nil
}

// firstWriteKey carries a *firstWrite in a context.
type firstWriteKey struct{}

// firstWrite is OnFirstWrite's: f, and whether a transaction committed it.
type firstWrite struct {
	mu   sync.Mutex
	f    func(ctx context.Context, tx *Tx) error
	done bool
}

// OnFirstWrite returns ctx carrying f, which InTx runs inside the first write transaction made with ctx, before its
// own statements, so that both commit together or not at all: a button's effect and the journal's record that its
// envelope was answered, so that a process dying between the two can neither lose the click nor apply it twice.
// f's error aborts that transaction.
func OnFirstWrite(ctx context.Context, f func(ctx context.Context, tx *Tx) error) context.Context {
	return context.WithValue(ctx, firstWriteKey{}, &firstWrite{f: f})
}

// Commit commits the transaction.
func (t *Tx) Commit() error { return t.tx.Commit() }

// Rollback rolls the transaction back (after a commit, it does nothing).
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// RecordLatest stores at under key in scheduler_state, the state's small keyed values, unless a later time is stored
// there, and says whether it did (a tie counts): one atomic statement, on a pool or in a transaction, with which
// processes that read the same warehouse at different times let the latest read decide.
func RecordLatest(ctx context.Context, q Querier, key string, at time.Time) (bool, error) {
	var kept string
	err := q.QueryRowContext(ctx, `INSERT INTO scheduler_state (key, value) VALUES (?1, ?2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE scheduler_state.value <= excluded.value
		RETURNING value`, key, localdb.FormatTime(at)).Scan(&kept)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record %s: %w", key, err)
	}
	return true, nil
}

// KeepRenewing calls renew every interval until the returned stop is called, which waits for a renewal in progress:
// what a process runs while it works under a claim in the state (a scheduler tick, a Slack answer), so that the
// claim outlives the process only by its TTL. A failed renewal is passed to failed, unless ctx has ended.
func KeepRenewing(ctx context.Context, every time.Duration, renew func(ctx context.Context) error,
	failed func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := renew(ctx); err != nil && ctx.Err() == nil {
					failed(err)
				}
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}
