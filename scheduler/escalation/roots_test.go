package escalation

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/todai-dev/todai/queries"
)

func TestRoots(t *testing.T) {
	inc := func(id int64, kind Kind, node, test string, f ...func(*Incident)) Incident {
		i := Incident{ID: id, Team: "finance", Kind: kind, NodeID: node, TestID: test, Status: StatusOpen}
		for _, g := range f {
			g(&i)
		}
		return i
	}
	stg := inc(1, KindModel, "model.s.stg", "")
	stgTest := inc(2, KindTest, "model.s.stg", "test.s.not_null_stg")
	fct := inc(3, KindTest, "model.s.fct", "test.s.unique_fct")
	mart := inc(4, KindTest, "model.s.mart", "test.s.accepted_mart")
	source := inc(5, KindFreshness, "source.s.raw.orders", "")
	byStg := Cause{Node: "model.s.stg", Kind: queries.CauseUpstreamError}
	tests := []struct {
		name   string
		incs   []Incident
		causes map[int64]Cause
		want   map[int64]int64 // incident → its root's ID
	}{
		{name: "a root and three downstream failures: one root", incs: []Incident{stg, stgTest, fct, mart},
			causes: map[int64]Cause{2: byStg, 3: byStg, 4: byStg}, want: map[int64]int64{2: 1, 3: 1, 4: 1}},
		{name: "no cause: no grouping", incs: []Incident{stg, fct}, want: map[int64]int64{}},
		{name: "the cause has no incident: not grouped (inhibition only)", incs: []Incident{fct},
			causes: map[int64]Cause{3: byStg}, want: map[int64]int64{}},
		{name: "the node's own failure is the root before a test on it", incs: []Incident{stgTest, fct, stg},
			causes: map[int64]Cause{3: byStg}, want: map[int64]int64{3: 1}},
		{name: "a failed test as the root", incs: []Incident{stgTest, fct},
			causes: map[int64]Cause{3: {Node: "test.s.not_null_stg", Kind: queries.CauseUpstreamTestFailed}}, want: map[int64]int64{3: 2}},
		{name: "an upstream test that failed in a build, named by its model", incs: []Incident{stgTest, fct},
			causes: map[int64]Cause{3: {Node: "model.s.stg", Kind: queries.CauseUpstreamTestFailed}}, want: map[int64]int64{3: 2}},
		{name: "roots of roots: the top one takes them all", incs: []Incident{source, stg, fct},
			causes: map[int64]Cause{1: {Node: "source.s.raw.orders", Kind: queries.CauseStaleSource}, 3: byStg},
			want:   map[int64]int64{1: 5, 3: 5}},
		{name: "a cycle groups nobody", incs: []Incident{stg, inc(6, KindModel, "model.s.other", "")},
			causes: map[int64]Cause{1: {Node: "model.s.other"}, 6: {Node: "model.s.stg"}}, want: map[int64]int64{}},
		{name: "another team's failure is not its root", incs: []Incident{stg, inc(3, KindTest, "model.s.fct", "test.s.unique_fct",
			func(i *Incident) { i.Team = "growth" })}, causes: map[int64]Cause{3: byStg}, want: map[int64]int64{}},
		{name: "split out: never grouped", incs: []Incident{stg, inc(3, KindTest, "model.s.fct", "test.s.unique_fct",
			func(i *Incident) { i.Split = true })}, causes: map[int64]Cause{3: byStg}, want: map[int64]int64{}},
		{name: "acknowledged: left alone", incs: []Incident{stg, inc(3, KindTest, "model.s.fct", "test.s.unique_fct",
			func(i *Incident) { i.Status = StatusAcked })}, causes: map[int64]Cause{3: byStg}, want: map[int64]int64{}},
		{name: "a resolved root is no root", incs: []Incident{inc(1, KindModel, "model.s.stg", "",
			func(i *Incident) { i.Status = StatusResolved }), fct}, causes: map[int64]Cause{3: byStg}, want: map[int64]int64{}},
		{name: "an acknowledged root still groups", incs: []Incident{inc(1, KindModel, "model.s.stg", "",
			func(i *Incident) { i.Status = StatusAcked }), fct}, causes: map[int64]Cause{3: byStg}, want: map[int64]int64{3: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int64]int64{}
			for id, r := range Roots(tc.incs, tc.causes) {
				got[id] = r.ID
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Roots = %v, want %v", got, tc.want)
			}
		})
	}
}

// causesOf is a Diagnoser answering from fixed causes by subject, first first; "boom" fails, "gone" is unknown.
type causesOf map[string][]queries.Cause

func (c causesOf) Diagnose(_ context.Context, subject string) (queries.Diagnosis, error) {
	switch subject {
	case "boom":
		return queries.Diagnosis{}, errors.New("disk I/O error")
	case "gone":
		return queries.Diagnosis{}, &queries.NotFoundError{Name: subject}
	}
	return queries.Diagnosis{Subject: queries.Node{UniqueID: subject}, Causes: c[subject]}, nil
}

func TestDiagnosedCause(t *testing.T) {
	d := causesOf{
		"test.s.unique_fct": {{Kind: queries.CauseUpstreamError, UniqueID: "model.s.stg"}},
		"model.s.mart":      {{Kind: queries.CauseStaleSource, UniqueID: "source.s.raw.orders"}},
		"test.s.on_mart":    {{Kind: queries.CauseUpstreamTestFailed, UniqueID: "test.s.not_null_stg"}},
		// Its own error first: what follows explains it, and is not a root to group it under.
		"model.s.stg": {{Kind: queries.CauseRunError, UniqueID: "model.s.stg"},
			{Kind: queries.CauseDefinitionChanged, UniqueID: "model.s.stg"}},
		// A job that did not run comes before a stale source: the source is not why it missed its build.
		"model.s.late": {{Kind: queries.CauseJobNotRun, UniqueID: "model.s.late"},
			{Kind: queries.CauseStaleSource, UniqueID: "source.s.raw.orders"}},
	}
	tests := []struct {
		name string
		inc  Incident
		want *Cause
	}{
		{name: "a test whose upstream errored: asked about the test", inc: Incident{Kind: KindTest, NodeID: "model.s.fct", TestID: "test.s.unique_fct"},
			want: &Cause{Node: "model.s.stg", Kind: queries.CauseUpstreamError}},
		{name: "a model under a stale source", inc: Incident{Kind: KindModel, NodeID: "model.s.mart"},
			want: &Cause{Node: "source.s.raw.orders", Kind: queries.CauseStaleSource}},
		{name: "a failed upstream test", inc: Incident{Kind: KindTest, NodeID: "model.s.mart", TestID: "test.s.on_mart"},
			want: &Cause{Node: "test.s.not_null_stg", Kind: queries.CauseUpstreamTestFailed}},
		{name: "its own error", inc: Incident{Kind: KindModel, NodeID: "model.s.stg"}},
		{name: "a root that is not the first cause", inc: Incident{Kind: KindModel, NodeID: "model.s.late"}},
		{name: "nothing proven", inc: Incident{Kind: KindModel, NodeID: "model.s.other"}},
		{name: "a subject the read model does not know", inc: Incident{Kind: KindModel, NodeID: "gone"}},
	}
	causeOf := DiagnosedCause(d)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := causeOf(context.Background(), tc.inc)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.want == nil) == ok || (ok && c != *tc.want) {
				t.Errorf("cause = %+v %v, want %+v", c, ok, tc.want)
			}
		})
	}
	if _, _, err := causeOf(context.Background(), Incident{NodeID: "boom"}); err == nil {
		t.Error("a failing diagnosis must be an error")
	}
}
