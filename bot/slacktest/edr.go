package slacktest

import (
	"encoding/json"
	"testing"

	"github.com/todai-dev/todai/queries/source/sourcetest"
)

// EdrMessages returns edr monitor's real Slack payloads (edr 0.25.0's own message builder), by kind, as messages
// of its bot (sourcetest.ElementaryReal's edr-slack-messages.json).
func EdrMessages(tb testing.TB) map[string]Message {
	tb.Helper()
	raw := sourcetest.ElementaryReal(tb, "edr-slack-messages.json")
	var payloads map[string]struct {
		Blocks      json.RawMessage `json:"blocks"`
		Attachments json.RawMessage `json:"attachments"`
	}
	if err := json.Unmarshal(raw, &payloads); err != nil {
		tb.Fatalf("slacktest: edr payloads: %v", err)
	}
	out := make(map[string]Message, len(payloads))
	for kind, p := range payloads {
		out[kind] = Message{BotID: "B0EDR", Username: "Elementary", Blocks: p.Blocks, Attachments: p.Attachments}
	}
	return out
}
