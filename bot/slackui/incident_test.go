package slackui

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/scheduler/escalation"
)

func TestEventTextNamesEveryTransition(t *testing.T) {
	for _, ev := range []string{"opened", "notified", "acked", "snoozed", "silenced", "unsilenced", "inhibited",
		"uninhibited", "grouped", "ungrouped", "split", "resolved", "resolve_announced", "elementary_alert", "notify_failed", "notify_abandoned"} {
		// Japanese shows whether an event has text of its own: an unknown one falls back to its name.
		if got := eventText(escalation.Event{Event: ev, Level: 1}, handlers.LangJA); got == ev || got == "" {
			t.Errorf("event %s has no text of its own: %q", ev, got)
		}
	}
}

// TestIncidentMessageShowsGrouping: a root lists its blast radius with Split buttons for what still fails; an
// incident grouped after its own notice says where it is escalated now.
func TestIncidentMessageShowsGrouping(t *testing.T) {
	root := escalation.Incident{ID: 9, Team: "finance", Kind: escalation.KindModel, NodeID: "model.s.stg", Status: escalation.StatusOpen}
	child := escalation.Incident{ID: 4, Team: "finance", Kind: escalation.KindTest, NodeID: "model.s.fct",
		TestID: "test.s.unique_fct.abc1234567", Status: escalation.StatusOpen, ParentID: 9}
	done := child
	done.ID, done.TestID, done.Status = 5, "test.s.not_null_fct.abc1234567", escalation.StatusResolved
	msg := IncidentMessage(handlers.LangEN, []IncidentLine{{Incident: root, Children: []escalation.Incident{child, done}},
		{Incident: child}}, false)
	raw, err := json.Marshal(msg.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	all := string(raw)
	for _, want := range []string{"Caused downstream* (2, 1 still failing)", "unique_fct on fct", "not_null_fct on fct",
		`"action_id":"todai_inc_split_4"`, "Now part of incident #9"} {
		if !strings.Contains(all, want) {
			t.Errorf("message lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "todai_inc_split_5") {
		t.Errorf("a resolved grouped incident has a Split button:\n%s", all)
	}
}
