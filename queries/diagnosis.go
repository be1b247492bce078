package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
// chain from it down to id; parents that succeeded, or did not run in inv, end the walk.
func (r *Reader) skipRoots(ctx context.Context, c *catalog, id, inv string) ([]Cause, [][]ChainLink, error) {
	runStatus, err := r.db.Read.PrepareContext(ctx, `SELECT status, coalesce(message, '') FROM dbt_run_results
		WHERE model_execution_id = ?`)
	if err != nil {
		return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
	}
	defer runStatus.Close()
	failedTest, err := r.db.Read.PrepareContext(ctx, `SELECT e.test_unique_id, coalesce(e.test_results_description, '')
		FROM test_nodes tn JOIN elementary_test_results e INDEXED BY test_results_invocation
			ON e.invocation_id = ?2 AND e.test_unique_id = tn.test_unique_id
		LEFT JOIN dbt_tests t ON t.unique_id = tn.test_unique_id
		WHERE tn.node_unique_id = ?1 AND e.status IN ('fail', 'error')
		  AND upper(coalesce(e.severity, t.severity, 'ERROR')) = 'ERROR'
		ORDER BY e.test_unique_id LIMIT 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
	}
	defer failedTest.Close()
	parents, err := r.db.Read.PrepareContext(ctx, `SELECT parent FROM node_edges WHERE child = ? ORDER BY parent`)
	if err != nil {
		return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
	}
	defer parents.Close()

	parentsOf := func(child string) ([]string, error) {
		rows, err := parents.QueryContext(ctx, child)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, rows.Err()
	}
	nameOf := func(uid string) string {
		if n := c.byID[uid]; n != nil {
			return n.Name
		}
		return uid
	}
	via := map[string]string{} // a node on the walk → the child it was reached from
	seen := map[string]bool{id: true}
	queue := []string{id}
	var causes []Cause
	var chains [][]ChainLink
	chainFrom := func(root string, rootStatus string) []ChainLink {
		chain := []ChainLink{{UniqueID: root, Name: nameOf(root), Status: rootStatus}}
		for n := via[root]; n != ""; n = via[n] {
			chain = append(chain, ChainLink{UniqueID: n, Name: nameOf(n), Status: "skipped"})
		}
		return chain
	}
	for len(queue) > 0 && len(seen) <= maxSkipWalk {
		child := queue[0]
		queue = queue[1:]
		ps, err := parentsOf(child)
		if err != nil {
			return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
		}
		for _, p := range ps {
			if seen[p] {
				continue
			}
			seen[p] = true
			via[p] = child
			var status, msg string
			err := runStatus.QueryRowContext(ctx, inv+"."+p).Scan(&status, &msg)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				status = "" // it did not run in inv (a source, or a node outside the selection)
			case err != nil:
				return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
			}
			switch status {
			case "error":
				causes = append(causes, Cause{Kind: "upstream_error", UniqueID: p, Name: nameOf(p),
					Detail: textOrNil(firstLine(msg)), InvocationID: inv, Confidence: ConfidenceHigh})
				chains = append(chains, chainFrom(p, "error"))
				continue
			case "skipped":
				queue = append(queue, p)
				continue
			}
			var test, desc string
			switch err := failedTest.QueryRowContext(ctx, p, inv).Scan(&test, &desc); {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return nil, nil, fmt.Errorf("skip roots of %s: %w", id, err)
			default:
				detail := testNameOf(test)
				if d := firstLine(desc); d != "" {
					detail += ": " + d
				}
				causes = append(causes, Cause{Kind: "upstream_test_failed", UniqueID: p, Name: nameOf(p),
					Detail: &detail, InvocationID: inv, Confidence: ConfidenceMedium})
				chains = append(chains, chainFrom(p, "fail"))
			}
		}
	}
	return causes, chains, nil
}

// maxSkipWalk bounds the nodes one skip walk visits.
const maxSkipWalk = 5000

// testNameOf is a test's dbt name from its unique_id (test.<package>.<name>[.<hash>]).
func testNameOf(id string) string {
	if parts := strings.Split(id, "."); len(parts) >= 3 {
		return parts[2]
	}
	return id
}
