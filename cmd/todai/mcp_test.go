package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/handlers/mcpserver"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// mcpDemo is the demo warehouse synced into a state file, with an app over it at a fixed clock.
type mcpDemo struct {
	a   *app
	db  *localdb.DB
	cfg string
}

func newMCPDemo(t testing.TB) mcpDemo {
	t.Helper()
	wh := demoWarehouse(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "todai.yaml")
	body := "warehouse:\n  url: sqlite://" + wh + "\nstate:\n  path: " + filepath.Join(dir, "state.db") +
		"\nteams:\n  - name: finance\n    groups: [finance]\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfg, "sync"}, io.Discard, &errOut); code != 0 {
		t.Fatalf("sync: %s", errOut.String())
	}
	now := time.Now().UTC()
	a := configuredApp(t, slacktest.New(t), wh, dir, body, func() time.Time { return now }, &handlerstest.LogBuffer{}, 8)
	db, err := a.openState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return mcpDemo{a: a, db: db, cfg: cfg}
}

// askJSON is what `todai ask --json --no-sync` prints for question, at the demo's clock.
func (d mcpDemo) askJSON(t *testing.T, question string) string {
	t.Helper()
	return d.askJSONAt(t, question, "")
}

// askJSONAt is what `todai ask --json --no-sync --at at` prints for question ("" for no --at).
func (d mcpDemo) askJSONAt(t *testing.T, question, at string) string {
	t.Helper()
	var out bytes.Buffer
	d.a.stdout = &out
	if err := d.a.answer(context.Background(), d.db, askOptions{text: question, asJSON: true, at: at}); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			t.Fatalf("ask %q: %v", question, err)
		}
	}
	return strings.TrimSpace(out.String())
}

// connect starts the MCP server over the demo in process and returns a client session to it.
func (d mcpDemo) connect(t testing.TB) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	server := mcpserver.New(d.a.reader(d.db), mcpserver.Options{Version: "test", Now: d.a.now, Zone: d.a.cfg.Location()})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func resultText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("result content: %+v", res.Content)
	}
	text, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("result content is %T", res.Content[0])
	}
	return text.Text
}

// TestMCPToolsAnswerAsAsk calls every tool through the SDK's in-memory transport on the demo mirror and compares its
// result with `todai ask --json` for the same question; every intent of the registry the read model answers is a tool.
func TestMCPToolsAnswerAsAsk(t *testing.T) {
	d := newMCPDemo(t)
	cs := d.connect(t)
	ctx := context.Background()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]*mcp.Tool{}
	for _, tool := range list.Tools {
		listed[tool.Name] = tool
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("tool %s is not marked read-only", tool.Name)
		}
	}
	specs := mcpserver.Tools()
	if len(specs) < 14 || len(listed) != len(specs)+2 {
		t.Fatalf("%d tools listed for %d intents (+ ask, search_nodes)", len(listed), len(specs))
	}
	calls := []struct {
		tool     string
		args     map[string]any
		question string
	}{
		{"ask", map[string]any{"question": "why is fct_orders stale?"}, "why is fct_orders stale?"},
		{"search_nodes", map[string]any{"query": "orders"}, ""},
		{"get_status", map[string]any{"node": "fct_orders"}, "status fct_orders"},
		{"get_owner", map[string]any{"node": "fct_orders"}, "owner fct_orders"},
		{"get_last_runs", map[string]any{"node": "fct_orders", "limit": 3}, "last-run fct_orders last 3 runs"},
		{"list_failures", map[string]any{"team": "finance", "since": "2d"}, "failures team:finance since 2d"},
		{"get_freshness", map[string]any{}, "freshness"},
		{"get_upstream", map[string]any{"node": "fct_orders"}, "upstream fct_orders"},
		{"get_downstream", map[string]any{"node": "stripe.payments"}, "downstream stripe.payments"},
		{"describe", map[string]any{"node": "fct_orders"}, "describe fct_orders"},
		{"why_stale", map[string]any{"node": "fct_orders", "lang": "ja"}, "why fct_orders"},
		{"is_urgent", map[string]any{"node": "fct_orders"}, "urgent fct_orders"},
		{"is_urgent", map[string]any{"node": "unique_fct_orders_order_id", "at": "4d"}, "urgent unique_fct_orders_order_id"},
		{"list_tests", map[string]any{"node": "fct_orders"}, "tests fct_orders"},
		{"is_safe_to_use", map[string]any{"node": "fct_orders"}, "safe fct_orders"},
		{"get_health", map[string]any{"team": "finance"}, "health team:finance"},
		{"get_incident_stats", map[string]any{}, "incidents"},
	}
	called := map[string]bool{}
	for _, c := range calls {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
		if err != nil {
			t.Errorf("%s: %v", c.tool, err)
			continue
		}
		called[c.tool] = true
		got := resultText(t, res)
		if c.tool == "search_nodes" { // no ask form: the nodes named so, fct_orders among them
			if res.IsError || !strings.Contains(got, `"unique_id":"model.kumo.fct_orders"`) {
				t.Errorf("search_nodes orders: %s", got)
			}
			continue
		}
		at, _ := c.args["at"].(string)
		want := d.askJSONAt(t, c.question, at)
		if at != "" && !strings.Contains(got, `"alert":{"kind":"test"`) {
			t.Errorf("%s %v: no alert object: %s", c.tool, c.args, got)
		}
		if c.args["lang"] == "ja" {
			d.a.cfg.Locale = "ja"
			want = d.askJSON(t, c.question)
			d.a.cfg.Locale = ""
		}
		if got != want {
			t.Errorf("%s %v:\n%s\nask --json %q:\n%s", c.tool, c.args, got, c.question, want)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(want), &top); err != nil {
			t.Fatalf("ask --json %q is not JSON: %v", c.question, err)
		}
		if tool := listed[c.tool]; tool.OutputSchema != nil && !res.IsError {
			checkOutputSchema(t, c.tool, tool.OutputSchema, got)
		} else if c.tool != "ask" && !res.IsError {
			t.Errorf("%s has no output schema", c.tool)
		}
		if _, failed := top["error"]; res.IsError != failed {
			t.Errorf("%s: isError %v for %s", c.tool, res.IsError, got)
		}
		if len(got) > mcpserver.MaxResultBytes {
			t.Errorf("%s: %d bytes, over the bound", c.tool, len(got))
		}
	}
	for name := range listed {
		if !called[name] {
			t.Errorf("tool %s is not exercised by this test", name)
		}
	}
}

// TestMCPBadInput: an unknown tool, wrong argument types, unknown arguments, an argument smuggling another, a missing
// node and an unknown one get clear errors, never a crash.
func TestMCPBadInput(t *testing.T) {
	d := newMCPDemo(t)
	cs := d.connect(t)
	ctx := context.Background()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "drop_tables", Arguments: map[string]any{}}); err == nil ||
		!strings.Contains(err.Error(), "drop_tables") {
		t.Errorf("an unknown tool: %v", err)
	}
	for _, tc := range []struct {
		tool string
		args map[string]any
		code string
		says string
	}{
		{"get_status", map[string]any{"node": 42}, "bad_request", "arguments"},
		{"get_status", map[string]any{"node": "fct_orders", "colour": "red"}, "bad_request", "unknown field"},
		{"get_status", map[string]any{}, "bad_request", "node is required"},
		{"list_failures", map[string]any{"team": "finance since 400d"}, "bad_request", "one word"},
		{"get_status", map[string]any{"node": "fct_orderz"}, "not_found", ""},
		{"get_last_runs", map[string]any{"node": "fct_orders", "limit": 0}, "bad_request", "limit"},
		{"get_owner", map[string]any{"node": "fct_orders", "team": "finance"}, "bad_request", "takes no team"},
		{"get_owner", map[string]any{"node": "fct_orders", "at": "3d"}, "bad_request", "takes no at"},
		{"is_urgent", map[string]any{"node": "fct_orders", "at": "the other day"}, "bad_request", "is not a time"},
		{"ask", map[string]any{}, "bad_request", "question is required"},
		{"search_nodes", map[string]any{"query": "orders", "limit": "ten"}, "bad_request", "arguments"},
		{"search_nodes", map[string]any{"query": " "}, "bad_request", "query is required"},
	} {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
		if err != nil {
			t.Errorf("%s %v: a protocol error %v, want a tool error", tc.tool, tc.args, err)
			continue
		}
		var body struct {
			Error struct {
				Code        string   `json:"code"`
				Message     string   `json:"message"`
				Suggestions []string `json:"suggestions"`
			} `json:"error"`
		}
		text := resultText(t, res)
		if err := json.Unmarshal([]byte(text), &body); err != nil || !res.IsError || body.Error.Code != tc.code ||
			!strings.Contains(body.Error.Message, tc.says) {
			t.Errorf("%s %v: isError %v %s; want %s saying %q", tc.tool, tc.args, res.IsError, text, tc.code, tc.says)
		}
		if tc.code == "not_found" && len(body.Error.Suggestions) == 0 {
			t.Errorf("%s %v: not_found without suggestions: %s", tc.tool, tc.args, text)
		}
	}
}

// TestMCPSubprocess starts `todai mcp` as a client would — a process speaking JSON-RPC over its stdin and stdout —
// and initializes, lists the tools and calls one.
func TestMCPSubprocess(t *testing.T) {
	d := newMCPDemo(t)
	cmd := exec.Command(os.Args[0], "--config", d.cfg, "mcp")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, nil).
		Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("initialize: %v\n%s", err, stderr.String())
	}
	t.Logf("initialized %s after start", time.Since(start))
	defer cs.Close()
	if init := cs.InitializeResult(); init == nil || init.ServerInfo.Name != "todai" {
		t.Errorf("server info: %+v", init)
	}
	list, err := cs.ListTools(ctx, nil)
	if err != nil || len(list.Tools) != len(mcpserver.Tools())+2 {
		t.Fatalf("tools/list: %v, %d tools", err, len(list.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_owner", Arguments: map[string]any{"node": "fct_orders"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call: %v %+v\n%s", err, res, stderr.String())
	}
	var answer struct {
		Intent string `json:"intent"`
		Node   struct {
			Name string `json:"name"`
		} `json:"node"`
	}
	if err := json.Unmarshal([]byte(resultText(t, res)), &answer); err != nil || answer.Intent != string(handlers.IntentOwner) ||
		answer.Node.Name != "fct_orders" {
		t.Errorf("get_owner over stdio: %v %s", err, resultText(t, res))
	}
}

// BenchmarkMCPToolCall calls why_stale on the demo mirror (TODAI_BENCH_DEMO_MIRROR's when set) through the SDK's
// in-memory transport, as an assistant would (go test ./cmd/todai -run '^$' -bench MCPToolCall).
func BenchmarkMCPToolCall(b *testing.B) {
	var d mcpDemo
	if path := os.Getenv("TODAI_BENCH_DEMO_MIRROR"); path != "" { // e.g. the 10,000-model demo's mirror
		db, err := localdb.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		d = mcpDemo{a: &app{now: time.Now, logger: slog.New(slog.DiscardHandler), cfg: &config.Config{}}, db: db}
	} else {
		d = newMCPDemo(b)
	}
	cs := d.connect(b)
	ctx := context.Background()
	params := &mcp.CallToolParams{Name: "why_stale", Arguments: map[string]any{"node": "fct_orders"}}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := cs.CallTool(ctx, params)
		if err != nil || res.IsError {
			b.Fatalf("why_stale: %v %+v", err, res)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median_ms")
}

// TestMCPPaging pages a list answer: every source of get_freshness comes exactly once over the pages, in ask's
// order, the pages say their totals, and a cursor of another question is refused.
func TestMCPPaging(t *testing.T) {
	d := newMCPDemo(t)
	cs := d.connect(t)
	ctx := context.Background()
	var whole struct {
		Sources []map[string]any `json:"sources"`
	}
	if err := json.Unmarshal([]byte(d.askJSON(t, "freshness")), &whole); err != nil || len(whole.Sources) < 5 {
		t.Fatalf("ask --json freshness: %v, %d sources", err, len(whole.Sources))
	}
	var got []string
	cursor, pages := "", 0
	for {
		args := map[string]any{"limit": 4}
		if cursor != "" {
			args["cursor"] = cursor
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_freshness", Arguments: args})
		if err != nil || res.IsError {
			t.Fatalf("page %d: %v %s", pages, err, resultText(t, res))
		}
		var page struct {
			Sources []map[string]any `json:"sources"`
			Page    struct {
				Totals     map[string]int `json:"totals"`
				Truncated  bool           `json:"truncated"`
				NextCursor string         `json:"next_cursor"`
			} `json:"page"`
		}
		if err := json.Unmarshal([]byte(resultText(t, res)), &page); err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Sources) > 4 || page.Page.Totals["sources"] != len(whole.Sources) {
			t.Errorf("page %d: %d sources, totals %v", pages, len(page.Sources), page.Page.Totals)
		}
		for _, s := range page.Sources {
			got = append(got, s["unique_id"].(string))
		}
		if !page.Page.Truncated {
			break
		}
		cursor = page.Page.NextCursor
		if pages > 10 {
			t.Fatal("the pages never end")
		}
	}
	var want []string
	for _, s := range whole.Sources {
		want = append(want, s["unique_id"].(string))
	}
	if !slices.Equal(got, want) || pages != (len(want)+3)/4 {
		t.Errorf("%d pages gave %v, want every source once: %v", pages, got, want)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_failures", Arguments: map[string]any{"cursor": cursor}})
	if err != nil || !res.IsError || !strings.Contains(resultText(t, res), "another question") {
		t.Errorf("a cursor of another question: %v %s", err, resultText(t, res))
	}
}

// TestMCPBoundOnTheBigDemo calls every tool on a big mirror (TODAI_BENCH_DEMO_MIRROR, e.g. the 10,000-model demo's;
// skipped without it) and walks every page: each result is within MaxResultBytes and each list's items come exactly
// once over its pages.
func TestMCPBoundOnTheBigDemo(t *testing.T) {
	path := os.Getenv("TODAI_BENCH_DEMO_MIRROR")
	if path == "" {
		t.Skip("TODAI_BENCH_DEMO_MIRROR names no big mirror")
	}
	db, err := localdb.Open(context.Background(), path) // the state store reads through the writer
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := &app{now: time.Now, logger: slog.New(slog.DiscardHandler), cfg: &config.Config{}}
	d := mcpDemo{a: a, db: db}
	cs := d.connect(t)
	ctx := context.Background()
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"list_failures", map[string]any{}}, {"list_failures", map[string]any{"since": "7d"}}, {"get_freshness", map[string]any{}},
		{"get_downstream", map[string]any{"node": "stripe.payments"}}, {"get_upstream", map[string]any{"node": "fct_orders"}},
		{"get_status", map[string]any{"node": "fct_orders"}}, {"why_stale", map[string]any{"node": "fct_orders"}},
		{"is_urgent", map[string]any{"node": "fct_orders"}}, {"list_tests", map[string]any{"node": "fct_orders"}},
		{"describe", map[string]any{"node": "fct_orders"}}, {"get_health", map[string]any{}}, {"is_safe_to_use", map[string]any{"node": "fct_orders"}},
		{"get_owner", map[string]any{"node": "fct_orders"}}, {"get_last_runs", map[string]any{"node": "fct_orders", "limit": 50}},
		{"get_incident_stats", map[string]any{}}, {"ask", map[string]any{"question": "what failed this week?"}},
	} {
		seen := map[string]int{}
		cursor, biggest := "", 0
		for pages := 0; ; pages++ {
			args := maps.Clone(c.args)
			if cursor != "" {
				args["cursor"] = cursor
			}
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: args})
			if err != nil {
				t.Fatalf("%s %v: %v", c.tool, c.args, err)
			}
			text := resultText(t, res)
			biggest = max(biggest, len(text))
			if len(text) > mcpserver.MaxResultBytes {
				t.Errorf("%s %v: %d bytes", c.tool, c.args, len(text))
			}
			var page map[string]json.RawMessage
			if err := json.Unmarshal([]byte(text), &page); err != nil {
				t.Fatal(err)
			}
			var p struct {
				Totals     map[string]int `json:"totals"`
				NextCursor string         `json:"next_cursor"`
			}
			if raw, ok := page["page"]; ok {
				if err := json.Unmarshal(raw, &p); err != nil {
					t.Fatal(err)
				}
				for list := range p.Totals {
					var items []json.RawMessage
					_ = json.Unmarshal(page[list], &items)
					seen[list] += len(items)
				}
			}
			if p.NextCursor == "" {
				for list, total := range p.Totals {
					if seen[list] != total {
						t.Errorf("%s %v: %d of %d %s over %d pages", c.tool, c.args, seen[list], total, list, pages+1)
					}
				}
				t.Logf("%s %v: %d pages, largest %d bytes, totals %v", c.tool, c.args, pages+1, biggest, p.Totals)
				break
			}
			cursor = p.NextCursor
		}
	}
}

// bearerTransport adds a bearer token to every request.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// TestMCPOverHTTP serves the tools at /mcp as todai serve does with mcp.http on: a client with the bearer token
// calls a tool over the streamable HTTP transport; a request without the token is refused (401), and so is a
// browser's cross-origin request (403); the call is logged without the token.
func TestMCPOverHTTP(t *testing.T) {
	d := newMCPDemo(t)
	logs := &handlerstest.LogBuffer{}
	d.a.logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d.a.cfg.MCP = config.MCP{HTTP: true, Token: "s3cret-token"}
	srv := httptest.NewServer(d.a.newOps(d.db, d.a.reader(d.db), nil))
	defer srv.Close()
	ctx := context.Background()

	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: &http.Client{Transport: bearerTransport{"s3cret-token"}},
			DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("connect with the token: %v", err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_owner", Arguments: map[string]any{"node": "fct_orders"}})
	if err != nil || res.IsError || !strings.Contains(resultText(t, res), `"intent":"owner"`) {
		t.Fatalf("get_owner over HTTP: %v %+v", err, res)
	}

	if _, err := mcp.NewClient(&mcp.Implementation{Name: "no-token", Version: "v0"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", MaxRetries: -1, DisableStandaloneSSE: true}, nil); err == nil {
		t.Error("a client without the token connected")
	}
	post := func(header map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(nil); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	if code := post(map[string]string{"Authorization": "Bearer wrong"}); code != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d, want 401", code)
	}
	if code := post(map[string]string{"Authorization": "Bearer s3cret-token", "Origin": "https://evil.example",
		"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
		t.Errorf("a browser's cross-origin request: %d, want 403", code)
	}
	if !strings.Contains(logs.String(), "tool=get_owner") || strings.Contains(logs.String(), "s3cret-token") {
		t.Errorf("the call's log:\n%s", logs.String())
	}
}

// BenchmarkMCPInitialize starts `todai mcp` on the demo mirror as a client does and times its answer to initialize
// (go test ./cmd/todai -run '^$' -bench MCPInitialize -benchtime 10x).
func BenchmarkMCPInitialize(b *testing.B) {
	d := newMCPDemo(b)
	ctx := context.Background()
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "--config", d.cfg, "mcp")
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, nil).
			Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cs.Close()
		b.StartTimer()
	}
}

// checkOutputSchema validates a tool's result against the output schema it declared.
func checkOutputSchema(t *testing.T, tool string, declared any, result string) {
	t.Helper()
	raw, err := json.Marshal(declared)
	if err != nil {
		t.Fatal(err)
	}
	var schema jsonschema.Schema
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("%s: output schema: %v", tool, err)
	}
	resolved, err := schema.Resolve(nil)
	if err != nil {
		t.Fatalf("%s: output schema does not resolve: %v", tool, err)
	}
	var instance any
	if err := json.Unmarshal([]byte(result), &instance); err != nil {
		t.Fatal(err)
	}
	if err := resolved.Validate(instance); err != nil {
		t.Errorf("%s: the result does not match its output schema: %v", tool, err)
	}
}

// TestMCPActions: with mcp.allow_actions, an assistant takes and resolves an incident as the configured Slack user,
// recorded in its timeline; an unknown incident, an unknown reason and a second resolution are tool errors.
func TestMCPActions(t *testing.T) {
	d := newMCPDemo(t)
	ctx := context.Background()
	d.a.cfg.MCP = config.MCP{AllowActions: true, Actor: "U0ASSIST"}
	store := escalation.NewStore(d.db)
	opened := d.a.now().Add(-time.Hour)
	inc, _, err := store.Open(ctx, escalation.Incident{Key: "test.x.nn", Team: "finance", Kind: escalation.KindTest,
		NodeID: "model.kumo.fct_orders", TestID: "test.x.nn", InvocationID: "inv", DetectedAt: opened, OpenedAt: opened})
	if err != nil {
		t.Fatal(err)
	}
	server := mcpserver.New(d.a.reader(d.db), mcpserver.Options{Version: "test", Now: d.a.now,
		Actions: mcpActions(d.a.newIncidentActions(d.db))})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	call := func(tool string, args map[string]any) (bool, string) {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		return res.IsError, resultText(t, res)
	}
	id := inc.ID
	for _, tc := range []struct {
		tool    string
		args    map[string]any
		isError bool
		says    string
	}{
		{"take_incident", map[string]any{"incident": id}, false, "taken by U0ASSIST"},
		{"take_incident", map[string]any{"incident": id}, false, "nothing changed"},
		{"take_incident", map[string]any{"incident": 999}, true, `"not_found"`},
		{"resolve_incident", map[string]any{"incident": id, "reason": "maybe"}, true, `"bad_request"`},
		{"resolve_incident", map[string]any{"incident": id, "reason": "expected", "note": "month-end"}, false, "resolved by U0ASSIST"},
		{"ack_incident", map[string]any{"incident": id}, true, "already resolved"},
		{"resolve_incident", map[string]any{"incident": "one"}, true, `"bad_request"`},
	} {
		isError, text := call(tc.tool, tc.args)
		if isError != tc.isError || !strings.Contains(text, tc.says) {
			t.Errorf("%s %v: isError %v %s; want %v %q", tc.tool, tc.args, isError, text, tc.isError, tc.says)
		}
	}
	got, _ := store.Get(ctx, id)
	if got.Assignee != "U0ASSIST" || got.Resolution != escalation.ResolutionExpected || got.ResolvedBy != "U0ASSIST" {
		t.Errorf("the incident after the actions: %+v", got)
	}
	timeline, _ := store.Timeline(ctx, id)
	var events []string
	for _, e := range timeline {
		events = append(events, e.Event+":"+e.Actor)
	}
	if !slices.Contains(events, "taken:U0ASSIST") || !slices.Contains(events, "resolved:U0ASSIST") {
		t.Errorf("timeline %v", events)
	}
}
