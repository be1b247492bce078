package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
)

func TestAskDispatch(t *testing.T) {
	tests := []struct {
		text      string
		wantCalls []string
		answer    any
	}{
		{"status fct_orders", []string{"SyncInfo", "Status fct_orders"}, &queries.StatusAnswer{}},
		{"owner fct_orders", []string{"SyncInfo", "Owner fct_orders"}, &queries.OwnerAnswer{}},
		{"last-run fct_orders", []string{"SyncInfo", "LastRuns fct_orders 5"}, &queries.LastRunAnswer{}},
		{"last-run fct_orders 500", []string{"SyncInfo", "LastRuns fct_orders 50"}, &queries.LastRunAnswer{}},
		{"failures team:finance", []string{"SyncInfo", "Failures  finance"}, &queries.FailuresAnswer{}},
		{"failures fct_orders", []string{"SyncInfo", "Failures fct_orders "}, &queries.FailuresAnswer{}},
		{"freshness", []string{"SyncInfo", "Freshness "}, &queries.FreshnessAnswer{}},
		{"upstream fct_orders", []string{"SyncInfo", "Upstream fct_orders"}, &queries.LineageAnswer{}},
		{"downstream fct_orders", []string{"SyncInfo", "Downstream fct_orders"}, &queries.LineageAnswer{}},
		{"describe fct_orders", []string{"SyncInfo", "Describe fct_orders"}, &queries.DescribeAnswer{}},
		{"why fct_orders", []string{"SyncInfo", "Why fct_orders"}, &queries.WhyAnswer{}},
		{"urgent fct_orders", []string{"SyncInfo", "Urgency fct_orders"}, &queries.UrgencyAnswer{}},
		{"help", []string{"SyncInfo"}, &HelpAnswer{}},
		{"status", nil, nil},               // missing node: the reader is not asked
		{"hello there", nil, nil},          // unknown
		{"failures since never", nil, nil}, // bad since
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			f := newFake()
			res := Ask(context.Background(), f, Parse(tc.text), testNow)
			if !reflect.DeepEqual(f.Calls(), tc.wantCalls) {
				t.Errorf("calls = %q, want %q", f.Calls(), tc.wantCalls)
			}
			if tc.answer == nil {
				if res.Err == nil || res.Err.Code != CodeBadRequest || res.Answer != nil {
					t.Errorf("want bad_request, got err=%+v answer=%T", res.Err, res.Answer)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("err = %+v", res.Err)
			}
			if reflect.TypeOf(res.Answer) != reflect.TypeOf(tc.answer) {
				t.Errorf("answer %T, want %T", res.Answer, tc.answer)
			}
			if !res.AsOf.Equal(handlerstest.SyncedAt) || res.AsOf.Location() != time.UTC {
				t.Errorf("AsOf = %v, want %v", res.AsOf, handlerstest.SyncedAt)
			}
		})
	}
}

func TestAskFailuresWindow(t *testing.T) {
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.FixedZone("JST", 9*3600))
	tests := []struct {
		text string
		want time.Time
	}{
		{"failures", now.Add(-24 * time.Hour)},
		{"failures since 90m", now.Add(-90 * time.Minute)},
		{"failures since yesterday", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{"今日のテスト失敗", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"failures since 2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{"failures in the last 1w", now.Add(-7 * 24 * time.Hour)},
	}
	for _, tc := range tests {
		f := newFake()
		res := Ask(context.Background(), f, Parse(tc.text), now)
		if res.Err != nil {
			t.Fatalf("%q: %+v", tc.text, res.Err)
		}
		if !f.FailuresQuery().Since.Equal(tc.want) {
			t.Errorf("%q: since = %v, want %v", tc.text, f.FailuresQuery().Since, tc.want)
		}
	}
}

func TestAskErrors(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		setup  func(*handlerstest.Fake)
		code   ErrorCode
		sugg   []string
		exit   int
		inText string
	}{
		{name: "not found", text: "status missing_x", code: CodeNotFound, exit: 1,
			sugg: []string{"model.jaffle.fct_orders", "model.jaffle.fct_order_items"}, inText: "Did you mean"},
		{name: "ambiguous deduplicated", text: "status orders", code: CodeAmbiguous, exit: 1,
			sugg: []string{"model.jaffle.orders", "source.jaffle.shop.orders"}, inText: "Candidates"},
		{name: "no sync yet", text: "status fct_orders", code: CodeUnavailable, exit: 2,
			setup: func(f *handlerstest.Fake) { f.Sync = queries.SyncInfo{} }, inText: "todai sync"},
		{name: "sync info fails", text: "status fct_orders", code: CodeUnavailable, exit: 2,
			setup: func(f *handlerstest.Fake) { f.SyncErr = errors.New("database is locked") }, inText: "mirror"},
		{name: "internal error", text: "why boom", code: CodeUnavailable, exit: 2, inText: "logged"},
		{name: "too long", text: strings.Repeat("x", MaxQuestionRunes+1), code: CodeBadRequest, exit: 1, inText: "too long"},
		{name: "missing node ja", text: "上流", code: CodeBadRequest, exit: 1, inText: "例: fct_ordersの上流"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			res := Ask(context.Background(), f, Parse(tc.text), testNow)
			if res.Err == nil || res.Err.Code != tc.code {
				t.Fatalf("err = %+v, want code %s", res.Err, tc.code)
			}
			if res.Answer != nil {
				t.Errorf("answer %T with an error", res.Answer)
			}
			if tc.sugg != nil && !reflect.DeepEqual(res.Err.Suggestions, tc.sugg) {
				t.Errorf("suggestions = %q, want %q", res.Err.Suggestions, tc.sugg)
			}
			if got := ExitCode(res); got != tc.exit {
				t.Errorf("exit = %d, want %d", got, tc.exit)
			}
			var b bytes.Buffer
			if err := RenderText(&b, res); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.inText) {
				t.Errorf("text %q lacks %q", b.String(), tc.inText)
			}
		})
	}
}

// errReader fails every answer with one error.
type errReader struct {
	*handlerstest.Fake
	err error
}

func (e errReader) Status(context.Context, string) (queries.StatusAnswer, error) {
	return queries.StatusAnswer{}, e.err
}

// healthQueries records the health questions asked of the fake.
type healthQueries struct {
	*handlerstest.Fake
	asked *[]queries.HealthQuery
}

func (h healthQueries) Health(ctx context.Context, q queries.HealthQuery) (queries.HealthAnswer, error) {
	*h.asked = append(*h.asked, q)
	return h.Fake.Health(ctx, q)
}

// TestHealthWindow: health asked without a window reads the health window (a week back from the asker's now), not
// the failures' day; a window given is kept.
func TestHealthWindow(t *testing.T) {
	for _, tc := range []struct {
		question string
		since    time.Time
	}{
		{"how healthy is finance's data?", testNow.Add(-queries.HealthWindow)},
		{"health finance since 3d", testNow.Add(-72 * time.Hour)},
		{"financeの健全性 2日前から", testNow.Add(-48 * time.Hour)},
	} {
		var asked []queries.HealthQuery
		res := Ask(context.Background(), healthQueries{newFake(), &asked}, Parse(tc.question), testNow)
		if res.Err != nil || len(asked) == 0 {
			t.Fatalf("%q: %+v, asked %v", tc.question, res.Err, asked)
		}
		if got := asked[0].Since; !got.Equal(tc.since) {
			t.Errorf("%q: since %v, want %v", tc.question, got, tc.since)
		}
	}
}

func TestAskReaderErrors(t *testing.T) {
	tests := []struct {
		err  error
		code ErrorCode
		msg  string
	}{
		{&queries.UnavailableError{Reason: "mirror is empty\x1b[2J"}, CodeUnavailable, "No data yet: mirror is empty."},
		{fmt.Errorf("status: %w", context.DeadlineExceeded), CodeUnavailable, "took too long"},
		{fmt.Errorf("wrapped: %w", &queries.NotFoundError{Name: "x"}), CodeNotFound, `"x"`},
	}
	for _, tc := range tests {
		res := Ask(context.Background(), errReader{newFake(), tc.err}, Parse("status x_y"), testNow)
		if res.Err == nil || res.Err.Code != tc.code || !strings.Contains(res.Err.Message, tc.msg) {
			t.Errorf("%v: got %+v, want %s containing %q", tc.err, res.Err, tc.code, tc.msg)
		}
		if res.Err != nil && res.Err.Suggestions == nil && tc.code == CodeNotFound {
			t.Errorf("suggestions nil, want empty")
		}
	}
}

func TestAskSyncWarning(t *testing.T) {
	ok := testNow.Add(-2 * time.Hour)
	tests := []struct {
		name string
		info queries.SyncInfo
		want bool
	}{
		{"healthy", queries.SyncInfo{LastSuccess: ok, LastAttempt: ok}, false},
		{"last attempt failed", queries.SyncInfo{LastSuccess: ok, LastAttempt: testNow.Add(-time.Minute), LastError: "timeout"}, true},
		{"sync in progress", queries.SyncInfo{LastSuccess: ok, LastAttempt: testNow.Add(-time.Minute)}, false},
		{"old failure before success", queries.SyncInfo{LastSuccess: ok, LastAttempt: ok.Add(-time.Hour), LastError: "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.Sync = tc.info
			res := Ask(context.Background(), f, Parse("owner fct_orders"), testNow)
			if (res.Warning != nil) != tc.want {
				t.Fatalf("warning = %+v, want %v", res.Warning, tc.want)
			}
			if ExitCode(res) != 0 {
				t.Errorf("exit %d", ExitCode(res))
			}
			var b bytes.Buffer
			if err := RenderText(&b, res); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(b.String(), "last good sync, 2 h ago"); got != tc.want {
				t.Errorf("text warning %v, want %v:\n%s", got, tc.want, b.String())
			}
		})
	}
}

func TestAskHelpWithoutReader(t *testing.T) {
	for _, text := range []string{"", "help", "ヘルプ"} {
		res := Ask(context.Background(), nil, Parse(text), testNow)
		h, ok := res.Answer.(*HelpAnswer)
		if !ok || res.Err != nil || len(h.Commands) < 11 {
			t.Fatalf("%q: %+v", text, res)
		}
		var js bytes.Buffer
		if err := RenderJSON(&js, res); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(js.String(), `"as_of":null`) {
			t.Errorf("help without data: %s", js.String())
		}
	}
	res := Ask(context.Background(), nil, Parse("status fct_orders"), testNow)
	if res.Err == nil || res.Err.Code != CodeUnavailable {
		t.Errorf("nil reader: %+v", res.Err)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  *AnswerError
		want int
	}{
		{nil, 0},
		{&AnswerError{Code: CodeNotFound}, 1},
		{&AnswerError{Code: CodeAmbiguous}, 1},
		{&AnswerError{Code: CodeBadRequest}, 1},
		{&AnswerError{Code: CodeUnavailable}, 2},
	} {
		if got := ExitCode(Result{Err: tc.err}); got != tc.want {
			t.Errorf("ExitCode(%+v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a\nb\r\nc\td", "a b c d"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b]0;title\x07x", "x"},
		{"bell\x07 nul\x00 del\x7f", "bell nul del"},
		{"rtl\u202eevil\u200b", "rtlevil"},
		{"  lead and trail \n", "lead and trail"},
		{"bad\xffutf8", "badutf8"},
		{"日本語\u3000テキスト", "日本語 テキスト"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRelative(t *testing.T) {
	for _, tc := range []struct {
		d      time.Duration
		en, ja string
	}{
		{10 * time.Second, "just now", "たった今"},
		{5 * time.Minute, "5 min ago", "5分前"},
		{3*time.Hour + 20*time.Minute, "3 h ago", "3時間前"},
		{47 * time.Hour, "47 h ago", "47時間前"},
		{72 * time.Hour, "3 d ago", "3日前"},
		{-2 * time.Hour, "in 2 h", "2時間後"},
	} {
		at := testNow.Add(-tc.d)
		if got := Relative(LangEN, at, testNow); got != tc.en {
			t.Errorf("relative(%v, en) = %q, want %q", tc.d, got, tc.en)
		}
		if got := Relative(LangJA, at, testNow); got != tc.ja {
			t.Errorf("relative(%v, ja) = %q, want %q", tc.d, got, tc.ja)
		}
	}
}

// TestRenderNeverPanics renders zero and partial answers of every type in both languages.
func TestRenderNeverPanics(t *testing.T) {
	answers := []any{&queries.StatusAnswer{}, &queries.OwnerAnswer{}, &queries.LastRunAnswer{}, &queries.FailuresAnswer{},
		&queries.FreshnessAnswer{}, &queries.LineageAnswer{}, &queries.DescribeAnswer{}, &queries.WhyAnswer{},
		&queries.UrgencyAnswer{}, &HelpAnswer{}, nil, "unexpected"}
	for _, a := range answers {
		for _, lang := range []Lang{LangEN, LangJA, ""} {
			for _, intent := range []string{"status", "downstream", "upstream"} {
				res := Result{Intent: intent, Lang: lang, Answer: a}
				var b bytes.Buffer
				if err := RenderText(&b, res); err != nil {
					t.Fatal(err)
				}
				b.Reset()
				if err := RenderJSON(&b, res); err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b.Bytes(), []byte("null]")) || bytes.Contains(b.Bytes(), []byte(`"tests":null`)) {
					t.Errorf("%T: null list in %s", a, b.String())
				}
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"command", "failures team:finance since 3d"},
		{"english", "what's wrong with `fct_orders`?"},
		{"japanese", "昨日からのfinanceチームのテスト失敗"},
		{"long", strings.Repeat("why is fct_orders stale ", 80)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				Parse(tc.text)
			}
		})
	}
}

func BenchmarkAskRender(b *testing.B) {
	ctx := context.Background()
	f := newFake()
	for _, text := range []string{"status fct_orders", "fct_ordersの状態", "failures"} {
		q := Parse(text)
		res := Ask(ctx, f, q, testNow)
		b.Run("text/"+text, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := RenderText(&buf, res); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("json/"+text, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := RenderJSON(&buf, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRenderTextStripsControlCharacters fills every data string of every answer with escapes and control
// characters and checks that none reach the terminal.
func TestRenderTextStripsControlCharacters(t *testing.T) {
	nasty := "x\x1b[2J\x1b]0;owned\x07\n\r\t\x00\x7f\u0085\u202e\u200by"
	for _, s := range Specs() {
		if s.Zero == nil {
			continue
		}
		intent, a := string(s.Intent), s.Zero()
		handlerstest.Poison(reflect.ValueOf(a).Elem(), nasty)
		for _, lang := range []Lang{LangEN, LangJA} {
			res := Result{Intent: intent, Lang: lang, Now: testNow, AsOf: handlerstest.SyncedAt, Answer: a,
				Warning: &SyncWarning{LastSuccess: handlerstest.SyncedAt, Error: nasty}}
			var b bytes.Buffer
			if err := RenderText(&b, res); err != nil {
				t.Fatal(err)
			}
			checkText(t, b.String())
			if strings.Contains(b.String(), "[2J") || strings.Contains(b.String(), "owned") {
				t.Errorf("%s/%s: escape sequence text left: %q", intent, lang, b.String())
			}
			if !strings.Contains(b.String(), "x y") && intent != "help" {
				t.Errorf("%s/%s: data lost: %q", intent, lang, b.String())
			}
			b.Reset()
			if err := RenderJSON(&b, res); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b.Bytes(), &m); err != nil {
				t.Errorf("%s: JSON: %v", intent, err)
			}
		}
	}
	res := Result{Intent: "status", Lang: LangEN, Err: &AnswerError{Code: CodeNotFound, Message: nasty,
		Suggestions: []string{nasty}}}
	var b bytes.Buffer
	if err := RenderText(&b, res); err != nil {
		t.Fatal(err)
	}
	checkText(t, b.String())
}

// FuzzAskRender runs any question through Parse, Ask (on the fake) and both renderers, and any data string through
// the text renderer: no panic, no control characters on the terminal, valid JSON.
func FuzzAskRender(f *testing.F) {
	for _, s := range []string{"status fct_orders", "why missing_x", "fct_ordersの状態", "\x1b[31m", "failures since 3d"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, question, data string) {
		res := Ask(context.Background(), newFake(), Parse(question), testNow)
		var b bytes.Buffer
		if err := RenderText(&b, res); err != nil {
			t.Fatal(err)
		}
		checkText(t, b.String())
		b.Reset()
		if err := RenderJSON(&b, res); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b.Bytes()) {
			t.Fatalf("invalid JSON %q", b.String())
		}
		a := &queries.WhyAnswer{}
		handlerstest.Poison(reflect.ValueOf(a).Elem(), data)
		b.Reset()
		if err := RenderText(&b, Result{Intent: "why", Lang: res.Lang, Now: testNow, Answer: a}); err != nil {
			t.Fatal(err)
		}
		checkText(t, b.String())
	})
}
