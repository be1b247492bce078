package handlers

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todai-dev/todai/handlers/handlerstest"
)

func TestDigestGolden(t *testing.T) {
	for _, c := range handlerstest.DigestCases() {
		a := c.Answer
		o := DigestOptions{Lang: Lang(c.Lang), Location: c.Location, Late: c.Late, Slot: c.Slot}
		t.Run(c.Base, func(t *testing.T) {
			var txt, js bytes.Buffer
			if err := RenderDigestText(&txt, a, o); err != nil {
				t.Fatal(err)
			}
			handlerstest.Golden(t, filepath.Join("testdata", "golden", "digest", c.Base+".txt"), txt.Bytes())
			if err := RenderDigestJSON(&js, a, o); err != nil {
				t.Fatal(err)
			}
			handlerstest.Golden(t, filepath.Join("testdata", "golden", "digest", c.Base+".json"), js.Bytes())
			// behaviour the goldens must keep
			text := txt.String()
			switch {
			case c.Name == "green" && !strings.Contains(text, "🟢"):
				t.Error("green digest without 🟢")
			case c.Name == "red" && (!strings.Contains(text, "🔴") || !strings.Contains(text, "▁▂▁▃▇▅▅")):
				t.Error("red digest without 🔴 or sparkline")
			case c.Late && !strings.Contains(text, "⏰"):
				t.Error("late digest without its note")
			}
		})
	}
}

// TestPlatformDigestGolden renders the platform digest in English and Japanese, as text and JSON.
func TestPlatformDigestGolden(t *testing.T) {
	d := handlerstest.PlatformDigest()
	for _, l := range []Lang{LangEN, LangJA} {
		var txt, js bytes.Buffer
		if err := RenderPlatformText(&txt, d, l, nil); err != nil {
			t.Fatal(err)
		}
		handlerstest.Golden(t, filepath.Join("testdata", "golden", "digest", "platform."+string(l)+".txt"), txt.Bytes())
		if err := RenderPlatformJSON(&js, d); err != nil {
			t.Fatal(err)
		}
		handlerstest.Golden(t, filepath.Join("testdata", "golden", "digest", "platform.json"), js.Bytes())
		if text := txt.String(); strings.Index(text, "finance") > strings.Index(text, "growth") ||
			!strings.Contains(text, "legacy_orders") {
			t.Errorf("teams worst first and the unowned models:\n%s", text)
		}
	}
}
