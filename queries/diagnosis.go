package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// Confidence says how strongly the rows prove a cause.
const (
	ConfidenceHigh   = "high"   // the rows show it: the node's own error, a node that errored in the invocation that skipped it
	ConfidenceMedium = "medium" // dbt's rules infer it from the rows: a failed ERROR test of a build skips what is downstream
	ConfidenceLow    = "low"    // the rows only hint at it
)

// ChainLink is one node on the way from a root cause to the node asked about, and how it fared in the invocation.
type ChainLink struct {
	UniqueID string `json:"unique_id"`
	Name     string `json:"name"`
	Status   string `json:"status"` // error, fail (a test), skipped
}

// skipRoots finds why id was skipped in invocation inv: walking up the lineage within that invocation, through
// the parents dbt skipped too, to the nodes that errored there (high confidence) or whose ERROR-severity tests
// failed there (medium: a `dbt build` skips what is downstream of them). Only roots are returned, each with the
// chain from it down to id; parents that succeeded, or did not run in inv, end the walk. What the invocation did is
// read once per sync (invocationOf), however many skipped nodes walk through it.
func (r *Reader) skipRoots(ctx context.Context, c *catalog, id, inv string) ([]Cause, [][]ChainLink, error) {
	did, err := r.invocationOf(ctx, inv)
	if err != nil {
		return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
	}
	via := map[string]string{} // a node on the walk → the child it was reached from
	seen := map[string]bool{id: true}
	queue := []string{id}
	var causes []Cause
	var chains [][]ChainLink
	chainFrom := func(root string, rootStatus string) []ChainLink {
		chain := []ChainLink{{UniqueID: root, Name: c.nameOf(root), Status: rootStatus}}
		for n := via[root]; n != ""; n = via[n] {
			chain = append(chain, ChainLink{UniqueID: n, Name: c.nameOf(n), Status: "skipped"})
		}
		return chain
	}
	for len(queue) > 0 && len(seen) <= maxSkipWalk {
		child := queue[0]
		queue = queue[1:]
		for _, p := range c.parents[child] { // the lineage, in memory and sorted
			if seen[p] {
				continue
			}
			seen[p] = true
			via[p] = child
			run := did.runs[p] // zero when it did not run in inv (a source, or a node outside the selection)
			switch run.status {
			case "error":
				causes = append(causes, Cause{Kind: "upstream_error", UniqueID: p, Name: c.nameOf(p),
					Detail: textOrNil(firstLine(run.message)), InvocationID: inv, Confidence: ConfidenceHigh})
				chains = append(chains, chainFrom(p, "error"))
				continue
			case "skipped":
				queue = append(queue, p)
				continue
			}
			failed, err := r.failedTestIn(ctx, did, inv, p)
			if err != nil {
				return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
			}
			if failed != nil {
				detail := NameOf(failed.test)
				if d := firstLine(failed.description); d != "" {
					detail += ": " + d
				}
				causes = append(causes, Cause{Kind: "upstream_test_failed", UniqueID: p, Name: c.nameOf(p),
					Detail: &detail, InvocationID: inv, Confidence: ConfidenceMedium})
				chains = append(chains, chainFrom(p, "fail"))
			}
		}
	}
	return causes, chains, nil
}

// invocationRuns is what one dbt invocation did, as skip walks read it: each node's run there (its status and
// message), read at once, and the first failed ERROR test of each node asked about, read when first asked.
type invocationRuns struct {
	runs   map[string]runOutcome
	mu     sync.Mutex
	failed map[string]*failedTest // node → its failed ERROR test in the invocation, nil when none
}

type runOutcome struct{ status, message string }

type failedTest struct{ test, description string }

// invocationOf returns what invocation inv did, from memory for this data generation.
func (r *Reader) invocationOf(ctx context.Context, inv string) (*invocationRuns, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	c := r.shared
	c.mu.Lock()
	if c.invocationsGen != gen {
		c.invocations, c.invocationsGen = map[string]*invocationRuns{}, gen
	}
	if did, ok := c.invocations[inv]; ok {
		c.mu.Unlock()
		return did, nil
	}
	c.mu.Unlock()
	// model_execution_id is "<invocation_id>.<unique_id>": the primary key's range of the invocation.
	rows, err := localdb.Collect(ctx, r.q, "runs of invocation "+inv, `SELECT unique_id, status, coalesce(message, '')
		FROM dbt_run_results WHERE model_execution_id > ?1 || '.' AND model_execution_id < ?1 || '/'
		AND invocation_id = ?1`, []any{inv}, func(rows *sql.Rows) ([3]string, error) {
		var x [3]string
		return x, rows.Scan(&x[0], &x[1], &x[2])
	})
	if err != nil {
		return nil, err
	}
	did := &invocationRuns{runs: make(map[string]runOutcome, len(rows)), failed: map[string]*failedTest{}}
	for _, x := range rows {
		did.runs[x[0]] = runOutcome{status: x[1], message: x[2]}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.invocationsGen == gen {
		c.invocations[inv] = did
	}
	return did, nil
}

// failedTestIn returns node's first failed ERROR-severity test in invocation inv (nil when none), remembered in did.
func (r *Reader) failedTestIn(ctx context.Context, did *invocationRuns, inv, node string) (*failedTest, error) {
	did.mu.Lock()
	f, ok := did.failed[node]
	did.mu.Unlock()
	if ok {
		return f, nil
	}
	// CROSS JOIN keeps the node's few tests as the outer loop: one index seek per test, not a scan of the whole
	// invocation's results.
	var x failedTest
	err := r.q.QueryRowContext(ctx, `SELECT e.test_unique_id, coalesce(e.test_results_description, '')
		FROM test_nodes tn CROSS JOIN elementary_test_results e INDEXED BY test_results_invocation
			ON e.invocation_id = ?2 AND e.test_unique_id = tn.test_unique_id
		LEFT JOIN dbt_tests t ON t.unique_id = tn.test_unique_id
		WHERE tn.node_unique_id = ?1 AND e.status IN ('fail', 'error')
		  AND upper(coalesce(e.severity, t.severity, 'ERROR')) = 'ERROR'
		ORDER BY e.test_unique_id LIMIT 1`, node, inv).Scan(&x.test, &x.description)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		f = nil
	case err != nil:
		return nil, err
	default:
		f = &x
	}
	did.mu.Lock()
	did.failed[node] = f
	did.mu.Unlock()
	return f, nil
}

// maxSkipWalk bounds the nodes one skip walk visits.
const maxSkipWalk = 5000

// NameOf is a node's dbt name from its unique_id: <type>.<package>.<name>[.<version or hash>] gives <name> (so a
// versioned model keeps its name and a generic test loses its hash); a source, source.<package>.<source>.<table>,
// gives its table. Anything of another shape is returned whole.
func NameOf(uniqueID string) string {
	parts := strings.Split(uniqueID, ".")
	switch {
	case len(parts) >= 4 && parts[0] == "source" && parts[len(parts)-1] != "":
		return parts[len(parts)-1]
	case len(parts) >= 3 && parts[2] != "":
		return parts[2]
	}
	return uniqueID
}

// Change is something that changed between a node's last good run and its first bad one.
type Change struct {
	// Kind is sql (its definition's checksum), parents (a parent added or removed), commit (the git sha of the
	// invocations), dbt_version, or full_refresh (the first bad run was a full refresh).
	Kind     string     `json:"kind"`
	UniqueID string     `json:"unique_id"`
	Name     string     `json:"name"`
	At       *time.Time `json:"at"`
	// Detail is the change in one line: "abc1234 → def5678".
	Detail string `json:"detail"`
	// The first bad run's invocation: its id, job, commit and pull request.
	InvocationID  string `json:"invocation_id,omitempty"`
	JobName       string `json:"job_name,omitempty"`
	GitSHA        string `json:"git_sha,omitempty"`
	PullRequestID string `json:"pull_request_id,omitempty"`
	// CompareURL is the repository's compare view of the last good run's commit and the first bad run's, when the
	// repository is configured and the commit changed.
	CompareURL string `json:"compare_url,omitempty"`
}

// changeWindowAfter is how long after a first bad run a definition change may be stamped and still be its cause:
// Elementary uploads the new definitions at the end of the invocation that first ran them.
const changeWindowAfter = 2 * time.Hour

// changes lists what changed between a node's last good run and its first bad one: its definition's SQL and
// parents (from the definition history Todai records at each sync), and the invocations' commit, dbt version and
// full refresh.
func (r *Reader) changes(ctx context.Context, n *nodeInfo, good, bad Run) ([]Change, error) {
	out := []Change{}
	if good.CompletedAt == nil || bad.CompletedAt == nil {
		return out, nil
	}
	inv := func(id string) (sha, pr, dbtVersion, job string, fullRefresh bool, err error) {
		var s, p, v, j sql.NullString
		var fr sql.NullInt64
		err = r.q.QueryRowContext(ctx, `SELECT git_sha, pull_request_id, dbt_version, job_name, full_refresh
			FROM dbt_invocations WHERE invocation_id = ?`, id).Scan(&s, &p, &v, &j, &fr)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		return s.String, p.String, v.String, j.String, fr.Int64 == 1, err
	}
	goodSHA, _, goodDBT, _, _, err := inv(good.InvocationID)
	if err != nil {
		return nil, fmt.Errorf("invocation %s: %w", good.InvocationID, err)
	}
	badSHA, badPR, badDBT, badJob, badFull, err := inv(bad.InvocationID)
	if err != nil {
		return nil, fmt.Errorf("invocation %s: %w", bad.InvocationID, err)
	}
	compare := compareURL(r.repo, goodSHA, badSHA)
	stamp := func(c Change) Change {
		c.InvocationID, c.JobName, c.GitSHA, c.PullRequestID = bad.InvocationID, badJob, badSHA, badPR
		c.CompareURL = compare
		if c.UniqueID == "" {
			c.UniqueID, c.Name = n.UniqueID, n.Name
		}
		return c
	}
	defs, err := r.nodeChanges(ctx, n, good, bad)
	if err != nil {
		return nil, err
	}
	for _, c := range defs {
		out = append(out, stamp(c))
	}
	if goodSHA != "" && badSHA != "" && goodSHA != badSHA {
		out = append(out, stamp(Change{Kind: "commit", At: bad.CompletedAt, Detail: shortSHA(goodSHA) + " → " + shortSHA(badSHA)}))
	}
	if goodDBT != "" && badDBT != "" && goodDBT != badDBT {
		out = append(out, stamp(Change{Kind: "dbt_version", At: bad.CompletedAt, Detail: goodDBT + " → " + badDBT}))
	}
	if badFull {
		out = append(out, stamp(Change{Kind: "full_refresh", At: bad.CompletedAt, Detail: "full refresh"}))
	}
	return out, nil
}

// nodeChanges lists the changes of n's definition (its SQL checksum, its parents) that Todai recorded between its
// last good run and its first bad one (and a little after it: Elementary uploads the new definitions at the end of
// the invocation that first ran them), oldest first.
func (r *Reader) nodeChanges(ctx context.Context, n *nodeInfo, good, bad Run) ([]Change, error) {
	var out []Change
	if good.CompletedAt == nil || bad.CompletedAt == nil {
		return out, nil
	}
	rows, err := r.q.QueryContext(ctx, `SELECT changed_at, what, coalesce(old_value, ''), coalesce(new_value, '')
		FROM node_changes WHERE unique_id = ? AND changed_at > ? AND changed_at <= ? ORDER BY changed_at, id`,
		n.UniqueID, localdb.FormatTime(*good.CompletedAt), localdb.FormatTime(bad.CompletedAt.Add(changeWindowAfter)))
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", n.UniqueID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var at, what, old, new string
		if err := rows.Scan(&at, &what, &old, &new); err != nil {
			return nil, fmt.Errorf("changes of %s: %w", n.UniqueID, err)
		}
		detail := shortSHA(old) + " → " + shortSHA(new)
		if what == "parents" {
			detail = parentsDiff(old, new)
		}
		out = append(out, Change{Kind: what, UniqueID: n.UniqueID, Name: n.Name, At: timePtr(&at), Detail: detail})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes of %s: %w", n.UniqueID, err)
	}
	return out, nil
}

// compareURL links the repository's compare view of two commits: GitHub's /compare/a...b, GitLab's
// /-/compare/a...b (a host naming gitlab). "" without a repository, without both commits, or when they are equal.
func compareURL(repo, from, to string) string {
	repo = strings.TrimRight(strings.TrimSpace(repo), "/")
	if repo == "" || from == "" || to == "" || from == to || !isCommitSHA(from) || !isCommitSHA(to) {
		return ""
	}
	u, err := url.Parse(repo)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	path := "/compare/"
	if strings.Contains(strings.ToLower(u.Host), "gitlab") {
		path = "/-/compare/"
	}
	return repo + path + from + "..." + to
}

// isCommitSHA reports whether s looks like a git commit's hash (hex, 7 to 64 characters): data, never a path.
func isCommitSHA(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// shortSHA shortens a git sha or checksum to 7 characters.
func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// parentsDiff says which parents two sorted JSON lists add and remove: "+model.x.a −model.x.b".
func parentsDiff(old, new string) string {
	was, is := decodeJSONList(old), decodeJSONList(new)
	var parts []string
	for _, p := range is {
		if !slices.Contains(was, p) {
			parts = append(parts, "+"+p)
		}
	}
	for _, p := range was {
		if !slices.Contains(is, p) {
			parts = append(parts, "−"+p)
		}
	}
	return strings.Join(parts, " ")
}
