package bot

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/handlers/chartpng"
)

// askUrgentUnder posts alert in C9, asks `@todai is this urgent?` in its thread, and returns the reply and the
// alert's ts.
func askUrgentUnder(t *testing.T, h *harness, alert slacktest.Message) (slacktest.Post, string) {
	t.Helper()
	return askUnder(t, h, alert, "is this urgent?")
}

// askUnderAnomalyAlert asks under edr monitor's real volume-anomaly alert (askUrgentUnder).
func askUnderAnomalyAlert(t *testing.T, h *harness) (slacktest.Post, string) {
	t.Helper()
	return askUrgentUnder(t, h, slacktest.EdrMessages(t)["test_anomaly"])
}

// chartOf returns the reply's chart block (nil when it has none).
func chartOf(t *testing.T, p slacktest.Post) *slack.DataVisualizationBlock {
	t.Helper()
	var blocks slack.Blocks
	if err := json.Unmarshal(p.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks.BlockSet {
		if dv, ok := b.(*slack.DataVisualizationBlock); ok {
			return dv
		}
	}
	return nil
}

// waitUpload waits for a file shared in channel's thread.
func waitUpload(t *testing.T, h *harness, channel, thread string) slacktest.Upload {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, u := range h.fake.Uploads() {
			if u.Channel == channel && u.ThreadTS == thread {
				return u
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no file shared in %s's thread %s", channel, thread)
	return slacktest.Upload{}
}

// TestChartUnderEdrAnomalyAlert: `@todai is this urgent?` under edr monitor's real volume-anomaly alert is answered
// with the anomaly's chart — the anomalous bucket's value below its expected range — and the words that say it;
// when Slack refuses the chart block (invalid_blocks), the answer is posted again without it and the chart follows
// as a PNG in the thread; with charts set to image, the PNG comes at once.
func TestChartUnderEdrAnomalyAlert(t *testing.T) {
	drawer, err := chartpng.New("")
	if err != nil {
		t.Fatal(err)
	}
	h := startBot(t, harnessOpts{mirror: shopMirror, charts: drawer})
	h.fake.AddChannel(slacktest.Channel{ID: "C9", Name: "data-alerts"})

	p, _ := askUnderAnomalyAlert(t, h)
	dv := chartOf(t, p)
	if dv == nil {
		t.Fatalf("no chart in the reply:\n%s", p.Blocks)
	}
	line, ok := dv.Chart.(*slack.DataVisualizationLineChart)
	if !ok || len(line.Series) != 3 {
		t.Fatalf("chart %+v, want the row count and its expected low and high", dv.Chart)
	}
	value, low := line.Series[0], line.Series[1]
	if v, lo := value.Data[18].Value, low.Data[18].Value; v != 412 || v >= lo {
		t.Errorf("the anomalous bucket %s: %v, its expected low %v", value.Data[18].Label, v, lo)
	}
	if !strings.Contains(p.AllText(), "Anomalous") || !strings.Contains(p.AllText(), "412") {
		t.Errorf("the words do not name the anomalous bucket:\n%s", p.AllText())
	}

	h.fake.FailNext("chat.postMessage", "invalid_blocks")
	p, parent := askUnderAnomalyAlert(t, h)
	if chartOf(t, p) != nil || !strings.Contains(p.AllText(), "Anomalous") {
		t.Errorf("after invalid_blocks, the answer is posted without the chart block, with its words:\n%s", p.AllText())
	}
	u := waitUpload(t, h, "C9", parent)
	if !bytes.HasPrefix(u.Data, []byte("\x89PNG\r\n\x1a\n")) || u.Title != "Row count vs expected range" {
		t.Errorf("upload %s %q (%d bytes), want the chart as a PNG", u.Filename, u.Title, len(u.Data))
	}
}

// TestChartsAsImages: with charts set to image, an answer's chart is never a block, always a PNG in the thread.
func TestChartsAsImages(t *testing.T) {
	drawer, err := chartpng.New("")
	if err != nil {
		t.Fatal(err)
	}
	h := startBot(t, harnessOpts{mirror: shopMirror, charts: drawer, cfg: Config{Charts: ChartsImage}})
	h.fake.AddChannel(slacktest.Channel{ID: "C9", Name: "data-alerts"})
	p, parent := askUnderAnomalyAlert(t, h)
	if chartOf(t, p) != nil {
		t.Errorf("a chart block with charts: image")
	}
	if u := waitUpload(t, h, "C9", parent); !bytes.HasPrefix(u.Data, []byte("\x89PNG")) {
		t.Errorf("upload is not a PNG: %d bytes", len(u.Data))
	}
	if calls := h.fake.Calls("chat.postMessage"); len(calls) != 1 {
		t.Errorf("%d posts, want one (no invalid_blocks retry)", len(calls))
	}
}
