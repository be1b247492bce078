package queries

import (
	"reflect"
	"testing"
)

// about is an answer about one node: it names the node and its owners.
type about interface {
	Subject() Node
	OwnersNamed() []string
}

// Every answer about a node names it and its owners; the others name their owners.
var (
	_ about                               = StatusAnswer{}
	_ about                               = OwnerAnswer{}
	_ about                               = LastRunAnswer{}
	_ about                               = LineageAnswer{}
	_ about                               = DescribeAnswer{}
	_ about                               = WhyAnswer{}
	_ about                               = UrgencyAnswer{}
	_ about                               = TestsAnswer{}
	_ interface{ OwnersNamed() []string } = FailuresAnswer{}
	_ interface{ OwnersNamed() []string } = DigestAnswer{}
)

func TestOwnersNamed(t *testing.T) {
	node := Node{UniqueID: "model.s.orders", Owners: []string{"@ana", "bob@x.io"}}
	for _, tc := range []struct {
		name   string
		answer interface{ OwnersNamed() []string }
		want   []string
	}{
		{"owner: the group's owner too", OwnerAnswer{Node: node, Owners: []string{"@ana", "bob@x.io"},
			Group: &Group{Name: "finance", OwnerEmail: "lead@x.io"}}, []string{"@ana", "bob@x.io", "lead@x.io"}},
		{"downstream: the exposures' owners", LineageAnswer{Node: node, Exposures: []Exposure{{OwnerEmail: "bi@x.io"}, {}}},
			[]string{"@ana", "bob@x.io", "bi@x.io"}},
		{"why: whom to ask next", WhyAnswer{Node: node, Next: &NextStep{Owners: []string{"@payments"}}},
			[]string{"@ana", "bob@x.io", "@payments"}},
		{"failures: each failure's, once", FailuresAnswer{Failures: []Failure{{Owners: []string{"@ana"}}, {Owners: []string{"@ana", "@cy"}}}},
			[]string{"@ana", "@cy"}},
		{"digest: problems, flaky tests, actions", DigestAnswer{New: []DigestProblem{{Owners: []string{"@ana"}}},
			Flaky: []FlakyTest{{Owners: []string{"@dee"}}}, Actions: []DigestAction{{Owners: []string{"@eve"}}}},
			[]string{"@ana", "@dee", "@eve"}},
		{"no owners", StatusAnswer{}, nil},
	} {
		if got := tc.answer.OwnersNamed(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
