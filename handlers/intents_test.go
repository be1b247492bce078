package handlers

import "testing"

// TestRegistry keeps the intent registry whole: every intent has one entry, no command word names two intents, the
// intents about a node are answered by the read model, and help lists each answered intent in both languages.
func TestRegistry(t *testing.T) {
	all := []Intent{IntentStatus, IntentOwner, IntentLastRun, IntentFailures, IntentFreshness, IntentUpstream,
		IntentDownstream, IntentDescribe, IntentWhy, IntentUrgent, IntentTests, IntentHelp, IntentDigest, IntentMute,
		IntentSilences, IntentIncident}
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
