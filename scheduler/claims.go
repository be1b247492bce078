package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// DefaultClaimTTL is how long a tick's claim lasts unrenewed. The process running the tick renews it every third of
// that, so a claim outlives its holder by at most this: a process killed mid-job holds nothing longer.
const DefaultClaimTTL = 30 * time.Second

// claimRetention is how long done claims are kept (for `todai schedule` and the tests' counts).
const claimRetention = 24 * time.Hour

// tickLayout names a tick by the start of its period, in UTC to the second.
const tickLayout = "2006-01-02T15:04:05Z"

// Claims are the scheduler's per-tick locks, shared by every process over one state: a row (job, tick) that the
// process running that tick inserts, renews while it runs and marks done. There is no leader: whichever process's
// timer fires first runs a tick and the others skip it. A job runs one tick at a time across processes — a claim is
// refused while another holder's claim of the same job is running and unexpired — and a tick is run once, unless
// its holder died before marking it done, in which case it is taken over once its claim has expired.
//
// Expiries are written and compared with each process's own clock; the processes' clocks must agree to well within
// the TTL (NTP keeps them within milliseconds; the TTL is 30 s).
type Claims struct {
	db     *statedb.DB
	holder string
	ttl    time.Duration
}

// NewClaims returns the claims as taken by holder (a per-process id), lasting ttl unrenewed (DefaultClaimTTL when ≤ 0).
func NewClaims(db *statedb.DB, holder string, ttl time.Duration) *Claims {
	if ttl <= 0 {
		ttl = DefaultClaimTTL
	}
	return &Claims{db: db, holder: holder, ttl: ttl}
}

// Claim is one tick claimed by this process.
type Claim struct {
	Job  string
	Tick time.Time
}

// Take claims job's tick at now and reports whether this process got it. It is one atomic statement: the row is
// written when the tick is new or its claim expired unfinished, and no other holder's claim of the job is running.
func (c *Claims) Take(ctx context.Context, job string, tick, now time.Time) (bool, error) {
	nowText := localdb.FormatTime(now)
	var holder string
	err := c.db.InTx(ctx, func(tx *statedb.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO scheduler_claims (job, tick, holder, claimed_at, expires_at)
		SELECT ?1, ?2, ?3, ?4, ?5
		WHERE NOT EXISTS (SELECT 1 FROM scheduler_claims
			WHERE job = ?1 AND done_at IS NULL AND expires_at > ?4 AND holder <> ?3)
		ON CONFLICT (job, tick) DO UPDATE SET
			holder = excluded.holder, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
		WHERE scheduler_claims.done_at IS NULL AND scheduler_claims.expires_at <= excluded.claimed_at
		RETURNING holder`, job, tick.UTC().Format(tickLayout), c.holder, nowText,
			localdb.FormatTime(now.Add(c.ttl))).Scan(&holder)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s tick: %w", job, err)
	}
	return holder == c.holder, nil
}

// Renew extends this process's claim of a tick it is still running to now plus the TTL.
func (c *Claims) Renew(ctx context.Context, cl Claim, now time.Time) error {
	if _, err := c.db.Writer().ExecContext(ctx, `UPDATE scheduler_claims SET expires_at = ?
		WHERE job = ? AND tick = ? AND holder = ? AND done_at IS NULL`,
		localdb.FormatTime(now.Add(c.ttl)), cl.Job, cl.Tick.UTC().Format(tickLayout), c.holder); err != nil {
		return fmt.Errorf("renew %s claim: %w", cl.Job, err)
	}
	return nil
}

// Done marks this process's claim of a tick finished, and forgets the job's claims of ticks a day older.
func (c *Claims) Done(ctx context.Context, cl Claim, now time.Time) error {
	return c.db.InTx(ctx, func(tx *statedb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE scheduler_claims SET done_at = ?
			WHERE job = ? AND tick = ? AND holder = ?`,
			localdb.FormatTime(now), cl.Job, cl.Tick.UTC().Format(tickLayout), c.holder); err != nil {
			return fmt.Errorf("finish %s claim: %w", cl.Job, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM scheduler_claims WHERE job = ? AND tick < ?`,
			cl.Job, cl.Tick.Add(-claimRetention).UTC().Format(tickLayout)); err != nil {
			return fmt.Errorf("forget old %s claims: %w", cl.Job, err)
		}
		return nil
	})
}

// GiveBack withdraws this process's claim of a tick it could not run, so that another process may take it.
func (c *Claims) GiveBack(ctx context.Context, cl Claim, _ time.Time) error {
	if _, err := c.db.Writer().ExecContext(ctx, `DELETE FROM scheduler_claims WHERE job = ? AND tick = ? AND holder = ?
		AND done_at IS NULL`, cl.Job, cl.Tick.UTC().Format(tickLayout), c.holder); err != nil {
		return fmt.Errorf("give back %s claim: %w", cl.Job, err)
	}
	return nil
}

// TickClaim is the latest claim of a job, for `todai schedule`.
type TickClaim struct {
	Job, Holder                string
	Tick, ClaimedAt, ExpiresAt time.Time
	Done                       bool
}

// Latest returns each job's latest claimed tick, by job name.
func (c *Claims) Latest(ctx context.Context) ([]TickClaim, error) {
	rows, err := c.db.Reader().QueryContext(ctx, `SELECT c.job, c.tick, c.holder, c.claimed_at, c.expires_at,
		c.done_at IS NOT NULL
		FROM scheduler_claims c
		WHERE c.tick = (SELECT MAX(tick) FROM scheduler_claims l WHERE l.job = c.job)
		ORDER BY c.job`)
	if err != nil {
		return nil, fmt.Errorf("read scheduler claims: %w", err)
	}
	defer rows.Close()
	var out []TickClaim
	for rows.Next() {
		var tc TickClaim
		var tick, claimed, expires string
		if err := rows.Scan(&tc.Job, &tick, &tc.Holder, &claimed, &expires, &tc.Done); err != nil {
			return nil, fmt.Errorf("read scheduler claims: %w", err)
		}
		if tc.Tick, err = time.Parse(tickLayout, tick); err != nil {
			return nil, fmt.Errorf("read scheduler claims: %w", err)
		}
		if tc.ClaimedAt, err = localdb.ParseTime(claimed); err != nil {
			return nil, fmt.Errorf("read scheduler claims: %w", err)
		}
		if tc.ExpiresAt, err = localdb.ParseTime(expires); err != nil {
			return nil, fmt.Errorf("read scheduler claims: %w", err)
		}
		out = append(out, tc)
	}
	return out, rows.Err()
}
