package handlers

import (
	"context"
	"reflect"
	"testing"

	"github.com/todai-dev/todai/handlers/handlerstest"
)

// TestRegistry keeps the intent registry whole: every intent has one entry, no command word names two intents, the
// intents about a node are answered by the read model, and help lists each answered intent in both languages.
func TestRegistry(t *testing.T) {
	all := []Intent{IntentStatus, IntentOwner, IntentLastRun, IntentFailures, IntentFreshness, IntentUpstream,
		IntentDownstream, IntentDescribe, IntentWhy, IntentUrgent, IntentTests, IntentSafe, IntentHealth, IntentHelp, IntentDigest,
		IntentMute, IntentSilences, IntentIncident, IntentIncidents, IntentTake, IntentAssign, IntentSeverity, IntentResolve}
	entries := map[Intent]int{}
	words := map[string]Intent{}
	for _, s := range intents {
		entries[s.Intent]++
		for _, w := range s.Words {
			if other, dup := words[w]; dup {
				t.Errorf("command word %q names both %s and %s", w, other, s.Intent)
			}
			words[w] = s.Intent
			if got := commandIntent(w + " x"); got != s.Intent {
				t.Errorf("command %q = %s, want %s", w, got, s.Intent)
			}
		}
		if s.Node != NoNode && s.Answer == nil {
			t.Errorf("%s is about a node but nothing answers it", s.Intent)
		}
		if s.Answer != nil && (s.Help[0].Usage == "" || s.Help[1].Usage == "" || s.Label[0] == "" || s.Label[1] == "") {
			t.Errorf("%s is answered but has no help entry or label in both languages", s.Intent)
		}
		if s.Help[0].Usage != "" && (s.Help[0].Intent != string(s.Intent) || s.Help[1].Intent != string(s.Intent)) {
			t.Errorf("%s: help entries name %q and %q", s.Intent, s.Help[0].Intent, s.Help[1].Intent)
		}
	}
	for _, i := range all {
		if entries[i] != 1 {
			t.Errorf("intent %s has %d registry entries, want 1", i, entries[i])
		}
	}
	if len(entries) != len(all) {
		t.Errorf("the registry has %d intents, the constants %d", len(entries), len(all))
	}
	for _, lang := range []Lang{LangEN, LangJA} {
		for _, c := range Help(lang).Commands {
			if exampleFor(lang, Intent(c.Intent)) == "" {
				t.Errorf("%s: no example for %s", lang, c.Intent)
			}
		}
	}
}

// TestExamplesAreClaimedByTheirIntent: every example question of the help is understood as its own intent, in its
// own language — so two intents whose phrasings claim the same question (a new "which tests are flaky?" that
// failures' "which tests" would take) fail here, naming the intent that took it.
func TestExamplesAreClaimedByTheirIntent(t *testing.T) {
	for _, s := range Specs() {
		for lang, h := range s.Help {
			for _, ex := range h.Examples {
				if q := Parse(ex); q.Intent != s.Intent {
					t.Errorf("%s's example %q (help %d) is understood as %s", s.Intent, ex, lang, q.Intent)
				}
			}
		}
	}
}

// TestEveryIntentIsAnswered: each intent the read model answers returns the answer type its entry declares (Zero,
// which the safety tests fill and render), on the fake's answers to its own examples; and the goldens show each
// intent with a view in both languages.
func TestEveryIntentIsAnswered(t *testing.T) {
	golden := map[string]bool{}
	for _, c := range handlerstest.GoldenCases() {
		golden[c.Name] = true
	}
	for _, s := range Specs() {
		if s.Answer == nil {
			if s.Zero != nil && s.Intent != IntentHelp {
				t.Errorf("%s declares an answer type but nothing answers it", s.Intent)
			}
			continue
		}
		if s.Zero == nil || s.View == nil {
			t.Errorf("%s is answered but declares no answer type or no view", s.Intent)
			continue
		}
		for _, ex := range s.Help[0].Examples {
			res := Ask(context.Background(), newFake(), Parse(ex), testNow)
			if res.Err != nil {
				t.Errorf("%s: %q: %+v", s.Intent, ex, res.Err)
				continue
			}
			if got, want := reflect.TypeOf(res.Answer), reflect.TypeOf(s.Zero()); got != want {
				t.Errorf("%s answers %v, its entry declares %v", s.Intent, got, want)
			}
		}
	}
	for _, s := range Specs() {
		if s.View == nil {
			continue
		}
		for _, lang := range []string{"en", "ja"} {
			if !golden[string(s.Intent)+"."+lang] {
				t.Errorf("no golden case %s.%s: add one to handlerstest.GoldenCases", s.Intent, lang)
			}
		}
	}
}
