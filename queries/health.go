package queries

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// HealthWindow is the default window of a health score: each test counts with its latest result in it.
const HealthWindow = 7 * 24 * time.Hour

// healthCompareBack is how far back the change of a score is measured.
const healthCompareBack = 7 * 24 * time.Hour

// healthListCap caps each list of a health answer (the counts stay complete).
const healthListCap = 10

// HealthQuery scopes "health": a team, a node, or the whole project (both empty), over the window since Since
// (zero: HealthWindow before now).
type HealthQuery struct {
	Team  string
	Node  string
	Since time.Time
}

// HealthAnswer answers "health [TEAM | NODE] [since …]": how healthy the data is, by quality dimension, against a
// week before, and where it is blind (coverage). For a node, also its verdict.
type HealthAnswer struct {
	// Scope is "project", "team" or "node"; Team the team's name as configured; Node the node.
	Scope string `json:"scope"`
	Team  string `json:"team,omitempty"`
	Node  *Node  `json:"node,omitempty"`
	// Since is the window's start; results before it do not count.
	Since time.Time `json:"since"`
	// Total is the weighted mean of the dimensions with scored tests (nil when none has); TotalBefore the same
	// computed as of a week before, over a window as long (nil when it had none), and Change their difference.
	Total       *float64 `json:"total"`
	TotalBefore *float64 `json:"total_before"`
	Change      *float64 `json:"change"`
	// Dimensions are the six dimensions, in QualityDimensions' order.
	Dimensions []DimensionScore `json:"dimensions"`
	// Unclassified counts the tests without a dimension: listed, never scored.
	Unclassified int `json:"unclassified"`
	// Coverage is where the scope is blind: what has no tests, no owner, no description, no freshness check.
	Coverage Coverage `json:"coverage"`
	// Verdict and Reasons are a node's (omitted otherwise): healthy, caution or degraded, and why.
	Verdict NodeVerdict    `json:"verdict,omitempty"`
	Reasons []HealthReason `json:"reasons,omitempty"`
}

// DimensionScore is one dimension's score: the mean of its scored tests' scores, nil when it has none ("no tests").
type DimensionScore struct {
	Dimension QualityDimension `json:"dimension"`
	Score     *float64         `json:"score"`
	Before    *float64         `json:"before"`
	Tests     int              `json:"tests"`
	Weight    float64          `json:"weight"`
	// Lowest is its lowest-scoring test when its score is below 100 (the longest failing of the lowest).
	Lowest *ScoredTest `json:"lowest"`
}

// ScoredTest is a test (or a source's freshness check) and the result it is scored by.
type ScoredTest struct {
	UniqueID   string     `json:"unique_id"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	Score      float64    `json:"score"`
	DetectedAt *time.Time `json:"detected_at"`
	Owners     []string   `json:"owners"`
}

// Coverage says where a scope is blind, each list ordered by how many nodes depend on its entries (the gap that
// hurts most first; then by unique_id) and capped, the counts complete.
type Coverage struct {
	Counts CoverageCounts `json:"counts"`
	// Models with no test, no owner, no description, not built successfully in 30 days (or never).
	NoTests       []GapNode `json:"models_without_tests"`
	NoOwner       []GapNode `json:"models_without_owner"`
	NoDescription []GapNode `json:"models_without_description"`
	NotBuilt      []GapNode `json:"models_not_built_30d"`
	// Sources never checked for freshness; exposures without an owner.
	NoFreshness      []GapNode `json:"sources_without_freshness"`
	ExposuresNoOwner []GapNode `json:"exposures_without_owner"`
}

// CoverageCounts count a scope's nodes and its gaps.
type CoverageCounts struct {
	Models             int `json:"models"`
	ModelsNoTests      int `json:"models_without_tests"`
	ModelsNoOwner      int `json:"models_without_owner"`
	ModelsNoDesc       int `json:"models_without_description"`
	ModelsNotBuilt     int `json:"models_not_built_30d"`
	Sources            int `json:"sources"`
	SourcesNoFreshness int `json:"sources_without_freshness"`
	Exposures          int `json:"exposures"`
	ExposuresNoOwner   int `json:"exposures_without_owner"`
}

// GapNode is a node with a coverage gap, and how many nodes depend on it (downstream, transitively).
type GapNode struct {
	Node       Node `json:"node"`
	Downstream int  `json:"downstream"`
}

// NodeVerdict is a node's health at a glance, in the dbt catalog's words.
type NodeVerdict string

// Node verdicts.
const (
	VerdictHealthy  NodeVerdict = "healthy"
	VerdictCaution  NodeVerdict = "caution"
	VerdictDegraded NodeVerdict = "degraded"
)

// NodeVerdicts lists every verdict, best first.
func NodeVerdicts() []NodeVerdict {
	return []NodeVerdict{VerdictHealthy, VerdictCaution, VerdictDegraded}
}

// HealthReason is why a node is not healthy.
type HealthReason string

// Reasons, and the verdict each makes.
const (
	HealthRunError     HealthReason = "run_error"     // degraded: its latest run errored
	HealthTestsFailing HealthReason = "tests_failing" // degraded: an ERROR test of it fails
	HealthDataStale    HealthReason = "data_stale"    // degraded: its data stopped arriving (data as of: stale)
	HealthRunSkipped   HealthReason = "run_skipped"   // caution: its latest run was skipped
	HealthTestsWarning HealthReason = "tests_warning" // caution: a test of it warns, or a WARN test fails
	HealthNoTests      HealthReason = "no_tests"      // caution: nothing tests it
	HealthDataUnknown  HealthReason = "data_unknown"  // caution: how current its data is cannot be told
	HealthNoOwner      HealthReason = "no_owner"      // caution: nobody owns it
	HealthNoDesc       HealthReason = "no_description"
)

// HealthReasons lists every reason.
func HealthReasons() []HealthReason {
	return []HealthReason{HealthRunError, HealthTestsFailing, HealthDataStale, HealthRunSkipped, HealthTestsWarning,
		HealthNoTests, HealthDataUnknown, HealthNoOwner, HealthNoDesc}
}

// Verdict is the verdict a reason makes.
func (h HealthReason) Verdict() NodeVerdict {
	switch h {
	case HealthRunError, HealthTestsFailing, HealthDataStale:
		return VerdictDegraded
	}
	return VerdictCaution
}

// resultScore is a result's score: pass 100, warn 50, fail or error 0 (a freshness check: pass, warn, error or
// runtime error); ok is false for anything else (skipped), which does not count.
func resultScore(status string) (float64, bool) {
	switch status {
	case "pass":
		return 100, true
	case "warn":
		return 50, true
	case "fail", "error", "runtime error":
		return 0, true
	}
	return 0, false
}

// Health answers "health": a node's when q.Node is set, a team's when q.Team is, else the project's.
func (r *Reader) Health(ctx context.Context, q HealthQuery) (HealthAnswer, error) {
	if q.Node != "" {
		return aboutNode(ctx, r, q.Node, func(r *Reader, c *catalog, n *nodeInfo) (HealthAnswer, error) {
			return r.nodeHealth(ctx, c, n, q.Since)
		})
	}
	return inSnapshot(ctx, r, func(r *Reader) (HealthAnswer, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return HealthAnswer{}, err
		}
		a := HealthAnswer{Scope: "project"}
		team := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Team), "team:"))
		if team != "" {
			ids := c.byTeam[team]
			if len(ids) == 0 {
				return a, &NotFoundError{Name: "team:" + q.Team, Suggestions: c.teamNames}
			}
			a.Scope, a.Team = "team", cmp.Or(c.byID[ids[0]].Team, q.Team)
		}
		return a, r.scopeHealth(ctx, c, &a, q.Since, team)
	})
}

// scopeHealth fills a's scores and coverage for a team's nodes (lower-cased name), or the project's ("").
func (r *Reader) scopeHealth(ctx context.Context, c *catalog, a *HealthAnswer, since time.Time, team string) error {
	x, err := r.extras(ctx, c)
	if err != nil {
		return err
	}
	tests, nodes := x.tests, c.nodes
	if team != "" {
		tests, nodes = x.testsByTeam[team], nil
		for _, id := range c.byTeam[team] {
			nodes = append(nodes, c.byID[id])
		}
	}
	var sources []*nodeInfo
	for _, n := range nodes {
		if n.ResourceType == "source" {
			sources = append(sources, n)
		}
	}
	if err := r.scores(ctx, c, a, tests, sources, since); err != nil {
		return err
	}
	return r.coverage(ctx, c, x, a, nodes)
}

// scores fills a's dimensions, total and unclassified count from tests and sources (their freshness checks).
func (r *Reader) scores(ctx context.Context, c *catalog, a *HealthAnswer, tests, sources []*nodeInfo,
	since time.Time) error {
	now := r.now()
	if since.IsZero() {
		since = now.Add(-HealthWindow)
	}
	a.Since = since.UTC()
	results, err := r.latestResults(ctx, c)
	if err != nil {
		return err
	}
	back := now.Add(-healthCompareBack)
	before, err := r.resultsAsOf(ctx, c, since.Add(-healthCompareBack), back)
	if err != nil {
		return err
	}
	r.scoreWith(a, tests, sources, since, results, before)
	return nil
}

// scoreWith fills a's dimensions, total and unclassified count from the results of tests and sources in the window
// from since (results at or after it count), and, when before is given, their scores of then.
func (r *Reader) scoreWith(a *HealthAnswer, tests, sources []*nodeInfo, since time.Time, results, before *resultSet) {
	if before == nil {
		before = &resultSet{tests: make([]scored, len(results.tests)), sources: map[string]scored{}}
	}
	type sum struct {
		total, totalBefore float64
		n, nBefore         int
		lowest             *ScoredTest
	}
	dims := map[QualityDimension]*sum{}
	for _, d := range QualityDimensions() {
		dims[d] = &sum{}
	}
	count := func(d QualityDimension, id, name string, owners []string, now, then scored) {
		s := dims[d]
		if now.ok && !now.at.Before(since) {
			s.total += now.score
			s.n++
			if now.score < 100 {
				at := now.at
				t := &ScoredTest{UniqueID: id, Name: name, Status: now.status, Score: now.score, DetectedAt: &at,
					Owners: append([]string{}, owners...)}
				if s.lowest == nil || t.Score < s.lowest.Score || t.Score == s.lowest.Score && id < s.lowest.UniqueID {
					s.lowest = t
				}
			}
		}
		if then.ok {
			s.totalBefore += then.score
			s.nBefore++
		}
	}
	for _, t := range tests {
		if t.test.dimension == "" {
			a.Unclassified++
			continue
		}
		count(t.test.dimension, t.UniqueID, t.Name, t.Owners, results.tests[t.test.index], before.tests[t.test.index])
	}
	for _, s := range sources {
		count(DimFreshness, s.UniqueID, s.Name, s.Owners, results.sources[s.UniqueID], before.sources[s.UniqueID])
	}
	var weighted, weights, weightedBefore, weightsBefore float64
	for _, d := range QualityDimensions() {
		s := dims[d]
		w := r.healthWeight(d)
		ds := DimensionScore{Dimension: d, Tests: s.n, Weight: w, Lowest: s.lowest}
		if s.n > 0 {
			v := round1(s.total / float64(s.n))
			ds.Score = &v
			weighted += w * s.total / float64(s.n)
			weights += w
		}
		if s.nBefore > 0 {
			v := round1(s.totalBefore / float64(s.nBefore))
			ds.Before = &v
			weightedBefore += w * s.totalBefore / float64(s.nBefore)
			weightsBefore += w
		}
		a.Dimensions = append(a.Dimensions, ds)
	}
	if weights > 0 {
		v := round1(weighted / weights)
		a.Total = &v
	}
	if weightsBefore > 0 {
		v := round1(weightedBefore / weightsBefore)
		a.TotalBefore = &v
	}
	if a.Total != nil && a.TotalBefore != nil {
		v := round1(*a.Total - *a.TotalBefore)
		a.Change = &v
	}
}

// healthWeight is a dimension's weight in the total: its configured weight, else 1.
func (r *Reader) healthWeight(d QualityDimension) float64 {
	if w, ok := r.healthWeights[d]; ok && w >= 0 {
		return w
	}
	return 1
}

// round1 rounds to one decimal.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

// nodeHealth answers "health NODE": the node's tests scored as a scope's are (a source's freshness checks too), its
// own coverage gaps, and its verdict with the reasons that decided it.
func (r *Reader) nodeHealth(ctx context.Context, c *catalog, n *nodeInfo, since time.Time) (HealthAnswer, error) {
	node := n.Node
	a := HealthAnswer{Scope: "node", Node: &node, Reasons: []HealthReason{}}
	x, err := r.extras(ctx, c)
	if err != nil {
		return a, err
	}
	var tests, sources []*nodeInfo
	for _, t := range x.tests {
		if t.UniqueID == n.UniqueID || slices.Contains(t.test.tested, n.UniqueID) {
			tests = append(tests, t)
		}
	}
	if n.ResourceType == "source" {
		sources = []*nodeInfo{n}
	}
	if err := r.scores(ctx, c, &a, tests, sources, since); err != nil {
		return a, err
	}
	if err := r.coverage(ctx, c, x, &a, []*nodeInfo{n}); err != nil {
		return a, err
	}
	results, err := r.latestResults(ctx, c)
	if err != nil {
		return a, err
	}
	add := func(h HealthReason) {
		if !slices.Contains(a.Reasons, h) {
			a.Reasons = append(a.Reasons, h)
		}
	}
	if n.test == nil && n.ResourceType != "source" && n.ResourceType != "exposure" {
		last, err := r.lastRun(ctx, n)
		if err != nil {
			return a, err
		}
		if last != nil {
			switch last.Status {
			case "error":
				add(HealthRunError)
			case "skipped":
				add(HealthRunSkipped)
			}
		}
	}
	for _, t := range tests {
		res := results.tests[t.test.index]
		switch {
		case !res.ok || res.status == "pass":
		case res.status != "warn" && !strings.EqualFold(t.test.severity, "WARN"):
			add(HealthTestsFailing)
		default:
			add(HealthTestsWarning)
		}
	}
	if n.test == nil {
		d, err := r.dataAsOf(ctx, c, n.UniqueID, r.now())
		if err != nil {
			return a, err
		}
		switch {
		case d == nil:
		case d.Verdict == DataStale:
			add(HealthDataStale)
		case d.Verdict == DataUnknown:
			add(HealthDataUnknown)
		}
		if n.ResourceType != "exposure" && len(tests) == 0 {
			add(HealthNoTests)
		}
		if len(n.Owners) == 0 {
			add(HealthNoOwner)
		}
		if a.Coverage.Counts.ModelsNoDesc > 0 {
			add(HealthNoDesc)
		}
	}
	slices.SortStableFunc(a.Reasons, func(p, q HealthReason) int {
		return cmp.Compare(slices.Index(HealthReasons(), p), slices.Index(HealthReasons(), q))
	})
	a.Verdict = VerdictHealthy
	for _, h := range a.Reasons {
		if v := h.Verdict(); v == VerdictDegraded || a.Verdict == VerdictHealthy {
			a.Verdict = v
		}
	}
	return a, nil
}
