package queries

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// scored is the result a test or a source's freshness check is scored by: its status, score and time; ok is false
// when it has none.
type scored struct {
	status string
	score  float64
	at     time.Time
	ok     bool
}

// resultSet is the result each test and each source is scored by: tests by their place in the catalog's tests
// (testFacts.index), sources by unique_id.
type resultSet struct {
	tests   []scored
	sources map[string]scored
}

// byIndex places results by test unique_id at their tests' places.
func byIndex(x *extraIndex, results map[string]scored) []scored {
	out := make([]scored, len(x.tests))
	for i, t := range x.tests {
		out[i] = results[t.UniqueID]
	}
	return out
}

// healthMemo remembers, for one data generation, the latest results, the tests' latest rows and the nodes' last
// successful builds.
type healthMemo struct {
	generation int64
	latest     *resultSet
	successes  map[string]time.Time // node → its last successful build
	testLatest map[string]latestRow // test → its latest result (test_latest)
}

// healthFor returns the memo for generation gen, emptied when the generation moved on.
func (c *readerCache) healthFor(gen int64) *healthMemo {
	if c.health == nil || c.health.generation != gen {
		c.health = &healthMemo{generation: gen}
	}
	return c.health
}

// pastKey names a past result set: its window [from, to] in Unix hours and the catalog's definition generation.
type pastKey [3]int64

// maxPastSets bounds the past result sets remembered.
const maxPastSets = 8

// latestResults is what every test and source is scored by now: a test's newest result that was not skipped
// (test_latest_ran: the worst of its rows detected then), a source's latest freshness check. Read once per data
// generation.
func (r *Reader) latestResults(ctx context.Context, c *catalog) (*resultSet, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	r.shared.mu.Lock()
	if set := r.shared.healthFor(gen).latest; set != nil {
		r.shared.mu.Unlock()
		return set, nil
	}
	r.shared.mu.Unlock()
	x, err := r.extras(ctx, c)
	if err != nil {
		return nil, err
	}
	tests := map[string]scored{}
	set := &resultSet{sources: map[string]scored{}}
	type latest struct {
		id, status string
		at         *time.Time
	}
	scan := func(rows *sql.Rows) (latest, error) {
		var x latest
		var at *string
		err := rows.Scan(&x.id, &x.status, &at)
		x.at = timePtr(at)
		return x, err
	}
	rows, err := localdb.Collect(ctx, r.q, "latest test results", `SELECT test_unique_id, status, detected_at
		FROM test_latest_ran`, nil, scan)
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		tests[x.id] = newScored(x.status, x.at)
	}
	set.tests = byIndex(x, tests)
	fresh, err := localdb.Collect(ctx, r.q, "latest freshness checks", `SELECT sf.unique_id, sf.status,
			coalesce(f.snapshotted_at, f.created_at)
		FROM source_freshness_latest sf
		LEFT JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = sf.execution_id`, nil, scan)
	if err != nil {
		return nil, err
	}
	for _, f := range fresh {
		set.sources[f.id] = newScored(f.status, f.at)
	}
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	if m := r.shared.healthFor(gen); m.latest == nil {
		m.latest = set
	}
	return set, nil
}

// resultsAsOf is what every test and source was scored by at to, with a window from from: each test's newest
// result in [from, to] that was not skipped (the worst of its rows then), each source's newest freshness check in
// it. A week-old window changes only when results arrive a week late, so it is remembered for its hour across syncs
// (until the definitions change): a result reaching the mirror that late counts from the next hour.
func (r *Reader) resultsAsOf(ctx context.Context, c *catalog, from, to time.Time) (*resultSet, error) {
	key := pastKey{from.Unix() / 3600, to.Unix() / 3600, c.generation}
	r.shared.mu.Lock()
	if set := r.shared.past[key]; set != nil {
		r.shared.mu.Unlock()
		return set, nil
	}
	r.shared.mu.Unlock()
	from, to = time.Unix(key[0]*3600, 0).UTC(), time.Unix(key[1]*3600, 0).UTC()
	tests, err := r.testResultsBetween(ctx, nil, from, to)
	if err != nil {
		return nil, err
	}
	type check struct {
		id, status string
		at         *time.Time
	}
	checks, err := localdb.Collect(ctx, r.q, "freshness checks then", `SELECT s.unique_id,
			(SELECT f.status || char(31) || coalesce(f.snapshotted_at, f.created_at)
			 FROM dbt_source_freshness_results f WHERE f.unique_id = s.unique_id
			   AND f.created_at >= ?1 AND f.created_at <= ?2
			 ORDER BY f.created_at DESC LIMIT 1)
		FROM dbt_sources s`, []any{localdb.FormatTime(from), localdb.FormatTime(to)},
		func(rows *sql.Rows) (check, error) {
			var x check
			var packed *string
			if err := rows.Scan(&x.id, &packed); err != nil || packed == nil {
				return x, err
			}
			status, at, _ := strings.Cut(*packed, "\x1f")
			x.status, x.at = status, timePtr(&at)
			return x, nil
		})
	if err != nil {
		return nil, err
	}
	x, err := r.extras(ctx, c)
	if err != nil {
		return nil, err
	}
	set := &resultSet{tests: byIndex(x, tests), sources: map[string]scored{}}
	for _, ch := range checks {
		if ch.status != "" {
			set.sources[ch.id] = newScored(ch.status, ch.at)
		}
	}
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	if r.shared.past == nil || len(r.shared.past) >= maxPastSets {
		r.shared.past = map[pastKey]*resultSet{}
	}
	r.shared.past[key] = set
	return set, nil
}

// testResultsBetween returns each test's newest result in [from, to] that was not skipped — the worst of its rows
// detected then: Elementary gives every row of one test's run the same detected_at (the test's generated_at), and
// its own tests write several — for the tests ids (every test when nil). Both steps read the results' index alone.
func (r *Reader) testResultsBetween(ctx context.Context, ids []string, from, to time.Time) (map[string]scored, error) {
	tests := `SELECT unique_id AS id FROM dbt_tests`
	args := []any{localdb.FormatTime(from), localdb.FormatTime(to)}
	if ids != nil {
		tests = `SELECT value AS id FROM json_each(?3)`
		args = append(args, jsonList(ids))
	}
	type newest struct {
		id, status string
		at         *time.Time
	}
	rows, err := localdb.Collect(ctx, r.q, "results between", `SELECT t.id, t.at,
			(SELECT e.status FROM elementary_test_results e WHERE e.test_unique_id = t.id AND e.detected_at = t.at
			   AND e.status != 'skipped' ORDER BY `+strings.ReplaceAll(statusRank, "status", "e.status")+` LIMIT 1)
		FROM (SELECT d.id, (SELECT max(e.detected_at) FROM elementary_test_results e
			WHERE e.test_unique_id = d.id AND e.detected_at >= ?1 AND e.detected_at <= ?2 AND e.status != 'skipped') AS at
			FROM (`+tests+`) d) t
		WHERE t.at IS NOT NULL`, args, func(rows *sql.Rows) (newest, error) {
		var x newest
		var at, status *string
		err := rows.Scan(&x.id, &at, &status)
		x.at, x.status = timePtr(at), str(status)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]scored, len(rows))
	for _, n := range rows {
		if n.status != "" {
			out[n.id] = newScored(n.status, n.at)
		}
	}
	return out, nil
}

// newScored scores a result.
func newScored(status string, at *time.Time) scored {
	score, ok := resultScore(status)
	s := scored{status: status, score: score, ok: ok && at != nil}
	if at != nil {
		s.at = *at
	}
	return s
}

// latestRow is a test's latest result as test_latest holds it: its status, its time as mirror text, and its
// message when it fails or errors.
type latestRow struct {
	status, detected, message string
}

// testLatest is every test's latest result (test_latest), read once per data generation.
func (r *Reader) testLatest(ctx context.Context) (map[string]latestRow, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	r.shared.mu.Lock()
	if m := r.shared.healthFor(gen).testLatest; m != nil {
		r.shared.mu.Unlock()
		return m, nil
	}
	r.shared.mu.Unlock()
	type row struct {
		id string
		latestRow
	}
	rows, err := localdb.Collect(ctx, r.q, "latest test results", `SELECT test_unique_id, status,
			coalesce(detected_at, ''), CASE WHEN status IN ('fail', 'error') THEN coalesce(message, '') ELSE '' END
		FROM test_latest`, nil, func(rows *sql.Rows) (row, error) {
		var x row
		return x, rows.Scan(&x.id, &x.status, &x.detected, &x.message)
	})
	if err != nil {
		return nil, err
	}
	m := make(map[string]latestRow, len(rows))
	for _, x := range rows {
		m[x.id] = x.latestRow
	}
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	r.shared.healthFor(gen).testLatest = m
	return m, nil
}
