package slackui

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
)

// TestDigestGolden renders every digest golden as Block Kit; owners the bot resolved are mentions, a mapped value
// that is not a mention is shown as plain text.
func TestDigestGolden(t *testing.T) {
	for _, c := range handlerstest.DigestCases() {
		a := c.Answer
		o := handlers.DigestOptions{Lang: handlers.Lang(c.Lang), Location: c.Location, Late: c.Late, Slot: c.Slot}
		t.Run(c.Base, func(t *testing.T) {
			msg := Digest(a, o, handlerstest.DigestMentions())
			blocks, err := json.MarshalIndent(msg, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			handlerstest.Golden(t, filepath.Join("testdata", "golden", "digest", c.Base+".slack.json"), append(blocks, '\n'))
			if c.Name == "red" && (!strings.Contains(string(blocks), `\u003c@U0DAVE\u003e`) ||
				strings.Contains(string(blocks), "not a mention")) {
				t.Error("owners not mentioned safely in Slack")
			}
		})
	}
}

// TestPlatformDigestGolden renders the platform digest as Block Kit, in English and Japanese.
func TestPlatformDigestGolden(t *testing.T) {
	for _, l := range []handlers.Lang{handlers.LangEN, handlers.LangJA} {
		msg := PlatformDigest(handlerstest.PlatformDigest(), l, nil, "https://elementary.example.com/")
		blocks, err := json.MarshalIndent(msg, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		handlerstest.Golden(t, filepath.Join("testdata", "golden", "digest", "platform."+string(l)+".slack.json"), append(blocks, '\n'))
	}
}
