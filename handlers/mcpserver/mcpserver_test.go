package mcpserver

import (
	"strings"
	"testing"

	"github.com/todai-dev/todai/handlers"
)

// TestCommandQuestion: a tool's arguments become the intent's command form, and only as given — a value that would
// read as another argument, or smuggle one in, is refused.
func TestCommandQuestion(t *testing.T) {
	spec := func(i handlers.Intent) handlers.IntentSpec {
		s, _ := handlers.Spec(i)
		return s
	}
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		intent handlers.Intent
		in     toolArgs
		want   string // "" when refused
	}{
		{handlers.IntentStatus, toolArgs{Node: "fct_orders"}, "status fct_orders"},
		{handlers.IntentStatus, toolArgs{Node: "model.shop.fct_orders"}, "status model.shop.fct_orders"},
		{handlers.IntentFailures, toolArgs{Team: "finance", Since: "3d"}, "failures team:finance since 3d"},
		{handlers.IntentFailures, toolArgs{Node: "stg_orders", Since: "2026-11-20"}, "failures stg_orders since 2026-11-20"},
		{handlers.IntentLastRun, toolArgs{Node: "fct_orders", Limit: n(10)}, "last-run fct_orders last 10 runs"},
		{handlers.IntentLastRun, toolArgs{Node: "fct_orders", Updated: true}, "last-run fct_orders when was it last updated"},
		{handlers.IntentFreshness, toolArgs{Node: "stripe.payments"}, "freshness stripe.payments"},
		// Smuggled or misread arguments.
		{handlers.IntentFailures, toolArgs{Node: "team:finance"}, ""},
		{handlers.IntentFailures, toolArgs{Node: "3d"}, ""},
		{handlers.IntentFailures, toolArgs{Node: "yesterday"}, ""},
		{handlers.IntentStatus, toolArgs{Node: "fct_orders,team:finance"}, ""},
		{handlers.IntentStatus, toolArgs{Node: `fct_orders"since"3d`}, ""},
		{handlers.IntentStatus, toolArgs{Node: "fct_orders\u200bsince\u200b3d"}, ""},
		{handlers.IntentLastRun, toolArgs{Node: "fct_orders,last,20,runs", Limit: n(10)}, ""},
		{handlers.IntentStatus, toolArgs{Node: "fct orders"}, ""},
		{handlers.IntentFailures, toolArgs{Team: "finance since 400d"}, ""},
	} {
		got, err := commandQuestion(spec(tc.intent), tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%s %+v = %q, %v; want %q", tc.intent, tc.in, got, err, tc.want)
		}
	}
}

// TestPageCursor: a cursor is refused when garbled, from another question, or with an offset past any list; a page
// far past a list's end is empty, not a panic.
func TestPageCursor(t *testing.T) {
	good := cursor{Question: questionKey("freshness"), Offset: 50, Size: 50}.String()
	if c, err := readCursor(good, "freshness"); err != nil || c.Offset != 50 {
		t.Errorf("a good cursor: %+v, %v", c, err)
	}
	for name, s := range map[string]string{
		"garbled":          "%%%",
		"another question": good + "",
		"huge offset":      cursor{Question: questionKey("freshness"), Offset: 1 << 62, Size: 50}.String(),
	} {
		q := "freshness"
		if name == "another question" {
			q = "failures"
		}
		if _, err := readCursor(s, q); err == nil {
			t.Errorf("%s cursor accepted", name)
		}
	}
	page, _, err := pageOf(map[string]any{"sources": []any{"a", "b"}}, "freshness", maxOffset, MaxPageSize)
	if err != nil || len(page["sources"].([]any)) != 0 {
		t.Errorf("a page past the end: %v, %v", page, err)
	}
	long := strings.Repeat("x", maxTextRunes+10)
	page, _, _ = pageOf(map[string]any{"message": long, "l": []any{1}}, "q", 0, 1)
	if m := page["message"].(string); !strings.HasSuffix(m, "(2010 characters in all)") {
		t.Errorf("a long string: %q…", m[len(m)-40:])
	}
}
