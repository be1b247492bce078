package handlers

import (
	"reflect"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
)

// TestOwnerKeys: a message may mention exactly the owners its view shows — the node's where they are shown, a
// group's and an exposure's owner by email, whom to ask next, each failure's — once each, first seen first.
func TestOwnerKeys(t *testing.T) {
	node := queries.Node{UniqueID: "model.s.orders", Name: "orders", ResourceType: "model", Owners: []string{"@ana", "bob@x.io"}}
	for _, tc := range []struct {
		name   string
		intent Intent
		answer any
		want   []string
	}{
		{"owner: the group's owner too", IntentOwner, &queries.OwnerAnswer{Node: node, Owners: node.Owners,
			Group: &queries.Group{Name: "finance", OwnerName: "Lead", OwnerEmail: "lead@x.io"}}, []string{"@ana", "bob@x.io", "lead@x.io"}},
		{"downstream: the exposures' owners, not the node's (not shown)", IntentDownstream, &queries.LineageAnswer{Node: node,
			Exposures: []queries.Exposure{{Name: "rev", OwnerEmail: "bi@x.io"}, {Name: "ops"}}}, []string{"bi@x.io"}},
		{"why: whom to ask next", IntentWhy, &queries.WhyAnswer{Node: node,
			Next: &queries.NextStep{Action: "watch", Owners: []string{"@payments"}}}, []string{"@payments"}},
		{"failures: each failure's, once", IntentFailures, &queries.FailuresAnswer{Failures: []queries.Failure{
			{TestUniqueID: "t1", Owners: []string{"@ana"}}, {TestUniqueID: "t2", Owners: []string{"@ana", "@cy"}}}},
			[]string{"@ana", "@cy"}},
		{"status: the node's", IntentStatus, &queries.StatusAnswer{Node: node}, []string{"@ana", "bob@x.io"}},
		{"no owners", IntentStatus, &queries.StatusAnswer{Node: queries.Node{UniqueID: "model.s.x"}}, nil},
	} {
		p := NewPrinter(LangEN, time.Now(), nil)
		v, ok := p.View(Result{Intent: string(tc.intent), Answer: tc.answer})
		if !ok {
			t.Fatalf("%s: no view", tc.name)
		}
		if got := v.OwnerKeys(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestListShown: a medium shows at most MaxListItems items of a list and counts all its entries, and a list that
// promises more entries than it holds is counted by what it holds.
func TestListShown(t *testing.T) {
	item := func(int) Item { return Item{Text: Line{Words("x")}} }
	for _, tc := range []struct {
		name         string
		list         List
		shown, total int
	}{
		{"short", listOf("t", 3, item), 3, 3},
		{"long: only the shown ones are laid out", listOf("t", 2000, item), MaxListItems, 2000},
		{"empty", listOf("t", 0, item), 0, 0},
		{"built by hand, no total", List{Items: make([]Item, 12)}, MaxListItems, 12},
		{"a total it does not hold", List{Items: make([]Item, 2), Total: 50}, 2, 2},
	} {
		items, total := tc.list.Shown()
		if len(items) != tc.shown || total != tc.total {
			t.Errorf("%s: shows %d of %d, want %d of %d", tc.name, len(items), total, tc.shown, tc.total)
		}
	}
	if l := listOf("t", 2000, item); len(l.Items) != MaxListItems {
		t.Errorf("listOf laid out %d items of 2000", len(l.Items))
	}
}

// FuzzClean: Clean's fast path agrees with the full cleaning, and a cleaned string is clean.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"fct_orders", "a  b", " lead", "trail ", "tab\there", "\x1b[31mred\x1b[0m", "日本語 テキスト",
		"zero\u200bwidth", "bad\xffutf8", "nbsp\u00a0here", "line\nbreak", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		if s != "" && alreadyClean(s) && c != s {
			t.Fatalf("alreadyClean(%q) but Clean = %q", s, c)
		}
		if Clean(c) != c {
			t.Fatalf("Clean(%q) = %q is not clean: %q", s, c, Clean(c))
		}
	})
}

// TestCriterion: a freshness criterion keeps the read model's English, and in Japanese says its period in Japanese;
// a criterion of another form is shown as it is, cleaned.
func TestCriterion(t *testing.T) {
	// criterion → its English and its Japanese
	for in, want := range map[string][2]string{
		"12 hours":       {"12 hours", "12時間"},
		"1 day":          {"1 day", "1日"},
		"30 minutes":     {"30 minutes", "30分"},
		"2 weeks":        {"2 weeks", "2 weeks"},
		"soon":           {"soon", "soon"},
		"1\x1b[31m hour": {"1 hour", "1時間"},
	} {
		for i, lang := range []Lang{LangEN, LangJA} {
			if got := NewPrinter(lang, time.Now(), nil).criterion(in); got != want[i] {
				t.Errorf("criterion(%q) in %s = %q, want %q", in, lang, got, want[i])
			}
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 problems"}, {1, "1 problem"}, {2, "2 problems"}, {1500, "1500 problems"}} {
		if got := quantity.Plural(tc.n, "problem", "problems"); got != tc.want {
			t.Errorf("quantity.Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// TestCauseDetail: a stale source's evidence says its freshness status in the reader's language and keeps the
// error as data; other evidence is data as it is.
func TestCauseDetail(t *testing.T) {
	for _, tc := range []struct {
		kind, detail string
		en, ja       string
	}{
		{"stale_source", "freshness error", "freshness error", "鮮度エラー"},
		{"stale_source", "freshness runtime error: Database Error", "freshness check failed: Database Error",
			"鮮度チェック失敗: Database Error"},
		{"stale_source", "freshness pending: odd", "freshness pending: odd", "freshness pending: odd"},
		{"upstream_error", "freshness error", "freshness error", "freshness error"},
		{"run_error", "Database Error in model x", "Database Error in model x", "Database Error in model x"},
		{"definition_changed", "sql: 1a2b → 5d6e", "its SQL changed: 1a2b → 5d6e", "SQL が変更: 1a2b → 5d6e"},
		{"definition_changed", "macro: m", "macro: m", "macro: m"},
	} {
		c := queries.Cause{Kind: queries.CauseKind(tc.kind), Detail: &tc.detail}
		for lang, want := range map[Lang]string{LangEN: tc.en, LangJA: tc.ja} {
			p := NewPrinter(lang, time.Now(), nil)
			if got := p.Plain(p.causeDetail(c)); got != want {
				t.Errorf("%s %q in %s = %q, want %q", tc.kind, tc.detail, lang, got, want)
			}
		}
	}
}
