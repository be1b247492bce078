package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Freshness answers "freshness [SOURCE]": the latest freshness check (newest generated_at, then created_at) of
// every source that has one, worst first, when source is empty; of the named source (status "unknown" when never
// checked); or, when the name resolves to a model ("is X up to date?"), how current that model's data is and the
// freshness of every source upstream of it. "error" means stale (past error_after) and "runtime error" means the
// check itself failed.
func (r *Reader) Freshness(ctx context.Context, source string) (FreshnessAnswer, error) {
	return inSnapshot(ctx, r, func(r *Reader) (FreshnessAnswer, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return FreshnessAnswer{}, err
		}
		if strings.TrimSpace(source) == "" {
			fr, err := r.freshnessOf(ctx, c, nil, false)
			return FreshnessAnswer{Sources: fr}, err
		}
		n, err := r.resolve(ctx, c, source)
		if err != nil {
			return FreshnessAnswer{}, err
		}
		if n.ResourceType == "source" {
			fr, err := r.freshnessOf(ctx, c, []string{n.UniqueID}, true)
			return FreshnessAnswer{Sources: fr}, err
		}
		up, err := r.ancestors(ctx, n.UniqueID)
		if err != nil {
			return FreshnessAnswer{}, err
		}
		var ids []string
		for _, l := range up {
			if l.ResourceType == "source" {
				ids = append(ids, l.UniqueID)
			}
		}
		fr, err := r.freshnessOf(ctx, c, ids, true)
		if err != nil {
			return FreshnessAnswer{}, err
		}
		a := FreshnessAnswer{Node: &n.Node, Sources: fr}
		a.Data, err = r.dataAsOf(ctx, c, n.UniqueID, r.now())
		return a, err
	})
}

// freshnessOf returns the latest freshness of the given sources (all checked sources when ids is nil); with
// withUnknown, sources never checked appear with status "unknown".
func (r *Reader) freshnessOf(ctx context.Context, c *catalog, ids []string, withUnknown bool) ([]SourceFreshness,
	error) {
	all := 0
	if ids == nil {
		all = 1
	}
	rows, err := r.q.QueryContext(ctx, `SELECT l.unique_id, f.status, f.max_loaded_at, f.snapshotted_at,
		f.max_loaded_at_time_ago_in_s, coalesce(f.warn_after, s.freshness_warn_after),
		coalesce(f.error_after, s.freshness_error_after), f.error
		FROM source_freshness_latest l
		JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = l.execution_id
		JOIN nodes n ON n.unique_id = l.unique_id
		LEFT JOIN dbt_sources s ON s.unique_id = l.unique_id
		WHERE ?2 = 1 OR l.unique_id IN (SELECT value FROM json_each(?1))
		ORDER BY CASE f.status WHEN 'error' THEN 0 WHEN 'runtime error' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END,
			n.name`, jsonList(ids), all)
	if err != nil {
		return nil, fmt.Errorf("freshness: %w", err)
	}
	defer rows.Close()
	out := []SourceFreshness{}
	seen := map[string]bool{}
	for rows.Next() {
		var sf SourceFreshness
		var maxLoaded, snap, warn, errAfter, errText *string
		if err := rows.Scan(&sf.UniqueID, &sf.Status, &maxLoaded, &snap, &sf.AgeSeconds, &warn, &errAfter,
			&errText); err != nil {
			return nil, fmt.Errorf("freshness: %w", err)
		}
		if n := c.byID[sf.UniqueID]; n != nil {
			sf.Name = n.Name
		}
		sf.MaxLoadedAt, sf.SnapshottedAt = timePtr(maxLoaded), timePtr(snap)
		sf.WarnAfter, sf.ErrorAfter, sf.Error = criteria(str(warn)), criteria(str(errAfter)), str(errText)
		seen[sf.UniqueID] = true
		out = append(out, sf)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("freshness: %w", err)
	}
	if withUnknown {
		for _, id := range ids {
			if !seen[id] {
				sf := SourceFreshness{UniqueID: id, Status: "unknown"}
				if n := c.byID[id]; n != nil {
					sf.Name = n.Name
				}
				out = append(out, sf)
			}
		}
	}
	return out, nil
}

// criteria renders dbt's freshness criteria {"count": 12, "period": "hour"} as "12 hours"; other text is kept.
func criteria(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return ""
	}
	var c struct {
		Count  *float64 `json:"count"`
		Period string   `json:"period"`
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return s
	}
	if c.Count == nil || c.Period == "" {
		return ""
	}
	unit := c.Period
	if *c.Count != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%s %s", scalarString(*c.Count), unit)
}
