package queries

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Runbooks are the team playbooks configured per test type and per tag (ReaderOptions.Runbooks); a node's or test's
// own meta.runbook wins over them.
type Runbooks struct {
	// TestTypes maps a test's type (not_null, unique, volume_anomalies, …) to its runbook's URL.
	TestTypes map[string]string
	// Tags maps a tag to the runbook's URL of what carries it.
	Tags map[string]string
}

// RunbookURL reports whether s is a runbook link Todai can show: an absolute http or https URL with a host, with no
// space or character that would break a Slack link.
func RunbookURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n<>|") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Runbook returns the runbook of a test or node (its unique_id): its own meta.runbook; for a test, its model's;
// else the one configured for its test type; else for its tags (its own, then its model's, in order). "" when it
// has none, or its node is unknown. A meta.runbook that is not a URL is passed over (doctor lists it).
func (r *Reader) Runbook(ctx context.Context, uniqueID string) (string, error) {
	return inSnapshot(ctx, r, func(r *Reader) (string, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return "", err
		}
		n, err := r.nodeByID(ctx, c, uniqueID)
		if err != nil || n == nil {
			return "", err
		}
		return r.runbookOf(ctx, c, n)
	})
}

// nodeByID is the listed node or the test whose unique_id is id (nil when none is).
func (r *Reader) nodeByID(ctx context.Context, c *catalog, id string) (*nodeInfo, error) {
	if id == "" {
		return nil, nil
	}
	if n := c.byID[id]; n != nil {
		return n, nil
	}
	x, err := r.extras(ctx, c)
	if err != nil {
		return nil, err
	}
	return x.byIDLower[strings.ToLower(id)], nil
}

// runbookOf is Runbook of a node of the catalog c.
func (r *Reader) runbookOf(ctx context.Context, c *catalog, n *nodeInfo) (string, error) {
	nodes := []*nodeInfo{n}
	if n.test != nil {
		if parent := c.byID[n.test.parent]; parent != nil {
			nodes = append(nodes, parent)
		}
	}
	for _, x := range nodes {
		_, meta, err := r.nodeTexts(ctx, x)
		if err != nil {
			return "", fmt.Errorf("runbook of %s: %w", n.UniqueID, err)
		}
		if link, _ := parseMeta(meta)["runbook"].(string); RunbookURL(strings.TrimSpace(link)) {
			return strings.TrimSpace(link), nil
		}
	}
	if n.test != nil {
		if link := r.runbooks.TestTypes[strings.ToLower(n.test.shortName)]; link != "" {
			return link, nil
		}
	}
	for _, x := range nodes {
		for _, tag := range x.tags {
			if link := r.runbooks.Tags[strings.ToLower(tag)]; link != "" {
				return link, nil
			}
		}
	}
	return "", nil
}

// BadRunbook is a meta.runbook that is not a link Todai can show.
type BadRunbook struct {
	UniqueID string
	Value    string
}

// BadRunbooks lists the nodes and tests whose meta.runbook is set but is not an http(s) URL (RunbookURL), by
// unique_id: `todai doctor` shows them.
func (r *Reader) BadRunbooks(ctx context.Context) ([]BadRunbook, error) {
	return inSnapshot(ctx, r, func(r *Reader) ([]BadRunbook, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return nil, err
		}
		var out []BadRunbook
		check := func(id string, meta string) {
			v, ok := parseMeta(meta)["runbook"]
			if !ok {
				return
			}
			if s, isText := v.(string); !isText || !RunbookURL(strings.TrimSpace(s)) {
				out = append(out, BadRunbook{UniqueID: id, Value: fmt.Sprint(v)})
			}
		}
		rows, err := r.q.QueryContext(ctx, `SELECT unique_id, meta FROM nodes WHERE meta LIKE '%"runbook"%'`)
		if err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var meta *string
			if err := rows.Scan(&id, &meta); err != nil {
				return nil, fmt.Errorf("runbooks: %w", err)
			}
			check(id, str(meta))
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("runbooks: %w", err)
		}
		x, err := r.extras(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, n := range x.tests {
			check(n.UniqueID, n.meta)
		}
		slices.SortFunc(out, func(a, b BadRunbook) int { return strings.Compare(a.UniqueID, b.UniqueID) })
		return out, nil
	})
}
