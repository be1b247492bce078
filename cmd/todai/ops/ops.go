// Package ops is the operations surface of `todai serve`: /healthz, /readyz and /metrics, the Slack API calls
// counted on their way out, the questions' latencies, and the state database's sync, digest and escalation
// figures read through the packages that own them.
package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// QuestionObserver records the questions the bot answers: their intent and outcome, how long the
// acknowledgement took (Slack wants one within 3 s) and how long the answer took. The bot can call it through an
// interface it declares:
//
//	type QuestionObserver interface{ ObserveQuestion(intent, outcome string, ack, answer time.Duration) }
type QuestionObserver struct {
	questions *prometheus.CounterVec
	ack       prometheus.Histogram
	answer    prometheus.Histogram
}

// newQuestionObserver registers the question metrics on reg.
func newQuestionObserver(reg prometheus.Registerer) *QuestionObserver {
	o := &QuestionObserver{
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "todai_questions_total",
			Help: "Questions answered, by intent and outcome (answered, not_found, error, busy …)."}, []string{"intent", "outcome"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "todai_ack_latency_seconds",
			Help:    "Time from receiving a Slack envelope to acknowledging it.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2, 3, 5}}),
		answer: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "todai_answer_latency_seconds",
			Help:    "Time from receiving a question to posting its answer.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30}}),
	}
	reg.MustRegister(o.questions, o.ack, o.answer)
	return o
}

// ObserveQuestion records one question. A nil observer records nothing.
func (o *QuestionObserver) ObserveQuestion(intent, outcome string, ack, answer time.Duration) {
	if o == nil {
		return
	}
	if intent == "" {
		intent = "unknown"
	}
	o.questions.WithLabelValues(intent, outcome).Inc()
	if ack > 0 {
		o.ack.Observe(ack.Seconds())
	}
	if answer > 0 {
		o.answer.Observe(answer.Seconds())
	}
}

// slackTransport counts the Slack Web API calls that go through it (method from the URL path, HTTP status, the
// Slack error of "ok": false answers, 429s) and remembers whether the last connection call succeeded.
type slackTransport struct {
	next   http.RoundTripper
	calls  *prometheus.CounterVec
	errs   *prometheus.CounterVec
	limits *prometheus.CounterVec
	now    func() time.Time

	mu        sync.Mutex
	connected bool
	seen      time.Time
	lastErr   string
}

func newSlackTransport(reg prometheus.Registerer, next http.RoundTripper, now func() time.Time) *slackTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	t := &slackTransport{next: next, now: now,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "todai_slack_api_calls_total",
			Help: "Slack Web API calls, by method and HTTP status code."}, []string{"method", "code"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "todai_slack_api_errors_total",
			Help: "Slack Web API calls that failed, by method and error (the Slack error, http_<code> or transport)."},
			[]string{"method", "error"}),
		limits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "todai_slack_api_ratelimited_total",
			Help: "Slack Web API calls answered 429 Too Many Requests, by method."}, []string{"method"}),
	}
	reg.MustRegister(t.calls, t.errs, t.limits)
	return t
}

// slackMethod names the Web API method of a request: the last element of its path ("chat.postMessage"); calls to
// response URLs and other hosts count as "other".
func slackMethod(r *http.Request) string {
	p := r.URL.Path
	i := strings.LastIndex(p, "/")
	m := p[i+1:]
	if !strings.Contains(p, "/api/") || !strings.Contains(m, ".") || len(m) > 64 {
		return "other"
	}
	return m
}

// RoundTrip implements http.RoundTripper.
func (t *slackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	method := slackMethod(r)
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.calls.WithLabelValues(method, "error").Inc()
		t.errs.WithLabelValues(method, "transport").Inc()
		t.connection(method, false, "transport error")
		return nil, err
	}
	t.calls.WithLabelValues(method, strconv.Itoa(resp.StatusCode)).Inc()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		t.limits.WithLabelValues(method).Inc()
		t.errs.WithLabelValues(method, "ratelimited").Inc()
	case resp.StatusCode >= 400:
		t.errs.WithLabelValues(method, "http_"+strconv.Itoa(resp.StatusCode)).Inc()
		t.connection(method, false, "HTTP "+strconv.Itoa(resp.StatusCode))
	case method != "other" && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		// Slack answers errors with 200 and "ok": false: peek at the (small) body and hand it on unchanged.
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			return resp, nil
		}
		var env struct {
			OK    *bool  `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && env.OK != nil {
			if !*env.OK {
				t.errs.WithLabelValues(method, env.Error).Inc()
				t.connection(method, false, env.Error)
			} else {
				t.connection(method, true, "")
			}
		}
	}
	return resp, nil
}

// connection records the outcome of the calls that say whether Todai can reach Slack.
func (t *slackTransport) connection(method string, ok bool, why string) {
	if method != "apps.connections.open" && method != "auth.test" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.connected, t.seen, t.lastErr = ok, t.now(), why
}

// slackState reports whether the last connection call succeeded, and why not, and when it was seen.
func (t *slackTransport) slackState() (bool, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen.IsZero() {
		return false, "no connection to Slack yet"
	}
	if !t.connected {
		return false, "the last connection attempt failed: " + t.lastErr
	}
	return true, ""
}

// lastSeen is when a connection call was last seen (zero when never).
func (t *slackTransport) lastSeen() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen
}

// stateCollector reads the state database on every scrape, through the packages that own its tables: the sync per
// table and per run, the warehouse queries of the syncs, digests posted and escalations sent.
type stateCollector struct {
	db    *localdb.DB
	state *statedb.DB // Todai's own: digests and escalations
	log   *slog.Logger

	tableRows, tableDuration, tableError, tableLastSuccess *prometheus.Desc
	runs, runDuration, warehouseQueries, lastSuccess       *prometheus.Desc
	warehouseSeconds                                       *prometheus.Desc
	digests, digestErrors, escalations, scrapeError        *prometheus.Desc
	timeToAck, timeToResolve                               *prometheus.Desc
}

func newStateCollector(db *localdb.DB, state *statedb.DB, log *slog.Logger) *stateCollector {
	d := prometheus.NewDesc
	table := []string{"table"}
	if state == nil {
		state = statedb.FromLocal(db)
	}
	return &stateCollector{db: db, state: state, log: log,
		tableRows:        d("todai_sync_table_rows_read", "Rows read from the warehouse by the table's last successful read.", table, nil),
		tableDuration:    d("todai_sync_table_duration_seconds", "Duration of the table's last read.", table, nil),
		tableError:       d("todai_sync_table_error", "1 when the table's last read failed (sync_state.last_error newer than its last success).", table, nil),
		tableLastSuccess: d("todai_sync_table_last_success_timestamp_seconds", "When the table was last read successfully.", table, nil),
		runs:             d("todai_sync_runs_total", "Sync runs kept in the state database, by outcome.", []string{"outcome"}, nil),
		runDuration:      d("todai_sync_run_duration_seconds", "Duration of the sync runs kept in the state database.", nil, nil),
		warehouseQueries: d("todai_warehouse_queries_total", "Warehouse queries sent by the kept sync runs, by kind: metadata (no compute) or data.", []string{"kind"}, nil),
		warehouseSeconds: d("todai_warehouse_query_seconds_total", "Time the kept sync runs spent in warehouse queries.", nil, nil),
		lastSuccess:      d("todai_sync_last_success_timestamp_seconds", "When the last successful sync finished.", nil, nil),
		digests:          d("todai_digests_posted_total", "Team digests posted, by team.", []string{"team"}, nil),
		digestErrors:     d("todai_digest_failures", "Digest slots whose last post attempt failed, by team.", []string{"team"}, nil),
		escalations:      d("todai_escalations_sent_total", "Escalation messages sent, by level (0 is the resolution notice).", []string{"level"}, nil),
		scrapeError:      d("todai_state_scrape_error", "1 when reading the state database for this scrape failed.", nil, nil),
		timeToAck: d("todai_incident_time_to_acknowledge_seconds",
			"From an incident's opening to its acknowledgement (or someone taking it), by team.", []string{"team"}, nil),
		timeToResolve: d("todai_incident_time_to_resolve_seconds",
			"From an incident's opening to its resolution (by a person or a later run), by team.", []string{"team"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tableRows, c.tableDuration, c.tableError, c.tableLastSuccess, c.runs,
		c.runDuration, c.warehouseQueries, c.warehouseSeconds, c.lastSuccess, c.digests, c.digestErrors, c.escalations, c.scrapeError, c.timeToAck, c.timeToResolve} {
		ch <- d
	}
}

// runDurationBuckets are the bounds of todai_sync_run_duration_seconds.
var runDurationBuckets = []float64{1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// Bounds of the incident histograms, in seconds: minutes to a week.
var (
	timeToAckBuckets     = []float64{60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200}
	timeToResolveBuckets = []float64{300, 900, 3600, 14400, 28800, 86400, 259200, 604800}
)

// constHistogram is the histogram of values (seconds) over bounds, with labels.
func constHistogram(desc *prometheus.Desc, values, bounds []float64, labels ...string) prometheus.Metric {
	var sum float64
	buckets := make(map[float64]uint64, len(bounds))
	for _, b := range bounds {
		buckets[b] = 0 // every bound is exposed, empty ones too
	}
	for _, v := range values {
		sum += v
		for _, b := range bounds {
			if v <= b {
				buckets[b]++
			}
		}
	}
	return prometheus.MustNewConstHistogram(desc, uint64(len(values)), sum, buckets, labels...)
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := errors.Join(c.collectTables(ctx, ch), c.collectRuns(ctx, ch), c.collectDigests(ctx, ch), c.collectEscalations(ctx, ch))
	failed := 0.0
	if err != nil {
		failed = 1
		c.log.Warn("metrics: read state", "err", err)
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeError, prometheus.GaugeValue, failed)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (c *stateCollector) collectTables(ctx context.Context, ch chan<- prometheus.Metric) error {
	st, err := mirror.Status(ctx, c.db)
	if err != nil {
		return err
	}
	for _, t := range st.Tables {
		if !t.Known || (!t.Present && t.LastError == "") {
			continue
		}
		failed := 0.0
		if !t.LastErrorAt.IsZero() && t.LastErrorAt.After(t.LastSuccess) {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(c.tableRows, prometheus.GaugeValue, float64(t.RowsRead), t.Table)
		ch <- prometheus.MustNewConstMetric(c.tableDuration, prometheus.GaugeValue, t.Duration.Seconds(), t.Table)
		ch <- prometheus.MustNewConstMetric(c.tableError, prometheus.GaugeValue, failed, t.Table)
		if !t.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.tableLastSuccess, prometheus.GaugeValue, unixSeconds(t.LastSuccess), t.Table)
		}
	}
	return nil
}

func (c *stateCollector) collectRuns(ctx context.Context, ch chan<- prometheus.Metric) error {
	runs, err := mirror.Runs(ctx, c.db)
	if err != nil {
		return err
	}
	secs := make([]float64, len(runs.Durations))
	for i, d := range runs.Durations {
		secs[i] = d.Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(runs.OK), "ok")
	ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(runs.Failed), "failed")
	ch <- constHistogram(c.runDuration, secs, runDurationBuckets)
	ch <- prometheus.MustNewConstMetric(c.warehouseQueries, prometheus.CounterValue, float64(runs.MetadataQueries), "metadata")
	ch <- prometheus.MustNewConstMetric(c.warehouseQueries, prometheus.CounterValue, float64(runs.DataQueries), "data")
	ch <- prometheus.MustNewConstMetric(c.warehouseSeconds, prometheus.CounterValue, runs.WarehouseTime.Seconds())
	if !runs.LastSuccess.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue, unixSeconds(runs.LastSuccess))
	}
	return nil
}

func (c *stateCollector) collectDigests(ctx context.Context, ch chan<- prometheus.Metric) error {
	teams, err := scheduler.Digests(ctx, c.state)
	if err != nil {
		return err
	}
	for _, d := range teams {
		ch <- prometheus.MustNewConstMetric(c.digests, prometheus.CounterValue, float64(d.Posted), d.Team)
		ch <- prometheus.MustNewConstMetric(c.digestErrors, prometheus.GaugeValue, float64(d.Failed), d.Team)
	}
	return nil
}

func (c *stateCollector) collectEscalations(ctx context.Context, ch chan<- prometheus.Metric) error {
	levels, err := escalation.NewStateStore(c.state).SendsByLevel(ctx)
	if err != nil {
		return err
	}
	for level, n := range levels {
		ch <- prometheus.MustNewConstMetric(c.escalations, prometheus.CounterValue, float64(n), strconv.Itoa(level))
	}
	return c.collectIncidents(ctx, ch)
}

// collectIncidents reads every incident's handling (incidents are never deleted, so the histograms only grow):
// time to acknowledge and to resolve, by team.
func (c *stateCollector) collectIncidents(ctx context.Context, ch chan<- prometheus.Metric) error {
	handled, err := escalation.NewStateStore(c.state).Handled(ctx, "", time.Time{})
	if err != nil {
		return err
	}
	toAck, toResolve := map[string][]float64{}, map[string][]float64{}
	for _, h := range handled {
		if !h.AckedAt.IsZero() {
			toAck[h.Team] = append(toAck[h.Team], h.AckedAt.Sub(h.OpenedAt).Seconds())
		}
		if !h.ResolvedAt.IsZero() {
			toResolve[h.Team] = append(toResolve[h.Team], h.ResolvedAt.Sub(h.OpenedAt).Seconds())
		}
	}
	for team, secs := range toAck {
		ch <- constHistogram(c.timeToAck, secs, timeToAckBuckets, team)
	}
	for team, secs := range toResolve {
		ch <- constHistogram(c.timeToResolve, secs, timeToResolveBuckets, team)
	}
	return nil
}

// Options configure the ops endpoints.
type Options struct {
	DB *localdb.DB
	// State is Todai's own state, when it is not DB's (PostgreSQL).
	State *statedb.DB
	// Version and Commit label todai_build_info.
	Version, Commit string
	// MaxSyncAge is how old the last successful sync may be for /readyz; 0 skips the check (no warehouse).
	MaxSyncAge time.Duration
	// SlackBase is the transport under the counting one (http.DefaultTransport when nil).
	SlackBase http.RoundTripper
	// SlackProbe, when set, checks Slack (auth.test through SlackClient) for /readyz when the bot's own connection
	// calls were not seen for slackProbeAfter: serve wires it so that readiness works whichever client the bot uses.
	SlackProbe func(ctx context.Context, c *http.Client) error
	Now        func() time.Time
	// Routes are more handlers served beside the endpoints, by pattern ("/mcp"), each guarding itself.
	Routes map[string]http.Handler
	Logger *slog.Logger
}

// slackProbeAfter is how long /readyz trusts the last Slack connection call it saw before probing again.
const slackProbeAfter = time.Minute

// Handler serves /healthz, /readyz and /metrics and holds what they observe. Create it with New.
type Handler struct {
	opts      Options
	reg       *prometheus.Registry
	slack     *slackTransport
	questions *QuestionObserver
	mux       *http.ServeMux
	connected atomic.Pointer[func() bool] // WatchConnection's
}

// WatchConnection makes /readyz ask connected whether the bot holds its Socket Mode connection: a replica without
// one gets no envelopes, so it is not ready. Serve calls it once the bot exists (the bot is built over this
// handler's Slack client).
func (h *Handler) WatchConnection(connected func() bool) { h.connected.Store(&connected) }

func New(opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStateCollector(opts.DB, opts.State, opts.Logger))
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "todai_build_info",
		Help: "Always 1; the labels say which todai runs."}, []string{"version", "commit"})
	buildInfo.WithLabelValues(opts.Version, opts.Commit).Set(1)
	reg.MustRegister(buildInfo)
	h := &Handler{opts: opts, reg: reg, slack: newSlackTransport(reg, opts.SlackBase, opts.Now),
		questions: newQuestionObserver(reg), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	h.mux.HandleFunc("GET /readyz", h.ready)
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn)}))
	for pattern, route := range opts.Routes {
		h.mux.Handle(pattern, route)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// SlackClient is the HTTP client to give the bot (bot.NewClient and Deps.HTTPClient) so that its calls are counted
// and /readyz sees the connection.
func (h *Handler) SlackClient() *http.Client { return &http.Client{Transport: h.slack} }

// Questions is the observer the bot reports questions to.
func (h *Handler) Questions() *QuestionObserver { return h.questions }

// ready answers 200 when Slack is connected, the last successful sync is young enough and Todai's state in
// PostgreSQL (when it is there) answers; 503 with the reasons otherwise.
func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	var why []string
	if p := h.opts.SlackProbe; p != nil {
		if seen := h.slack.lastSeen(); seen.IsZero() || h.opts.Now().Sub(seen) > slackProbeAfter {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			_ = p(ctx, h.SlackClient()) // the counting transport records the outcome
			cancel()
		}
	}
	if ok, reason := h.slack.slackState(); !ok {
		why = append(why, "slack: "+reason)
	}
	if connected := h.connected.Load(); connected != nil && !(*connected)() {
		why = append(why, "slack: no Socket Mode connection open yet")
	}
	if st := h.opts.State; st != nil && st.Dialect() == statedb.Postgres {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		if err := st.Write.PingContext(ctx); err != nil {
			why = append(why, "state: PostgreSQL does not answer (todai doctor says why)")
		}
		cancel()
	}
	if h.opts.MaxSyncAge > 0 {
		runs, err := mirror.Runs(r.Context(), h.opts.DB)
		switch {
		case err != nil:
			why = append(why, "sync: cannot read the state database: "+err.Error())
		case runs.LastSuccess.IsZero():
			why = append(why, "sync: no successful sync yet")
		default:
			if age := h.opts.Now().Sub(runs.LastSuccess); age > h.opts.MaxSyncAge {
				why = append(why, fmt.Sprintf("sync: the last successful sync is %s old (limit %s)", age.Round(time.Second), h.opts.MaxSyncAge))
			}
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(why) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(why, "\n"))
		return
	}
	fmt.Fprintln(w, "ready")
}
