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

// DefaultLeaseTTL is how long a lease lasts without renewal. The holder renews it every minute.
const DefaultLeaseTTL = 3 * time.Minute

// Lease is the one-scheduler-at-a-time lock: a row in the state database naming a holder until an expiry. Every scheduled job
// asks for it first; the holder renews it by asking, anybody takes it over once it has expired.
type Lease struct {
	db     *statedb.DB
	holder string
	ttl    time.Duration
}

// NewLease returns the lease as seen by holder (a per-process id), lasting ttl (DefaultLeaseTTL when ≤ 0).
func NewLease(db *statedb.DB, holder string, ttl time.Duration) *Lease {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	return &Lease{db: db, holder: holder, ttl: ttl}
}

// Holder is this process's holder id.
func (l *Lease) Holder() string { return l.holder }

// Acquire takes or renews the lease at now and reports whether this holder has it. It is one atomic statement: the
// row is written only when it is missing, already ours, or expired.
func (l *Lease) Acquire(ctx context.Context, now time.Time) (bool, error) {
	nowText := localdb.FormatTime(now)
	var holder string
	err := l.db.Writer().QueryRowContext(ctx, `INSERT INTO scheduler_lease (id, holder, acquired_at, expires_at)
		VALUES (1, ?1, ?2, ?3)
		ON CONFLICT (id) DO UPDATE SET
			acquired_at = CASE WHEN scheduler_lease.holder = excluded.holder THEN scheduler_lease.acquired_at
				ELSE excluded.acquired_at END,
			holder = excluded.holder, expires_at = excluded.expires_at
		WHERE scheduler_lease.holder = excluded.holder OR scheduler_lease.expires_at <= ?2
		RETURNING holder`, l.holder, nowText, localdb.FormatTime(now.Add(l.ttl))).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("scheduler lease: %w", err)
	}
	return holder == l.holder, nil
}

// Release gives the lease up if this holder has it, so that another process can take over at once.
func (l *Lease) Release(ctx context.Context) error {
	if _, err := l.db.Writer().ExecContext(ctx, `DELETE FROM scheduler_lease WHERE holder = ?`, l.holder); err != nil {
		return fmt.Errorf("release scheduler lease: %w", err)
	}
	return nil
}

// Current returns the lease's holder and expiry ("" and zero when nobody ever held it).
func (l *Lease) Current(ctx context.Context) (string, time.Time, error) {
	var holder, exp string
	err := l.db.Reader().QueryRowContext(ctx, `SELECT holder, expires_at FROM scheduler_lease WHERE id = 1`).
		Scan(&holder, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read scheduler lease: %w", err)
	}
	t, err := localdb.ParseTime(exp)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read scheduler lease: %w", err)
	}
	return holder, t, nil
}
