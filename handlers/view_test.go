package handlers

import (
	"reflect"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
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
