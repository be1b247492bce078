package slackui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
)

func testSlackOptions() Options {
	return Options{
		Mentions:  map[string]string{"@alice": "<@U0ALICE>", "finance-team": "<!subteam^S0FIN>", "evil": "<!channel>"},
		ReportURL: "https://elementary.example.com/", DocsURL: "https://docs.example.com",
		Ephemeral: true, Now: handlerstest.Now,
	}
}

// slackJSON is the golden form of a message.
func slackJSON(t testing.TB, m Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatalf("marshal slack message: %v", err)
	}
	return buf.Bytes()
}

// TestGoldenSlack renders every golden case as Block Kit and compares the JSON with testdata/golden/slack.
func TestGoldenSlack(t *testing.T) {
	dir := filepath.Join("testdata", "golden", "slack")
	if handlerstest.Updating() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range handlerstest.GoldenCases() {
		t.Run(tc.Name, func(t *testing.T) {
			f := handlerstest.NewFake()
			if tc.Setup != nil {
				tc.Setup(f)
			}
			q := handlers.Parse(tc.Text)
			if tc.UnderAlert {
				q.Alert = &handlers.AlertAt{At: handlerstest.AlertAt, Failing: true}
			}
			res := handlers.Ask(context.Background(), f, q, handlerstest.Now)
			msg := Answer(res, testSlackOptions())
			validateBlocks(t, msg.Blocks)
			if msg.Text == "" {
				t.Error("fallback text is empty")
			}
			js := slackJSON(t, msg)
			var back struct {
				Text   string       `json:"text"`
				Blocks slack.Blocks `json:"blocks"`
			}
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatalf("slack-go cannot read the blocks back: %v", err)
			}
			if len(back.Blocks.BlockSet) != len(msg.Blocks) {
				t.Errorf("round trip: %d blocks, want %d", len(back.Blocks.BlockSet), len(msg.Blocks))
			}
			handlerstest.Golden(t, filepath.Join(dir, tc.Name+".json"), js)
		})
	}
}

// validateBlocks checks Slack's Block Kit limits on a message's blocks.
func validateBlocks(t testing.TB, blocks []slack.Block) {
	t.Helper()
	if len(blocks) == 0 || len(blocks) > MaxBlocks {
		t.Fatalf("%d blocks, want 1..%d", len(blocks), MaxBlocks)
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var bs []map[string]any
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	runes := func(v any) int { s, _ := v.(string); return utf8.RuneCountInString(s) }
	textOf := func(v any) (string, string) {
		m, _ := v.(map[string]any)
		s, _ := m["text"].(string)
		typ, _ := m["type"].(string)
		return typ, s
	}
	blockIDs, actionIDs := map[string]bool{}, map[string]bool{}
	for i, b := range bs {
		id, _ := b["block_id"].(string)
		if id == "" || len(id) > 255 || blockIDs[id] {
			t.Errorf("block %d: block_id %q empty, too long or repeated", i, id)
		}
		blockIDs[id] = true
		switch b["type"] {
		case "header":
			typ, s := textOf(b["text"])
			if typ != "plain_text" || s == "" || runes(s) > MaxHeaderText {
				t.Errorf("block %d: header %s %q (%d chars)", i, typ, s, runes(s))
			}
		case "section":
			fields, _ := b["fields"].([]any)
			_, s := textOf(b["text"])
			if s == "" && len(fields) == 0 {
				t.Errorf("block %d: empty section", i)
			}
			if runes(s) > MaxSectionText {
				t.Errorf("block %d: section text %d chars", i, runes(s))
			}
			if len(fields) > MaxFields {
				t.Errorf("block %d: %d fields", i, len(fields))
			}
			for _, f := range fields {
				if _, s := textOf(f); s == "" || runes(s) > MaxFieldText {
					t.Errorf("block %d: field %q (%d chars)", i, s, runes(s))
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > MaxContextItems {
				t.Errorf("block %d: %d context elements", i, len(els))
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > MaxActionElements {
				t.Errorf("block %d: %d action elements", i, len(els))
			}
			for _, e := range els {
				m, _ := e.(map[string]any)
				aid, _ := m["action_id"].(string)
				if aid == "" || len(aid) > 255 || actionIDs[aid] {
					t.Errorf("block %d: action_id %q empty, too long or repeated", i, aid)
				}
				actionIDs[aid] = true
				typ, s := textOf(m["text"])
				if typ != "plain_text" || s == "" || runes(s) > MaxButtonText {
					t.Errorf("button %s: text %q (%d chars)", aid, s, runes(s))
				}
				if runes(m["value"]) > MaxButtonValue || runes(m["url"]) > MaxButtonURL {
					t.Errorf("button %s: value or url too long", aid)
				}
				if m["value"] == nil && m["url"] == nil {
					t.Errorf("button %s: neither value nor url", aid)
				}
				if v, ok := m["value"].(string); ok {
					if _, err := ParseAction(v); err != nil {
						t.Errorf("button %s: value %q: %v", aid, v, err)
					}
				}
			}
		case "data_visualization":
			var dv slack.DataVisualizationBlock
			if err := json.Unmarshal(raw2(t, b), &dv); err != nil {
				t.Errorf("block %d: data_visualization: %v", i, err)
			} else if err := dv.Validate(); err != nil {
				t.Errorf("block %d: data_visualization breaks Slack's limits: %v", i, err)
			}
		default:
			t.Errorf("block %d: unexpected type %v", i, b["type"])
		}
	}
}

// raw2 marshals a decoded block back to JSON.
func raw2(t testing.TB, b map[string]any) []byte {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// reToken matches what Answer may put in angle brackets: a mention from Options.Mentions or a date.
var reToken = regexp.MustCompile(`<(@U0ALICE|!subteam\^S0FIN|!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9: -]+UTC)>`)

// checkNoMarkup asserts that no text in the message holds Slack markup other than the allowed tokens, and no raw &.
func checkNoMarkup(t testing.TB, m Message) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case string:
			if key != "text" {
				return
			}
			s := reToken.ReplaceAllString(x, "")
			if strings.ContainsAny(s, "<>") {
				t.Errorf("markup left in %q", x)
			}
			s = strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(s)
			if strings.Contains(s, "&") {
				t.Errorf("unescaped & in %q", x)
			}
			for _, r := range x {
				if r < 0x20 && r != '\n' {
					t.Errorf("control character %U in %q", r, x)
				}
			}
		}
	}
	walk("", v)
}

// TestRenderSlackEscapesEverything fills every string of every answer with mentions, broadcasts, links and
// control characters and checks that none survive as markup, in either language, with and without errors.
func TestRenderSlackEscapesEverything(t *testing.T) {
	nasty := "<!channel> <!here|here> <@U123> <#C1|x> <https://evil.example|click> &amp; a>b \x1b[2J\n*x*"
	for _, s := range handlers.Specs() {
		if s.Zero == nil {
			continue
		}
		intent, mk := string(s.Intent), s.Zero
		for _, lang := range []handlers.Lang{handlers.LangEN, handlers.LangJA} {
			t.Run(intent+"/"+string(lang), func(t *testing.T) {
				a := mk()
				handlerstest.Poison(reflect.ValueOf(a).Elem(), nasty)
				res := handlers.Result{Intent: intent, Lang: lang, Now: handlerstest.Now, AsOf: handlerstest.SyncedAt, Answer: a,
					Warning:  &handlers.SyncWarning{LastSuccess: handlerstest.SyncedAt, Error: nasty},
					Question: handlers.Question{Intent: handlers.Intent(intent), Node: nasty, Text: nasty, Lang: lang}}
				msg := Answer(res, testSlackOptions())
				validateBlocks(t, msg.Blocks)
				checkNoMarkup(t, msg)
				js := string(slackJSON(t, msg))
				if intent != "help" && !strings.Contains(js, "&lt;!channel&gt;") {
					t.Errorf("escaped datum missing: %s", js)
				}
			})
		}
	}
	for _, code := range []handlers.ErrorCode{handlers.CodeNotFound, handlers.CodeAmbiguous, handlers.CodeBadRequest, handlers.CodeUnavailable} {
		res := handlers.Result{Intent: "status", Lang: handlers.LangEN, Now: handlerstest.Now, Err: &handlers.AnswerError{Code: code, Message: nasty,
			Suggestions: []string{nasty, "model.x." + nasty}}}
		msg := Answer(res, testSlackOptions())
		validateBlocks(t, msg.Blocks)
		checkNoMarkup(t, msg)
	}
}

// TestRenderSlackMentions checks that owners come out as the bot's mentions, and that a mapped value that is not a
// user or group mention (here "<!channel>") is refused.
func TestRenderSlackMentions(t *testing.T) {
	a := &queries.OwnerAnswer{Node: handlerstest.Model, Owners: []string{"@alice", "evil", "finance-team", "bob@example.com"}}
	msg := Answer(handlers.Result{Intent: "owner", Lang: handlers.LangEN, Now: handlerstest.Now, Answer: a}, testSlackOptions())
	js := string(slackJSON(t, msg))
	for _, want := range []string{"<@U0ALICE>, evil, <!subteam^S0FIN>, bob@example.com"} {
		if !strings.Contains(js, want) {
			t.Errorf("owners %q missing: %s", want, js)
		}
	}
	if strings.Contains(js, "<!channel>") {
		t.Errorf("mapped broadcast became a mention: %s", js)
	}
}

func TestValidMention(t *testing.T) {
	for m, want := range map[string]bool{"<@U123>": true, "<@W9ABC>": true, "<!subteam^S0FIN>": true, "<!channel>": false,
		"<!here>": false, "<@U123|bob>": false, "<@u123>": false, "<!subteam^>": false, "@alice": false, "<@U1><!here>": false,
		"<#C123>": false, "": false} {
		if got := validMention(m); got != want {
			t.Errorf("validMention(%q) = %v, want %v", m, got, want)
		}
	}
}

func TestFitEscaped(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 5, "abcd…"},
		{"ab&amp;cd", 5, "ab…"},
		{"a <@U0ALICE> b", 6, "a …"},
		{"日本語のテキスト", 4, "日本語…"},
		{"&lt;&lt;&lt;", 5, "&lt;…"},
		{"&lt;&lt;&lt;", 2, "…"},
	} {
		got := fitEscaped(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("fitEscaped(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.n {
			t.Errorf("fitEscaped(%q, %d) = %q is too long", tc.in, tc.n, got)
		}
	}
}

// TestRenderSlackLimits renders oversized answers: long names, huge lists and messages, many suggestions.
func TestRenderSlackLimits(t *testing.T) {
	long := strings.Repeat("&<x>", 2000)
	node := queries.Node{UniqueID: "model.p." + long, Name: long, ResourceType: "model", Owners: []string{long, long}, Team: long}
	big := &queries.FailuresAnswer{Since: handlerstest.Now.Add(-time.Hour), Scope: "model.p." + long}
	for i := range 5000 {
		big.Failures = append(big.Failures, queries.Failure{TestUniqueID: fmt.Sprint("t", i), TestShortName: long,
			ModelUniqueID: long, Status: "fail", Message: long, Owners: []string{"@alice", long}, DetectedAt: handlerstest.Ago(time.Minute)})
	}
	desc := &queries.DescribeAnswer{Node: node, Description: long, Relation: long, Path: long, Tags: []string{long}}
	for range 500 {
		desc.Columns = append(desc.Columns, queries.ColumnDoc{Name: long, DataType: long, Description: long})
	}
	help := &handlers.HelpAnswer{}
	for range 40 {
		help.Commands = append(help.Commands, handlers.HelpEntry{Usage: long, Description: long, Examples: []string{long, long}})
	}
	sugg := make([]string, 100)
	for i := range sugg {
		sugg[i] = fmt.Sprint("model.p.", i, long)
	}
	cases := map[string]handlers.Result{
		"failures": {Intent: "failures", Answer: big},
		"describe": {Intent: "describe", Answer: desc},
		"status":   {Intent: "status", Answer: &queries.StatusAnswer{Node: node, Tests: make([]queries.TestState, 300)}},
		"help":     {Intent: "help", Answer: help},
		"notfound": {Intent: "status", Err: &handlers.AnswerError{Code: handlers.CodeNotFound, Message: long, Suggestions: sugg}},
	}
	for name, res := range cases {
		for _, lang := range []handlers.Lang{handlers.LangEN, handlers.LangJA} {
			res.Lang, res.Now, res.AsOf = lang, handlerstest.Now, handlerstest.SyncedAt
			res.Question = handlers.Question{Text: long + long, Node: long}
			msg := Answer(res, testSlackOptions())
			validateBlocks(t, msg.Blocks)
			checkNoMarkup(t, msg)
			js := string(slackJSON(t, msg))
			if name == "failures" && !strings.Contains(js, handlers.Tr(lang, "…and ", "…他 ")) {
				t.Errorf("%s/%s: list not cut with a count", name, lang)
			}
			if name == "help" && len(msg.Blocks) < 5 {
				t.Errorf("help: %d blocks", len(msg.Blocks))
			}
		}
	}
}

// TestRenderSlackButtons checks which buttons appear and what their values carry.
func TestRenderSlackButtons(t *testing.T) {
	ctx := context.Background()
	type button struct{ id, url, value string }
	buttons := func(m Message) []button {
		var out []button
		for _, b := range m.Blocks {
			if a, ok := b.(*slack.ActionBlock); ok {
				for _, e := range a.Elements.ElementSet {
					btn := e.(*slack.ButtonBlockElement)
					out = append(out, button{btn.ActionID, btn.URL, btn.Value})
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, text string
		opts       Options
		want       []button
	}{
		{"all", "fct_ordersの状態", testSlackOptions(), []button{
			{ActionShare, "", `{"i":"status","n":"model.jaffle.fct_orders","l":"ja","q":"fct_ordersの状態"}`},
			{ActionUpstream, "", `{"i":"upstream","n":"model.jaffle.fct_orders","l":"ja"}`},
			{ActionOwner, "", `{"i":"owner","n":"model.jaffle.fct_orders","l":"ja"}`},
			{ActionReport, "https://elementary.example.com/report/model-runs/model.jaffle.fct_orders/", ""},
			{ActionDocs, "https://docs.example.com/#!/model/model.jaffle.fct_orders", ""},
		}},
		{"public, no links", "status fct_orders", Options{ReportURL: "javascript:alert(1)"}, []button{
			{ActionUpstream, "", `{"i":"upstream","n":"model.jaffle.fct_orders","l":"en"}`},
			{ActionOwner, "", `{"i":"owner","n":"model.jaffle.fct_orders","l":"en"}`},
		}},
		{"upstream has no upstream button", "upstream fct_orders", Options{}, []button{
			{ActionOwner, "", `{"i":"owner","n":"model.jaffle.fct_orders","l":"en"}`},
		}},
		{"suggestions", "status missing_x", testSlackOptions(), []button{
			{ActionSuggest + "0", "", `{"i":"status","n":"model.jaffle.fct_orders","l":"en"}`},
			{ActionSuggest + "1", "", `{"i":"status","n":"model.jaffle.fct_order_items","l":"en"}`},
		}},
		{"unavailable", "status boom", testSlackOptions(), nil},
		{"help", "help", testSlackOptions(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := Answer(handlers.Ask(ctx, handlerstest.NewFake(), handlers.Parse(tc.text), handlerstest.Now), tc.opts)
			if got := buttons(msg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("buttons = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestSlackActionQuestion checks that button values turn back into the right questions, and bad values are refused.
func TestSlackActionQuestion(t *testing.T) {
	for _, tc := range []struct {
		value   string
		want    handlers.Question
		wantErr bool
	}{
		{value: `{"i":"upstream","n":"model.x.y","l":"ja"}`,
			want: handlers.Question{Intent: handlers.IntentUpstream, Node: "model.x.y", Lang: handlers.LangJA, Command: true, Text: "upstream model.x.y"}},
		{value: `{"i":"failures","n":"team:finance","l":"en"}`,
			want: handlers.Question{Intent: handlers.IntentFailures, Team: "finance", Lang: handlers.LangEN, Command: true, Text: "failures team:finance"}},
		{value: `{"i":"owner","l":"en"}`,
			want: handlers.Question{Intent: handlers.IntentOwner, Lang: handlers.LangEN, Command: true, Text: "owner ", Problem: handlers.ProblemMissingNode}},
		{value: `{"i":"drop table","n":"x"}`,
			want: handlers.Question{Intent: handlers.IntentUnknown, Node: "x", Lang: handlers.LangEN, Command: true, Text: "drop table x", Problem: handlers.ProblemUnknown}},
		{value: `not json`, wantErr: true},
		{value: `{"n":"x"}`, wantErr: true},
	} {
		a, err := ParseAction(tc.value)
		if (err != nil) != tc.wantErr {
			t.Fatalf("ParseAction(%s) err = %v", tc.value, err)
		}
		if err != nil {
			continue
		}
		if got := a.Question(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: handlers.Question() = %+v, want %+v", tc.value, got, tc.want)
		}
	}
	a, err := ParseAction(`{"i":"status","n":"model.jaffle.fct_orders","l":"ja","q":"status fct_orders --public"}`)
	if err != nil {
		t.Fatal(err)
	}
	if q := a.Question(); q.Intent != handlers.IntentStatus || q.Node != "fct_orders" || q.Lang != handlers.LangJA {
		t.Errorf("share question = %+v", q)
	}
}

func TestSlackEscape(t *testing.T) {
	for in, want := range map[string]string{"": "", "plain": "plain", "<!channel>": "&lt;!channel&gt;",
		"a & b": "a &amp; b", "&amp;": "&amp;amp;", "x\ny\x1b[1m": "x y",
		// a phrase's time stays a date token; anything else shaped like a token is escaped
		"at " + Date(handlerstest.Now) + " <x>":                           "at <!date^1795525200^{date_short_pretty} {time}|2026-11-24 13:00 UTC> &lt;x&gt;",
		"<!date^1^{date_short_pretty} {time}|x <!here>>":                  "&lt;!date^1^{date_short_pretty} {time}|x &lt;!here&gt;&gt;",
		"<!date^1^{date_short_pretty} {time}|2026-11-24 13:00 UTC|<@U1>>": "&lt;!date^1^{date_short_pretty} {time}|2026-11-24 13:00 UTC|&lt;@U1&gt;&gt;",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkRenderSlack(b *testing.B) {
	big := &queries.FailuresAnswer{Since: handlerstest.Now.Add(-24 * time.Hour)}
	seven := int64(7)
	for i := range 2000 {
		big.Failures = append(big.Failures, queries.Failure{TestUniqueID: fmt.Sprint("test.p.unique_", i),
			TestShortName: fmt.Sprint("unique_", i), ModelUniqueID: "model.p.fct_orders", Status: "fail",
			LatestStatus: "pass", DetectedAt: handlerstest.Ago(time.Hour), Count: 2, Failures: &seven,
			Message: strings.Repeat("Got 3 results, configured to fail if != 0 <!here> ", 10), Owners: []string{"@alice", "bob"}})
	}
	res := handlers.Result{Intent: "failures", Lang: handlers.LangEN, Now: handlerstest.Now, AsOf: handlerstest.SyncedAt, Answer: big}
	status := handlers.Ask(context.Background(), handlerstest.NewFake(), handlers.Parse("status fct_orders"), handlerstest.Now)
	opts := testSlackOptions()
	b.Run("failures-2000", func(b *testing.B) {
		for b.Loop() {
			Answer(res, opts)
		}
	})
	b.Run("status", func(b *testing.B) {
		for b.Loop() {
			Answer(status, opts)
		}
	})
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"orders", 10, "orders"},
		{"orders", 6, "orders"},
		{"orders", 5, "orde…"},
		{"受注テーブル", 4, "受注テ…"},
		{"orders", 1, "…"},
		{"orders", 0, ""},
		{"", 0, ""},
	} {
		if got := handlers.Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
