package statedb

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Tables are the tables of Todai's own state that a copy moves, parents before the rows that name them (an event
// names its incident). The scheduler's tick claims are not among them: they name processes of the old install and
// ticks already past.
func Tables() []string {
	return []string{"incidents", "incident_events", "silences", "sends", "bot_seen", "bot_messages", "digest_slots",
		"scheduler_state", "episode_notices"}
}

// identities are the tables whose id the engine assigns: after a copy, the next id must follow the copied ones.
var identities = []string{"incidents", "incident_events", "silences"}

// Copy moves every row of Todai's own state from one state database to another that holds none — an install's
// SQLite state file to PostgreSQL, when it grows to several replicas — in one transaction on the target: every
// incident keeps its id (so its timeline, sends, silences and grouping still name it), every claim and silence
// stays, and the next id assigned follows the copied ones. It returns each table's rows copied, checked against
// the source's count.
func Copy(ctx context.Context, from, to *DB) (map[string]int64, error) {
	for _, t := range Tables() {
		var n int64
		// t is one of Tables(): safe to place in SQL text.
		if err := to.Reader().QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("copy the state: read the target's %s: %w", t, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("copy the state: the target already holds %d rows of %s: copy into a new schema "+
				"(?schema=) or an empty database", n, t)
		}
	}
	tx, err := to.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy the state: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	copied := map[string]int64{}
	for _, t := range Tables() {
		n, err := copyTable(ctx, from, tx, t)
		if err != nil {
			return nil, fmt.Errorf("copy the state: %s: %w", t, err)
		}
		copied[t] = n
	}
	if to.Dialect() == Postgres {
		for _, t := range identities {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'),
				(SELECT coalesce(max(id), 0) + 1 FROM `+t+`), false)`); err != nil {
				return nil, fmt.Errorf("copy the state: the next id of %s: %w", t, err)
			}
		}
	}
	for _, t := range Tables() {
		var n, source int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil || n != copied[t] {
			return nil, fmt.Errorf("copy the state: %s holds %d rows after the copy, %d were read: %v", t, n, copied[t], err)
		}
		if err := from.Reader().QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&source); err != nil || source != n {
			return nil, fmt.Errorf("copy the state: the source's %s holds %d rows, %d were copied: stop every todai serve "+
				"writing to it, then copy again (%v)", t, source, n, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("copy the state: %w", err)
	}
	return copied, nil
}

// copyTable copies table t's rows, the columns both sides have, into tx.
func copyTable(ctx context.Context, from *DB, tx *Tx, t string) (int64, error) {
	target, err := columns(ctx, tx.Querier, t)
	if err != nil {
		return 0, err
	}
	source, err := columns(ctx, from.Reader(), t)
	if err != nil {
		return 0, err
	}
	cols := slices.DeleteFunc(slices.Clone(source), func(c string) bool { return !slices.Contains(target, c) })
	rows, err := from.Reader().QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+t)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	insert := `INSERT INTO ` + t + ` (` + strings.Join(cols, ", ") + `) VALUES (` + In(len(cols)) + `)`
	var n int64
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range values {
			if b, ok := v.([]byte); ok {
				values[i] = string(b) // the state holds text, not bytes
			}
		}
		if _, err := tx.ExecContext(ctx, insert, values...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// columns lists table t's columns as q reads them.
func columns(ctx context.Context, q Querier, t string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+t+` WHERE 1 = 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	return cols, rows.Err()
}
