package slackui

import (
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
