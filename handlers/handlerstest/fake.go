// Package handlerstest holds the test fixtures the conversation's renderers share — a read model answering from
// fixed data, its clock, the golden questions every renderer (text, JSON, Block Kit) is checked against — and the
// helpers every package's tests share: the golden-file comparison (one -update flag) and a concurrency-safe log
// buffer. (The state-DB opener is queries/localdb/localdbtest.)
package handlerstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries"
)

// Now is the fixtures' clock: every answer is asked at Now; SyncedAt is the fake mirror's last sync.
var (
	Now      = time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	SyncedAt = time.Date(2026, 11, 24, 12, 50, 0, 0, time.UTC)
)

// Ago is the time d before Now.
func Ago(d time.Duration) *time.Time { t := Now.Add(-d); return &t }
func f64(v float64) *float64         { return &v }
func i64(v int64) *int64             { return &v }

// Fake is a read model answering from fixed data. Names: "missing*" → not found with suggestions, "orders" → ambiguous,
// "boom" → an internal error, "empty" → answers with empty lists; anything else → the fixture answers.
type Fake struct {
	// Sync is what SyncInfo answers; SyncErr, when set, its error.
	Sync    queries.SyncInfo
	SyncErr error

	mu    sync.Mutex
	calls []string
	fq    queries.FailuresQuery
	limit int
}

// NewFake returns a fake synced at SyncedAt.
func NewFake() *Fake {
	return &Fake{Sync: queries.SyncInfo{LastSuccess: SyncedAt, LastAttempt: SyncedAt}}
}

// Calls lists the read-model calls made so far, "Method argument" each.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// FailuresQuery is the last query Failures was asked.
func (f *Fake) FailuresQuery() queries.FailuresQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fq
}

// Limit is the last limit LastRuns was asked for.
func (f *Fake) Limit() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limit
}

func (f *Fake) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *Fake) resolve(name string) error {
	switch {
	case name == "boom":
		return errors.New("disk I/O error")
	case name == "orders":
		return fmt.Errorf("resolve: %w", &queries.AmbiguousError{Name: name,
			Candidates: []string{"model.jaffle.orders", "source.jaffle.shop.orders", "model.jaffle.orders"}})
	case len(name) >= 7 && name[:7] == "missing":
		return &queries.NotFoundError{Name: name, Suggestions: []string{"model.jaffle.fct_orders", "model.jaffle.fct_order_items"}}
	}
	return nil
}

// Model is the fake's model, fct_orders, owned by @alice and bob@example.com of team finance.
var Model = queries.Node{UniqueID: "model.jaffle.fct_orders", Name: "fct_orders", ResourceType: "model",
	Owners: []string{"@alice", "bob@example.com"}, Team: "finance"}

// testTestNode is a dbt test asked about as a node.
var testTestNode = queries.Node{UniqueID: "test.jaffle.not_null_fct_orders_order_id.5d6e", Name: "not_null_fct_orders_order_id",
	ResourceType: "test", Owners: []string{"@alice", "bob@example.com", "@qa"}, Team: "finance"}

func (f *Fake) node(name string) queries.Node {
	if name == AnomalyTest.Name {
		return AnomalyTest
	}
	if strings.HasPrefix(name, "stripe.") {
		return queries.Node{UniqueID: "source.jaffle." + name, Name: name, ResourceType: "source", Owners: []string{}}
	}
	if name == "empty" {
		return queries.Node{UniqueID: "model.jaffle.empty", Name: "empty", ResourceType: "model"}
	}
	return Model
}

// Resolve names a node for every name the fake answers, and "orders; legacy" (a name with a semicolon and space).
func (f *Fake) Resolve(_ context.Context, name string) (queries.Node, error) {
	f.record("Resolve " + name)
	if err := f.resolve(name); err != nil {
		return queries.Node{}, err
	}
	if strings.ContainsAny(name, " ;\"?&") && name != "orders; legacy" {
		return queries.Node{}, &queries.NotFoundError{Name: name}
	}
	return f.node(name), nil
}

func (f *Fake) Status(_ context.Context, name string) (queries.StatusAnswer, error) {
	f.record("Status " + name)
	if err := f.resolve(name); err != nil {
		return queries.StatusAnswer{}, err
	}
	if name == "empty" {
		return queries.StatusAnswer{Node: f.node(name), Health: queries.HealthUnknown}, nil
	}
	tests := make([]queries.TestState, 0, 12)
	tests = append(tests, queries.TestState{UniqueID: "test.jaffle.not_null_fct_orders_order_id", ShortName: "not_null",
		Column: "order_id", Status: "fail", DetectedAt: Ago(2 * time.Hour), Severity: "ERROR",
		Message: "Got 3 results,\n configured to fail if != 0"})
	// a second not_null on the same column (another where config): named apart by its dbt name.
	tests = append(tests, queries.TestState{UniqueID: "test.jaffle.not_null_fct_orders_order_id_recent.1a2b",
		Name: "not_null_fct_orders_order_id_recent", ShortName: "not_null", Column: "order_id", Status: "pass",
		DetectedAt: Ago(2 * time.Hour), Severity: "ERROR"})
	tests[0].Name = "not_null_fct_orders_order_id"
	if name == AnomalyTest.Name {
		return queries.StatusAnswer{Node: AnomalyTest, Health: queries.HealthFailing,
			Tests: []queries.TestState{{UniqueID: AnomalyTest.UniqueID, Name: AnomalyTest.Name,
				ShortName: "volume_anomalies", Status: "fail", DetectedAt: Ago(time.Hour), Severity: "ERROR",
				Message: "The last row_count value is 412. The average for this metric is 1,220."}},
			LastRun: &queries.Run{Status: "fail", CompletedAt: Ago(time.Hour), InvocationID: "inv-0044",
				Message: ptrTo("The last row_count value is 412. The average for this metric is 1,220."), Failures: i64(1)},
			Chart: VolumeAnomaly()}, nil
	}
	if name == testTestNode.Name {
		one := int64(1)
		return queries.StatusAnswer{Node: testTestNode, Health: queries.HealthFailing, Tests: tests[:1],
			LastRun: &queries.Run{Status: "fail", CompletedAt: Ago(2 * time.Hour), InvocationID: "inv-0043",
				Message: ptrTo("Got 1 result, configured to fail if != 0"), Failures: &one}, Chart: FlakyHistory()}, nil
	}
	for i := range 10 {
		tests = append(tests, queries.TestState{UniqueID: fmt.Sprintf("test.jaffle.accepted_values_%d", i),
			ShortName: fmt.Sprintf("accepted_values_%d", i), Status: "pass", DetectedAt: Ago(2 * time.Hour), Severity: "WARN"})
	}
	return queries.StatusAnswer{
		Node:   f.node(name),
		Data:   staleData(),
		Health: queries.HealthFailing,
		LastRun: &queries.Run{Status: "success", CompletedAt: Ago(3 * time.Hour), ExecutionTime: f64(12.34),
			InvocationID: "inv-0042", Invocation: &queries.Invocation{ID: "inv-0042", JobName: "nightly"}},
		Tests: tests,
		Freshness: []queries.SourceFreshness{{UniqueID: "source.jaffle.stripe.payments", Name: "stripe.payments",
			Status: "pass", MaxLoadedAt: Ago(50 * time.Minute), SnapshottedAt: Ago(45 * time.Minute),
			AgeSeconds: f64(3000), WarnAfter: "12 hours", ErrorAfter: "1 day"}},
	}, nil
}

func (f *Fake) Owner(_ context.Context, name string) (queries.OwnerAnswer, error) {
	f.record("Owner " + name)
	if err := f.resolve(name); err != nil {
		return queries.OwnerAnswer{}, err
	}
	if name == "empty" {
		return queries.OwnerAnswer{Node: f.node(name)}, nil
	}
	return queries.OwnerAnswer{Node: Model, Owners: Model.Owners, Team: "finance",
		Group: &queries.Group{Name: "finance", OwnerName: "Finance Data", OwnerEmail: "fin-data@example.com"}}, nil
}

func (f *Fake) LastSuccess(_ context.Context, name string) (queries.LastRunAnswer, error) {
	f.record("LastSuccess " + name)
	if err := f.resolve(name); err != nil {
		return queries.LastRunAnswer{}, err
	}
	if name == "empty" {
		return queries.LastRunAnswer{Node: f.node(name), Runs: []queries.Run{}, SuccessfulOnly: true}, nil
	}
	return queries.LastRunAnswer{Node: Model, SuccessfulOnly: true, Runs: []queries.Run{
		{Status: "success", CompletedAt: Ago(25 * time.Hour), ExecutionTime: f64(12.34), InvocationID: "inv-0042"}}}, nil
}

func (f *Fake) LastRuns(_ context.Context, name string, limit int) (queries.LastRunAnswer, error) {
	f.record(fmt.Sprintf("LastRuns %s %d", name, limit))
	f.mu.Lock()
	f.limit = limit
	f.mu.Unlock()
	if err := f.resolve(name); err != nil {
		return queries.LastRunAnswer{}, err
	}
	if name == "empty" {
		return queries.LastRunAnswer{Node: f.node(name)}, nil
	}
	return queries.LastRunAnswer{Node: Model, Runs: []queries.Run{
		{Status: "error", CompletedAt: Ago(90 * time.Minute), ExecutionTime: f64(3.2), InvocationID: "inv-0043",
			Message: ptrTo("Database Error in model fct_orders\n  relation \"stg_payments\" does not exist\x1b[0m")},
		{Status: "success", CompletedAt: Ago(25 * time.Hour), ExecutionTime: f64(12.34), InvocationID: "inv-0042"},
		{Status: "skipped", CompletedAt: Ago(49 * time.Hour), InvocationID: "inv-0041"},
	}, Chart: RunTimes()}, nil
}

func (f *Fake) Failures(_ context.Context, q queries.FailuresQuery) (queries.FailuresAnswer, error) {
	f.record("Failures " + q.Node + " " + q.Team)
	f.mu.Lock()
	f.fq = q
	f.mu.Unlock()
	if q.Node != "" {
		if err := f.resolve(q.Node); err != nil {
			return queries.FailuresAnswer{}, err
		}
	}
	a := queries.FailuresAnswer{Since: q.Since}
	switch {
	case q.Node != "":
		a.Scope = "model.jaffle." + q.Node
	case q.Team != "":
		a.Scope = "team:" + q.Team
	}
	if q.Node == "empty" || q.Team == "empty" {
		return a, nil
	}
	for i := range 12 {
		a.Failures = append(a.Failures, queries.Failure{
			TestUniqueID:  fmt.Sprintf("test.jaffle.unique_fct_orders_%d", i),
			ModelUniqueID: "model.jaffle.fct_orders", TestShortName: fmt.Sprintf("unique_%d", i),
			Status: "fail", LatestStatus: map[bool]string{true: "pass", false: "fail"}[i%3 == 0],
			DetectedAt: Ago(time.Duration(i+1) * time.Hour), Count: i%2 + 1, Failures: i64(int64(i * 7)), Severity: "ERROR"})
	}
	return a, nil
}

func (f *Fake) Freshness(_ context.Context, source string) (queries.FreshnessAnswer, error) {
	f.record("Freshness " + source)
	if source != "" {
		if err := f.resolve(source); err != nil {
			return queries.FreshnessAnswer{}, err
		}
	}
	if source == "empty" {
		return queries.FreshnessAnswer{}, nil
	}
	a := queries.FreshnessAnswer{}
	if source == "fct_orders" {
		// "Is fct_orders up to date?": about the model first, then the sources it reads.
		a.Node, a.Data = &Model, staleData()
	}
	a.Sources = []queries.SourceFreshness{
		{UniqueID: "source.jaffle.stripe.payments", Name: "stripe.payments", Status: "error",
			MaxLoadedAt: Ago(30 * time.Hour), SnapshottedAt: Ago(time.Hour), AgeSeconds: f64(30 * 3600),
			WarnAfter: "12 hours", ErrorAfter: "1 day"},
		{UniqueID: "source.jaffle.shop.customers", Name: "shop.customers", Status: "runtime error",
			SnapshottedAt: Ago(time.Hour), Error: "permission denied for table customers\r\n\x07"},
		{UniqueID: "source.jaffle.shop.orders", Name: "shop.orders", Status: "pass", MaxLoadedAt: Ago(20 * time.Minute),
			SnapshottedAt: Ago(time.Hour), AgeSeconds: f64(1200)},
	}
	return a, nil
}

func (f *Fake) lineage(name string, up bool) (queries.LineageAnswer, error) {
	if err := f.resolve(name); err != nil {
		return queries.LineageAnswer{}, err
	}
	a := queries.LineageAnswer{Node: f.node(name)}
	if name == "empty" {
		return a, nil
	}
	if up {
		a.Upstream = []queries.LineageNode{
			{UniqueID: "model.jaffle.stg_orders", Name: "stg_orders", ResourceType: "model", Health: queries.HealthOK, Depth: 1},
			{UniqueID: "model.jaffle.stg_payments", Name: "stg_payments", ResourceType: "model", Health: queries.HealthError, Depth: 1},
			{UniqueID: "source.jaffle.stripe.payments", Name: "stripe.payments", ResourceType: "source", Health: queries.HealthStale, Depth: 2},
		}
		return a, nil
	}
	for i := range 13 {
		l := queries.LineageNode{UniqueID: fmt.Sprintf("model.jaffle.mart_%02d", i),
			Name: fmt.Sprintf("mart_%02d", i), ResourceType: "model", Health: queries.HealthOK, Depth: 1 + i%2}
		if strings.HasPrefix(name, "stripe.") {
			// Built fine, but on data that stopped arriving: what depends on a stale source.
			l.Data = staleData()
		}
		a.Downstream = append(a.Downstream, l)
	}
	a.Exposures = []queries.Exposure{{UniqueID: "exposure.jaffle.revenue", Name: "revenue", Label: "Revenue dashboard",
		Type: "dashboard", URL: "https://bi.example.com/revenue", OwnerName: "Carol", OwnerEmail: "carol@example.com"}}
	return a, nil
}

func (f *Fake) Upstream(_ context.Context, name string) (queries.LineageAnswer, error) {
	f.record("Upstream " + name)
	return f.lineage(name, true)
}

func (f *Fake) Downstream(_ context.Context, name string) (queries.LineageAnswer, error) {
	f.record("Downstream " + name)
	return f.lineage(name, false)
}

func (f *Fake) Describe(_ context.Context, name string) (queries.DescribeAnswer, error) {
	f.record("Describe " + name)
	if err := f.resolve(name); err != nil {
		return queries.DescribeAnswer{}, err
	}
	if name == "empty" {
		return queries.DescribeAnswer{Node: f.node(name)}, nil
	}
	if name == testTestNode.Name {
		return queries.DescribeAnswer{Node: testTestNode, Path: "models/marts/schema.yml", Tags: []string{},
			Columns: []queries.ColumnDoc{}, Exposures: []queries.Exposure{},
			Test: &queries.TestDefinition{ShortName: "not_null", Column: "order_id", Severity: "ERROR",
				ModelUniqueID: Model.UniqueID, Tested: []string{Model.UniqueID}}}, nil
	}
	return queries.DescribeAnswer{Node: Model,
		Description: "One row per order.\nIncludes \x1b[31mrefunds\x1b[0m\u202e and payments\x00.",
		Path:        "marts/finance/fct_orders.sql", Materialization: "table", Relation: "analytics.finance.fct_orders",
		Tags: []string{"finance", "daily"}, Group: "finance",
		Columns: []queries.ColumnDoc{{Name: "order_id", DataType: "integer", Description: "Primary key"},
			{Name: "amount", DataType: "numeric", Description: "Order total in \tUSD"}},
		Exposures: []queries.Exposure{{UniqueID: "exposure.jaffle.revenue", Name: "revenue", Label: "Revenue dashboard",
			Type: "dashboard"}},
		Meta: `{"owner":"@alice","criticality":"high"}`}, nil
}

func (f *Fake) Why(_ context.Context, name string) (queries.WhyAnswer, error) {
	f.record("Why " + name)
	if err := f.resolve(name); err != nil {
		return queries.WhyAnswer{}, err
	}
	if name == "empty" {
		return queries.WhyAnswer{Node: f.node(name), Health: queries.HealthOK, FailedSince: []queries.Run{},
			FailingTests: []queries.TestState{}, LikelyCauses: []queries.Cause{}, RootCauses: []string{},
			Chain: []queries.ChainLink{}, Changes: []queries.Change{}}, nil
	}
	switch name {
	case "orders_nightly":
		// Healthy, but overdue: no dbt job of any kind has run since yesterday morning.
		n := queries.Node{UniqueID: "model.jaffle.orders_nightly", Name: "orders_nightly", ResourceType: "model",
			Owners: []string{"@alice"}, Team: "finance"}
		stop := &queries.PipelineStop{Since: *Ago(30 * time.Hour), JobName: "nightly", SilentSeconds: 30 * 3600}
		return queries.WhyAnswer{Node: n, Health: queries.HealthOK,
			LastSuccess: &queries.Run{Status: "success", CompletedAt: Ago(30 * time.Hour), InvocationID: "inv-0041"},
			SinceLastOK: f64(30 * 3600), FailedSince: []queries.Run{}, FailingTests: []queries.TestState{},
			LikelyCauses: []queries.Cause{{Kind: queries.CausePipelineStopped, UniqueID: n.UniqueID, Name: n.Name,
				Since: &stop.Since, Confidence: queries.ConfidenceHigh}},
			RootCauses: []string{}, Chain: []queries.ChainLink{}, Changes: []queries.Change{},
			Overdue: &queries.Overdue{Cadence: "daily", CadenceSeconds: 86400, Zone: "Asia/Tokyo",
				LastSuccess: Ago(30 * time.Hour), LateSeconds: 6 * 3600, JobName: "nightly", LastJobRun: Ago(30 * time.Hour)},
			Pipeline: stop,
			Next:     &queries.NextStep{Action: queries.ActionCheckPipeline, Name: "nightly", Owners: []string{"@alice"}}}, nil
	case "orders_stale":
		// Green runs, but its source stopped loading: the data is stale.
		n := queries.Node{UniqueID: "model.jaffle.orders_stale", Name: "orders_stale", ResourceType: "model",
			Owners: []string{"@alice"}, Team: "finance"}
		return queries.WhyAnswer{Node: n, Health: queries.HealthStale,
			LastSuccess: &queries.Run{Status: "success", CompletedAt: Ago(time.Hour), InvocationID: "inv-0044"},
			SinceLastOK: f64(3600), FailedSince: []queries.Run{}, FailingTests: []queries.TestState{},
			LikelyCauses: []queries.Cause{{Kind: "stale_source", UniqueID: "source.jaffle.stripe.payments",
				Name: "stripe.payments", Detail: ptrTo("freshness error: max_loaded_at is 30 hours old"),
				Confidence: "medium", LoadedAt: Ago(30 * time.Hour)}},
			RootCauses: []string{}, Chain: []queries.ChainLink{}, Changes: []queries.Change{},
			Next: &queries.NextStep{Action: "check_loader", UniqueID: "source.jaffle.stripe.payments",
				Name: "stripe.payments", Owners: []string{"@ingest"}}}, nil
	case "orders_changed":
		// Its SQL changed in the run that first failed.
		n := queries.Node{UniqueID: "model.jaffle.orders_changed", Name: "orders_changed", ResourceType: "model",
			Owners: []string{"@alice"}, Team: "finance"}
		return queries.WhyAnswer{Node: n, Health: queries.HealthError,
			LastSuccess: &queries.Run{Status: "success", CompletedAt: Ago(26 * time.Hour), InvocationID: "inv-0040"},
			SinceLastOK: f64(26 * 3600),
			FailedSince: []queries.Run{{Status: "error", CompletedAt: Ago(2 * time.Hour), InvocationID: "inv-0045",
				Message: ptrTo("Database Error: column \"amount_usd\" does not exist")}},
			FailingTests: []queries.TestState{},
			LikelyCauses: []queries.Cause{
				{Kind: "run_error", UniqueID: n.UniqueID, Name: n.Name,
					Detail: ptrTo("Database Error: column \"amount_usd\" does not exist"), InvocationID: "inv-0045",
					Confidence: "high"},
				{Kind: "definition_changed", UniqueID: n.UniqueID, Name: n.Name, Detail: ptrTo("sql: 1a2b3c4 → 5d6e7f8"),
					InvocationID: "inv-0045", Confidence: "medium"}},
			RootCauses: []string{}, Chain: []queries.ChainLink{},
			Changes: []queries.Change{{Kind: "sql", UniqueID: n.UniqueID, Name: n.Name, At: Ago(150 * time.Minute),
				Detail: "1a2b3c4 → 5d6e7f8", InvocationID: "inv-0045", JobName: "nightly", GitSHA: "5d6e7f8090",
				PullRequestID: "57", CompareURL: "https://github.com/acme/jaffle/compare/0a1b2c3d4e...5d6e7f8090"}},
			Next: &queries.NextStep{Action: "fix_error", UniqueID: n.UniqueID, Name: n.Name, Owners: []string{"@alice"}}}, nil
	}
	// Skipped in tonight's build because stg_payments errored two levels up and a test of stg_customers failed.
	return queries.WhyAnswer{Node: Model, Health: queries.HealthWarn,
		LastSuccess: &queries.Run{Status: "success", CompletedAt: Ago(25 * time.Hour), InvocationID: "inv-0042"},
		SinceLastOK: f64(25 * 3600),
		FailedSince: []queries.Run{{Status: "skipped", CompletedAt: Ago(90 * time.Minute), InvocationID: "inv-0043"}},
		FailingTests: []queries.TestState{{UniqueID: "test.jaffle.not_null_fct_orders_order_id", ShortName: "not_null",
			Column: "order_id", Status: "fail", DetectedAt: Ago(2 * time.Hour), Severity: "ERROR"}},
		LikelyCauses: []queries.Cause{
			{Kind: "upstream_error", UniqueID: "model.jaffle.stg_payments", Name: "stg_payments",
				Detail: ptrTo("relation \"raw.payments\" does not exist"), InvocationID: "inv-0043", Confidence: "high"},
			{Kind: "upstream_test_failed", UniqueID: "model.jaffle.stg_customers", Name: "stg_customers",
				Detail:       ptrTo("unique_stg_customers_id: Got 2 results, configured to fail if != 0"),
				InvocationID: "inv-0043", Confidence: "medium"},
		},
		RootCauses: []string{"model.jaffle.stg_payments", "model.jaffle.stg_customers"},
		Next: &queries.NextStep{Action: "fix_root", UniqueID: "model.jaffle.stg_payments", Name: "stg_payments",
			Owners: []string{"@payments-team"}, Runbook: "https://wiki.example.com/runbooks/payments"},
		Changes: []queries.Change{{Kind: "commit", UniqueID: Model.UniqueID, Name: "fct_orders", At: Ago(90 * time.Minute),
			Detail: "abc1234 → def5678", InvocationID: "inv-0043", JobName: "nightly", GitSHA: "def5678901",
			PullRequestID: "42", CompareURL: "https://github.com/acme/jaffle/compare/abc1234...def5678901"}},
		Overdue: &queries.Overdue{Cadence: "daily", CadenceSeconds: 86400, LastSuccess: Ago(25 * time.Hour),
			LateSeconds: 3600, JobName: "nightly", JobRanSince: true, LastJobRun: Ago(90 * time.Minute)},
		Chain: []queries.ChainLink{{UniqueID: "model.jaffle.stg_payments", Name: "stg_payments", Status: "error"},
			{UniqueID: "model.jaffle.int_payments", Name: "int_payments", Status: "skipped"},
			{UniqueID: "model.jaffle.fct_orders", Name: "fct_orders", Status: "skipped"}},
	}, nil
}

func (f *Fake) Urgency(_ context.Context, name string) (queries.UrgencyAnswer, error) {
	f.record("Urgency " + name)
	if err := f.resolve(name); err != nil {
		return queries.UrgencyAnswer{}, err
	}
	if name == "stg_flaky" {
		// A flaky WARN test on a staging model nothing depends on: LOW.
		return queries.UrgencyAnswer{Node: queries.Node{UniqueID: "model.jaffle.stg_flaky", Name: "stg_flaky",
			ResourceType: "model", Owners: []string{}}, Health: queries.HealthFailing, Urgency: "low", Level: "LOW",
			Severity: "WARN", Streak: 1, FailingSince: Ago(3 * time.Hour), DownstreamModels: []queries.LineageNode{},
			Exposures: []queries.Exposure{}, Reasons: []queries.Reason{"tests_failing", "warn_severity", "flaky"},
			FailingTests: []queries.TestState{{UniqueID: "test.jaffle.accepted_values_stg_flaky_status", Name: "accepted_values_stg_flaky_status",
				ShortName: "accepted_values", Column: "status", Status: "fail", DetectedAt: Ago(3 * time.Hour), Severity: "WARN"}},
			Likelihood: "low", Impact: "low", DecidedBy: []queries.Reason{"warn_severity", "no_downstream"},
			Next: &queries.NextStep{Action: "check_test", UniqueID: "test.jaffle.accepted_values_stg_flaky_status",
				Name: "accepted_values_stg_flaky_status", Owners: []string{}}}, nil
	}
	if name == "empty" {
		return queries.UrgencyAnswer{Node: f.node(name), Health: queries.HealthOK, Urgency: "none", Level: "NONE",
			Reasons: []queries.Reason{}, DecidedBy: []queries.Reason{}, DownstreamModels: []queries.LineageNode{},
			Exposures: []queries.Exposure{}, FailingTests: []queries.TestState{}}, nil
	}
	return queries.UrgencyAnswer{Node: Model, Health: queries.HealthFailing, Urgency: "high", Severity: "ERROR",
		Streak: 3, FailingSince: Ago(26 * time.Hour),
		DownstreamModels: []queries.LineageNode{{UniqueID: "model.jaffle.mart_revenue", Name: "mart_revenue",
			ResourceType: "model", Health: queries.HealthWarn, Depth: 1}},
		DownstreamCount: 1,
		Exposures: []queries.Exposure{{UniqueID: "exposure.jaffle.revenue", Name: "revenue", Label: "Revenue dashboard",
			Type: "dashboard"}},
		Criticality: "high",
		Reasons:     []queries.Reason{"tests_failing", "error_severity", "exposure_affected", "persistent_failure"},
		FailingTests: []queries.TestState{{UniqueID: "test.jaffle.not_null_fct_orders_order_id", ShortName: "not_null",
			Column: "order_id", Status: "fail", DetectedAt: Ago(2 * time.Hour), Severity: "ERROR"}},
		Likelihood: "high", Impact: "high", Level: "HIGH", DecidedBy: []queries.Reason{"persistent_failure", "exposure_affected"},
		Next: &queries.NextStep{Action: "check_test", UniqueID: "test.jaffle.not_null_fct_orders_order_id",
			Name: "not_null_fct_orders_order_id", Owners: []string{"@alice"}, Runbook: "https://wiki.example.com/runbooks/not-null"},
		History: []queries.IncidentHistory{{UniqueID: "test.jaffle.not_null_fct_orders_order_id", FalsePositive: 2, Expected: 1,
			Since: Now.Add(-20 * 24 * time.Hour)}}}, nil
}

// Tests answers "tests NODE": a failing test, a flaky one and one never run in the window.
func (f *Fake) Tests(_ context.Context, name string) (queries.TestsAnswer, error) {
	f.record("Tests " + name)
	if err := f.resolve(name); err != nil {
		return queries.TestsAnswer{}, err
	}
	a := queries.TestsAnswer{Node: f.node(name), WindowDays: 14, Tests: []queries.TestRecord{}}
	if name == "empty" {
		return a, nil
	}
	a.Tests = []queries.TestRecord{
		{TestState: queries.TestState{UniqueID: "test.jaffle.not_null_fct_orders_order_id", Name: "not_null_fct_orders_order_id",
			ShortName: "not_null", Column: "order_id", Status: "fail", DetectedAt: Ago(2 * time.Hour), Severity: "ERROR"},
			Runs: 14, Passed: 11, PassRate: f64(11.0 / 14)},
		{TestState: queries.TestState{UniqueID: "test.jaffle.accepted_values_fct_orders_status", Name: "accepted_values_fct_orders_status",
			ShortName: "accepted_values", Column: "status", Status: "pass", DetectedAt: Ago(2 * time.Hour), Severity: "WARN"},
			Runs: 14, Passed: 14, PassRate: f64(1)},
		{TestState: queries.TestState{UniqueID: "test.jaffle.assert_orders_positive", Name: "assert_orders_positive",
			ShortName: "assert_orders_positive", Status: "pass", DetectedAt: Ago(20 * 24 * time.Hour), Severity: "ERROR"}},
	}
	a.Chart = FlakyHistory()
	return a, nil
}

func (f *Fake) SyncInfo(context.Context) (queries.SyncInfo, error) {
	f.record("SyncInfo")
	return f.Sync, f.SyncErr
}

func ptrTo[T any](v T) *T { return &v }

// Revenue is the fake's exposure, the revenue dashboard: named in words ("the revenue dashboard",
// 「売上ダッシュボード」) rather than by its name.
var Revenue = queries.Node{UniqueID: "exposure.jaffle.revenue", Name: "revenue", ResourceType: "exposure",
	Owners: []string{"cfo@example.com"}, Team: "finance"}

// NodeIn finds the revenue dashboard in a question that names it in words.
func (f *Fake) NodeIn(_ context.Context, text, picked string) (queries.Node, error) {
	lower := strings.ToLower(text)
	for _, key := range []string{"revenue dashboard", "売上ダッシュボード"} {
		if strings.Contains(lower, key) && strings.Contains(key, strings.ToLower(picked)) {
			return Revenue, nil
		}
	}
	return queries.Node{}, &queries.NotFoundError{Name: text}
}

// staleData is fct_orders' data as of: built an hour ago from stripe.payments, which stopped loading 30 hours ago.
func staleData() *queries.DataAsOf {
	return &queries.DataAsOf{AsOf: Ago(30 * time.Hour), AgeSeconds: f64(30 * 3600),
		LimitedBy: &queries.DataLimit{UniqueID: "source.jaffle.stripe.payments", Name: "stripe.payments",
			Kind: queries.LimitStoppedLoading},
		Chain:   []string{"source.jaffle.stripe.payments", "model.jaffle.stg_payments", "model.jaffle.fct_orders"},
		Verdict: queries.DataStale}
}

// Safe answers "safe NODE": the revenue dashboard is unsafe (a source stopped loading, an ERROR test fails),
// stg_flaky is to be used with caution (a test warns, a run upstream was skipped), "empty" is safe.
func (f *Fake) Safe(_ context.Context, name string) (queries.SafeAnswer, error) {
	f.record("Safe " + name)
	if err := f.resolve(name); err != nil {
		return queries.SafeAnswer{}, err
	}
	day := 86400.0
	switch name {
	case "empty":
		return queries.SafeAnswer{Node: f.node(name), Verdict: queries.SafeToUse, Reasons: []queries.SafeReason{},
			Data: &queries.DataAsOf{AsOf: Ago(time.Hour), AgeSeconds: f64(3600), Chain: []string{"model.jaffle.empty"},
				LimitedBy: &queries.DataLimit{UniqueID: "model.jaffle.empty", Name: "empty", Kind: queries.LimitBuilt},
				Verdict:   queries.DataFresh},
			NeedSeconds: &day, Ask: []string{}}, nil
	case "stg_flaky":
		n := queries.Node{UniqueID: "model.jaffle.stg_flaky", Name: "stg_flaky", ResourceType: "model",
			Owners: []string{"@carol"}, Team: "growth"}
		return queries.SafeAnswer{Node: n, Verdict: queries.Caution, Since: Ago(3 * time.Hour),
			Reasons: []queries.SafeReason{
				{Code: queries.SafeTestsWarning, UniqueID: "test.jaffle.accepted_values_stg_flaky_status",
					Name: "accepted_values_stg_flaky_status", Count: 1, Since: Ago(3 * time.Hour), Owners: []string{"@carol"}},
				{Code: queries.SafeRunSkipped, UniqueID: "model.jaffle.stg_events", Name: "stg_events", Count: 2,
					Since: Ago(5 * time.Hour), Owners: []string{}}},
			Data: &queries.DataAsOf{AsOf: Ago(5 * time.Hour), AgeSeconds: f64(5 * 3600), Verdict: queries.DataStale,
				LimitedBy: &queries.DataLimit{UniqueID: "model.jaffle.stg_events", Name: "stg_events",
					Kind: queries.LimitNotUpdated},
				Chain: []string{"model.jaffle.stg_events", "model.jaffle.stg_flaky"}},
			Ask: []string{"@carol"}}, nil
	}
	return queries.SafeAnswer{Node: Revenue, Verdict: queries.Unsafe, Since: Ago(6 * time.Hour),
		Reasons: []queries.SafeReason{
			{Code: queries.SafeDataTooOld, UniqueID: "source.jaffle.stripe.payments", Name: "stripe.payments", Count: 1,
				Since: Ago(6 * time.Hour), Owners: []string{"@ingest"}},
			{Code: queries.SafeTestsFailing, UniqueID: "test.jaffle.not_null_fct_orders_order_id.5d6e",
				Name: "not_null_fct_orders_order_id", Count: 2, Since: Ago(2 * time.Hour), Owners: []string{"@alice"}},
			{Code: queries.SafeIncidentOpen, UniqueID: "test.jaffle.not_null_fct_orders_order_id.5d6e",
				Name: "not_null_fct_orders_order_id", Count: 1, Since: Ago(2 * time.Hour), Owners: []string{"@alice"},
				Incident: 42}},
		Data: staleData(), NeedSeconds: &day, Ask: []string{"@ingest", "@alice", "cfo@example.com"},
		Exposure: &queries.Exposure{UniqueID: "exposure.jaffle.revenue", Name: "revenue", Label: "Revenue dashboard",
			Type: "dashboard", URL: "https://bi.example.com/revenue", OwnerName: "Dana CFO", OwnerEmail: "cfo@example.com"}}, nil
}

// Occurrence answers the run an alert reported: fct_orders errored at the alert and has built twice since
// (recovered); the volume anomaly failed at the alert, with its drop to 412 rows, and still fails; stg_flaky
// recovered after the alert and failed again (flaky); "empty" has not run since.
func (f *Fake) Occurrence(_ context.Context, q queries.OccurrenceQuery) (queries.Occurrence, error) {
	f.record("Occurrence " + q.Node)
	if err := f.resolve(q.Node); err != nil {
		return queries.Occurrence{}, err
	}
	run := func(status string, ago time.Duration, msg string) *queries.Run {
		r := &queries.Run{Status: status, CompletedAt: Ago(ago), InvocationID: "inv-" + status}
		if msg != "" {
			r.Message = &msg
		}
		return r
	}
	status := func(s string) *string { return &s }
	n := f.node(q.Node)
	switch {
	case n.UniqueID == AnomalyTest.UniqueID:
		chart := VolumeAnomaly()
		value, low, high := 412.0, 950.0, 1450.0
		return queries.Occurrence{Kind: "test", Node: n.UniqueID, DetectedAt: *Ago(26 * time.Hour),
			StatusThen: status("fail"), Since: queries.SinceStillFailing, RunsSince: 1, PassedAt: []time.Time{},
			Streak: 2, FailingSince: Ago(26 * time.Hour), Then: run("fail", 26*time.Hour, "Row count 412 is outside its expected range"),
			Latest: run("fail", 2*time.Hour, ""), Value: &value, Low: &low, High: &high, Chart: chart}, nil
	case q.Node == "stg_flaky":
		return queries.Occurrence{Kind: "test", Node: "test.jaffle.accepted_values_stg_flaky_kind.7", DetectedAt: *Ago(50 * time.Hour),
			StatusThen: status("warn"), Since: queries.SinceStillFailing, RunsSince: 2, PassedAt: []time.Time{},
			Streak: 1, FailingSince: Ago(3 * time.Hour), Flips: 2, Flaky: true, Then: run("warn", 50*time.Hour, ""),
			Latest: run("warn", 3*time.Hour, "")}, nil
	case q.Node == "empty":
		return queries.Occurrence{Kind: "model", Node: n.UniqueID, DetectedAt: *Ago(5 * time.Hour), StatusThen: status("error"),
			Since: queries.SinceNotRun, PassedAt: []time.Time{}, Streak: 1, FailingSince: Ago(5 * time.Hour),
			Then: run("error", 5*time.Hour, "Database Error: relation does not exist")}, nil
	}
	return queries.Occurrence{Kind: "model", Node: n.UniqueID, DetectedAt: *Ago(50 * time.Hour), StatusThen: status("error"),
		Since: queries.SinceRecovered, RecoveredAt: Ago(26 * time.Hour), RunsSince: 2, PassesSince: 2,
		PassedAt: []time.Time{*Ago(26 * time.Hour), *Ago(2 * time.Hour)}, Flips: 1,
		Then:   run("error", 50*time.Hour, "Database Error in model fct_orders: division by zero"),
		Latest: run("success", 2*time.Hour, "")}, nil
}
