package queries

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/quantity"
)

// SafeVerdict says whether what a node (a dashboard, most often: an exposure) shows can be relied on.
type SafeVerdict string

// Safe verdicts, best first.
const (
	SafeToUse SafeVerdict = "safe"
	Caution   SafeVerdict = "caution"
	Unsafe    SafeVerdict = "unsafe"
)

// SafeVerdicts lists every verdict.
func SafeVerdicts() []SafeVerdict { return []SafeVerdict{SafeToUse, Caution, Unsafe} }

// SafeReasonCode is a reason a node is not safe to use.
type SafeReasonCode string

// Reasons, and the verdict each makes.
const (
	// SafeDataTooOld (unsafe): its data is older than its audience needs (the exposure's meta.freshness, else its
	// team's exposure_freshness).
	SafeDataTooOld SafeReasonCode = "data_too_old"
	// SafeSourceStopped (unsafe): a source it reads is past its freshness error threshold: its data stopped arriving.
	SafeSourceStopped SafeReasonCode = "source_stopped"
	// SafeTestsFailing (unsafe): an ERROR-severity test of it or of a node upstream fails.
	SafeTestsFailing SafeReasonCode = "tests_failing"
	// SafeRunError (unsafe): the latest run of a node upstream (or its own) errored: its data did not update.
	SafeRunError SafeReasonCode = "run_error"
	// SafeRunSkipped (caution): the latest run of a node upstream (or its own) was skipped.
	SafeRunSkipped SafeReasonCode = "run_skipped"
	// SafeDataUnknown (caution): how current its data is cannot be told (a source without a freshness check).
	SafeDataUnknown SafeReasonCode = "data_unknown"
	// SafeTestsWarning (caution): a test of it or upstream warns, or a WARN-severity test fails.
	SafeTestsWarning SafeReasonCode = "tests_warning"
	// SafeIncidentOpen (caution): an incident is open on it or upstream.
	SafeIncidentOpen SafeReasonCode = "incident_open"
)

// SafeReasonCodes lists every reason.
func SafeReasonCodes() []SafeReasonCode {
	return []SafeReasonCode{SafeDataTooOld, SafeSourceStopped, SafeTestsFailing, SafeRunError, SafeRunSkipped,
		SafeDataUnknown, SafeTestsWarning, SafeIncidentOpen}
}

// Verdict is the verdict a reason makes: unsafe or caution.
func (c SafeReasonCode) Verdict() SafeVerdict {
	switch c {
	case SafeDataTooOld, SafeSourceStopped, SafeTestsFailing, SafeRunError:
		return Unsafe
	}
	return Caution
}

// SafeReason is one reason behind a verdict, about the node (or test) where it is.
type SafeReason struct {
	Code SafeReasonCode `json:"code"`
	// UniqueID and Name are where it is (the nearest such node or test, the oldest when several are as near);
	// Count is how many there are.
	UniqueID string `json:"unique_id"`
	Name     string `json:"name"`
	Count    int    `json:"count"`
	// Since is when it began, when the rows say; Owners whom to ask about it.
	Since  *time.Time `json:"since"`
	Owners []string   `json:"owners"`
	// Incident is the incident's id, for incident_open.
	Incident int64 `json:"incident,omitempty"`
}

// SafeAnswer answers "safe NODE": whether what it shows can be relied on, why, since when, and whom to ask.
type SafeAnswer struct {
	Node    Node        `json:"node"`
	Verdict SafeVerdict `json:"verdict"`
	// Reasons decided it, unsafe ones first, then the oldest.
	Reasons []SafeReason `json:"reasons"`
	// Since is when the verdict's reasons began (the oldest of them); nil when safe or unknown.
	Since *time.Time `json:"since"`
	// Data is how current its data is; NeedSeconds how old it may be for its audience (nil: no need declared).
	Data        *DataAsOf `json:"data"`
	NeedSeconds *float64  `json:"need_seconds"`
	// Ask are whom to ask: the owners of what decided the verdict, then the node's own.
	Ask []string `json:"ask"`
	// Exposure is the exposure asked about, with its owner and link (nil for another node).
	Exposure *Exposure `json:"exposure,omitempty"`
}

// OpenIncident is an incident Todai's escalation has open on a node, as the read model is told of it
// (ReaderOptions.OpenIncidents).
type OpenIncident struct {
	ID       int64
	NodeID   string
	TestID   string
	OpenedAt time.Time
}

// Safe answers "safe NODE" ("is the revenue dashboard safe to use?"): unsafe when its data is older than its
// audience needs, a source it reads stopped loading, an ERROR test fails on it or upstream, or a node upstream
// errored; with caution when a node upstream was skipped, how current its data is cannot be told, a test warns, or
// an incident is open upstream; else safe. Each reason names the nearest node where it is.
func (r *Reader) Safe(ctx context.Context, name string) (SafeAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ SafeAnswer, err error) {
		now := r.now()
		a := SafeAnswer{Node: n.Node, Verdict: SafeToUse, Reasons: []SafeReason{}, Ask: []string{}}
		up := upstreamOf(c, n)
		if a.Data, err = r.dataAsOf(ctx, c, n.UniqueID, now); err != nil {
			return a, err
		}
		_, meta, err := r.nodeTexts(ctx, n)
		if err != nil {
			return a, err
		}
		need, ok := freshnessNeed(parseMeta(meta))
		if !ok {
			if rule, found := r.teams.Rule(n.Team); found && rule.ExposureFreshness > 0 {
				need, ok = rule.ExposureFreshness, true
			}
		}
		if ok {
			s := need.Seconds()
			a.NeedSeconds = &s
		}
		if n.ResourceType == "exposure" {
			exps, err := r.exposures(ctx, []string{n.UniqueID})
			if err != nil {
				return a, err
			}
			if len(exps) == 1 {
				a.Exposure = &exps[0]
			}
		}
		add := func(x SafeReason) {
			if x.Owners == nil {
				x.Owners = []string{}
				if node := c.byID[x.UniqueID]; node != nil {
					x.Owners = node.Owners
				}
			}
			a.Reasons = append(a.Reasons, x)
		}
		if d := a.Data; d != nil && d.LimitedBy != nil {
			lim := d.LimitedBy
			if ok && d.AsOf != nil && now.Sub(*d.AsOf) > need {
				since := d.AsOf.Add(need)
				add(SafeReason{Code: SafeDataTooOld, UniqueID: lim.UniqueID, Name: lim.Name, Count: 1, Since: &since})
			}
			if lim.Kind == LimitStoppedLoading {
				since, err := r.staleSince(ctx, c, lim.UniqueID)
				if err != nil {
					return a, err
				}
				add(SafeReason{Code: SafeSourceStopped, UniqueID: lim.UniqueID, Name: lim.Name, Count: 1, Since: since})
			}
			if d.Verdict == DataUnknown {
				add(SafeReason{Code: SafeDataUnknown, UniqueID: lim.UniqueID, Name: lim.Name, Count: 1})
			}
		}
		if err := r.safeRuns(ctx, c, up, add); err != nil {
			return a, err
		}
		if err := r.safeTests(ctx, c, up, add); err != nil {
			return a, err
		}
		if r.openIncidents != nil {
			incs, err := r.openIncidents(ctx, up.ids)
			if err != nil {
				return a, err
			}
			if len(incs) > 0 {
				first := slices.MinFunc(incs, func(x, y OpenIncident) int {
					return cmp.Or(cmp.Compare(up.depth[x.NodeID], up.depth[y.NodeID]), x.OpenedAt.Compare(y.OpenedAt))
				})
				opened := first.OpenedAt
				add(SafeReason{Code: SafeIncidentOpen, UniqueID: cmp.Or(first.TestID, first.NodeID),
					Name: c.nameOf(cmp.Or(first.TestID, first.NodeID)), Count: len(incs), Since: &opened, Incident: first.ID,
					Owners: c.ownersOf(first.NodeID)})
			}
		}
		a.decide(n)
		return a, nil
	})
}

// Exposures lists the project's exposures (the dashboards, notebooks and applications dbt knows of), by unique_id.
func (r *Reader) Exposures(ctx context.Context) ([]Node, error) {
	return inSnapshot(ctx, r, func(r *Reader) ([]Node, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return nil, err
		}
		out := []Node{}
		for _, n := range c.nodes {
			if n.ResourceType == "exposure" {
				out = append(out, n.Node)
			}
		}
		return out, nil
	})
}

// decide sets the verdict, the order of the reasons, since when and whom to ask.
func (a *SafeAnswer) decide(n *nodeInfo) {
	for _, x := range a.Reasons {
		if v := x.Code.Verdict(); v == Unsafe || a.Verdict == SafeToUse {
			a.Verdict = v
		}
	}
	slices.SortStableFunc(a.Reasons, func(x, y SafeReason) int {
		if vx, vy := x.Code.Verdict(), y.Code.Verdict(); vx != vy {
			if vx == Unsafe {
				return -1
			}
			return 1
		}
		return compareTimes(x.Since, y.Since)
	})
	for _, x := range a.Reasons {
		if x.Code.Verdict() != a.Verdict {
			continue
		}
		if x.Since != nil && (a.Since == nil || x.Since.Before(*a.Since)) {
			a.Since = x.Since
		}
		a.Ask = mergeOwners(a.Ask, x.Owners)
	}
	a.Ask = mergeOwners(a.Ask, n.Owners)
	if e := a.Exposure; e != nil {
		a.Ask = mergeOwners(a.Ask, []string{cmp.Or(e.OwnerEmail, e.OwnerName)})
	}
	a.Ask = slices.DeleteFunc(a.Ask, func(s string) bool { return strings.TrimSpace(s) == "" })
}

// staleSince is when a source went past its freshness error threshold: its last load plus its error_after (nil when
// either is unknown).
func (r *Reader) staleSince(ctx context.Context, c *catalog, id string) (*time.Time, error) {
	fr, err := r.freshnessOf(ctx, c, []string{id}, false)
	if err != nil || len(fr) == 0 || fr[0].MaxLoadedAt == nil {
		return nil, err
	}
	after, ok := quantity.ParseDuration(strings.ReplaceAll(fr[0].ErrorAfter, " ", ""))
	if !ok {
		return nil, nil
	}
	at := fr[0].MaxLoadedAt.Add(after)
	return &at, nil
}

// compareTimes orders known times first, oldest first.
func compareTimes(x, y *time.Time) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return 1
	case y == nil:
		return -1
	}
	return x.Compare(*y)
}

// upstream is a node and everything it reads, transitively, each with its distance.
type upstream struct {
	ids   []string
	depth map[string]int
}

// upstreamOf walks n's lineage up in memory: n itself at depth 0, what it reads at 1, and so on.
func upstreamOf(c *catalog, n *nodeInfo) upstream {
	u := upstream{ids: []string{n.UniqueID}, depth: map[string]int{n.UniqueID: 0}}
	frontier := []string{n.UniqueID}
	for d := 1; len(frontier) > 0 && d <= maxLineageDepth; d++ {
		var next []string
		for _, child := range frontier {
			for _, p := range c.parents[child] {
				if _, seen := u.depth[p]; !seen {
					u.depth[p] = d
					u.ids = append(u.ids, p)
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	return u
}

// nearest orders where a reason is: the nearest first, then the oldest, then by unique_id.
func (u upstream) nearest(x, y string, xAt, yAt *time.Time) int {
	return cmp.Or(cmp.Compare(u.depth[x], u.depth[y]), compareTimes(xAt, yAt), strings.Compare(x, y))
}

// safeRuns adds a reason for the nodes upstream whose latest run errored, and one for those skipped: the nearest
// of each, not updated since its last success.
func (r *Reader) safeRuns(ctx context.Context, c *catalog, up upstream, add func(SafeReason)) error {
	type notUpdated struct {
		id, status string
		since      *time.Time
	}
	runs, err := localdb.Collect(ctx, r.q, "latest runs upstream", `SELECT l.unique_id, l.status, l.success_at
		FROM json_each(?1) j JOIN node_last_run l ON l.unique_id = j.value WHERE l.status IN ('error', 'skipped')`,
		[]any{jsonList(up.ids)}, func(rows *sql.Rows) (notUpdated, error) {
			var x notUpdated
			var since *string
			err := rows.Scan(&x.id, &x.status, &since)
			x.since = timePtr(since)
			return x, err
		})
	if err != nil {
		return err
	}
	for _, kind := range []struct {
		status string
		code   SafeReasonCode
	}{{"error", SafeRunError}, {"skipped", SafeRunSkipped}} {
		status, code := kind.status, kind.code
		var these []notUpdated
		for _, x := range runs {
			if x.status == status {
				these = append(these, x)
			}
		}
		if len(these) == 0 {
			continue
		}
		first := slices.MinFunc(these, func(x, y notUpdated) int { return up.nearest(x.id, y.id, x.since, y.since) })
		add(SafeReason{Code: code, UniqueID: first.id, Name: c.nameOf(first.id), Count: len(these), Since: first.since})
	}
	return nil
}

// safeTests adds a reason for the ERROR tests failing on the node or upstream, and one for those that warn: the
// nearest of each, failing since its streak began.
func (r *Reader) safeTests(ctx context.Context, c *catalog, up upstream, add func(SafeReason)) error {
	type problem struct {
		test, node, status, severity string
		at                           *time.Time
	}
	// CROSS JOIN keeps SQLite's join order: from the few nodes upstream to their tests, never from every failing
	// test of the project (its status index looks cheaper to the planner: 7 ms instead of 0.2 ms on 10,000 models).
	problems, err := localdb.Collect(ctx, r.q, "tests upstream", `SELECT DISTINCT tl.test_unique_id,
			tn.node_unique_id, tl.status, upper(coalesce(tl.severity, t.severity, 'ERROR')), tl.detected_at
		FROM json_each(?1) j CROSS JOIN test_nodes tn ON tn.node_unique_id = j.value
		CROSS JOIN test_latest tl ON tl.test_unique_id = tn.test_unique_id
		LEFT JOIN dbt_tests t ON t.unique_id = tl.test_unique_id
		WHERE tl.status IN ('fail', 'error', 'warn')`, []any{jsonList(up.ids)}, func(rows *sql.Rows) (problem, error) {
		var p problem
		var at *string
		err := rows.Scan(&p.test, &p.node, &p.status, &p.severity, &at)
		p.at = timePtr(at)
		return p, err
	})
	if err != nil {
		return err
	}
	byCode := map[SafeReasonCode][]problem{}
	for _, p := range problems {
		code := SafeTestsWarning
		if p.status != "warn" && p.severity == "ERROR" {
			code = SafeTestsFailing
		}
		byCode[code] = append(byCode[code], p)
	}
	for _, code := range []SafeReasonCode{SafeTestsFailing, SafeTestsWarning} {
		these := byCode[code]
		if len(these) == 0 {
			continue
		}
		first := slices.MinFunc(these, func(x, y problem) int {
			return cmp.Or(up.nearest(x.node, y.node, x.at, y.at), strings.Compare(x.test, y.test))
		})
		count := map[string]bool{}
		for _, p := range these {
			count[p.test] = true
		}
		since := first.at
		if _, start, _, err := r.testStreak(ctx, first.test); err != nil {
			return err
		} else if start != nil {
			since = start
		}
		add(SafeReason{Code: code, UniqueID: first.test, Name: NameOf(first.test), Count: len(count), Since: since,
			Owners: c.ownersOf(first.node)})
	}
	return nil
}

// nameOf is a node's name as answers show it (a source's "source_name.name"), else the name in its unique_id.
func (c *catalog) nameOf(id string) string {
	if n := c.byID[id]; n != nil {
		return n.Name
	}
	return NameOf(id)
}

// ownersOf are a node's owners (none when the catalog does not list it).
func (c *catalog) ownersOf(id string) []string {
	if n := c.byID[id]; n != nil {
		return n.Owners
	}
	return []string{}
}

// freshnessNeed reads how old an exposure's data may be from its meta.freshness: a duration as people write it
// ("1d", "12h", "2時間") or dbt's criteria ({"count": 12, "period": "hour"}); ok is false when it declares none.
func freshnessNeed(meta map[string]any) (time.Duration, bool) {
	v, ok := metaValue(meta, "freshness")
	if !ok {
		return 0, false
	}
	if s, isText := v.(string); isText {
		d, ok := quantity.ParseDuration(s)
		return d, ok && d > 0
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0, false
	}
	d, ok := quantity.ParseDuration(strings.ReplaceAll(criteria(string(b)), " ", "")) // "12 hours" → 12hours
	return d, ok && d > 0
}
