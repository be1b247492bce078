package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// Chart styles (Config.Charts).
const (
	// ChartsBlock draws an answer's chart as Slack's own chart block, and as an image only where Slack refuses it.
	ChartsBlock = "block"
	// ChartsImage always draws it as an image, uploaded in the message's thread.
	ChartsImage = "image"
)

// uploader is the part of *Poster that shares files.
type uploader interface {
	Upload(ctx context.Context, channel, threadTS, filename, title string, data []byte) error
}

// ChartDrawer draws a chart as a PNG image (*chartpng.Renderer): View lays it out in a language it can draw (times
// in zone), PNG draws that.
type ChartDrawer interface {
	View(c *queries.Chart, lang handlers.Lang, now time.Time, zone *time.Location) *handlers.Chart
	PNG(c *handlers.Chart) ([]byte, error)
}

// postMessage posts msg in channel (in the thread of threadTS when set) with its chart: as Slack's chart block, or
// — when Config.Charts is "image", when Slack cannot draw it (msg.Picture), or when Slack refuses the message's
// blocks as invalid_blocks (it is then posted again without the chart block) — as a PNG image in the message's
// thread, drawn in lang. The words under the chart say its essentials either way; an image that cannot be drawn or
// uploaded is logged, never a reason to lose the message. It returns the channel's ID and the message's ts.
func (b *Bot) postMessage(ctx context.Context, channel, threadTS string, msg slackui.Message, lang handlers.Lang) (string, string, error) {
	picture := msg.Chart != nil && (msg.Picture || b.cfg.Charts == ChartsImage)
	blocks := msg.Blocks
	if b.cfg.Charts == ChartsImage {
		blocks = withoutCharts(blocks)
	}
	post := func(blocks []slack.Block) (string, string, error) {
		opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		return b.post.PostMessage(ctx, channel, opts...)
	}
	id, ts, err := post(blocks)
	if err != nil && invalidBlocks(err) && hasChart(blocks) {
		b.log.Warn("slack: the chart block was refused; posting the message without it, the chart as an image",
			"channel", channel, "err", err)
		picture = msg.Chart != nil
		id, ts, err = post(withoutCharts(blocks))
	}
	if err != nil {
		return "", "", err
	}
	if picture {
		b.uploadChart(ctx, id, cmpTS(threadTS, ts), msg.Chart, lang)
	}
	return id, ts, nil
}

// uploadChart draws the chart and shares it in the thread of ts; failures are logged.
func (b *Bot) uploadChart(ctx context.Context, channel, ts string, c *handlers.Chart, lang handlers.Lang) {
	up, ok := b.post.(uploader)
	if b.charts == nil || !ok || c.Data == nil {
		return
	}
	v := b.charts.View(c.Data, lang, b.now(), nil)
	img, err := b.charts.PNG(v)
	if err != nil {
		b.log.Error("bot: draw the chart", "err", err)
		return
	}
	name := strings.ReplaceAll(string(c.Data.Subject), "_", "-") + ".png"
	if err := up.Upload(ctx, channel, ts, name, v.Title, img); err != nil {
		b.log.Error("slack: upload the chart", "channel", channel, "thread_ts", ts, "err", err)
	}
}

// cmpTS is the thread to reply in: threadTS, else the message's own ts.
func cmpTS(threadTS, ts string) string {
	if threadTS != "" {
		return threadTS
	}
	return ts
}

// invalidBlocks reports whether Slack refused a message's blocks.
func invalidBlocks(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "invalid_blocks" || se.Err == "invalid_blocks_format")
}

// hasChart reports whether blocks hold a chart block.
func hasChart(blocks []slack.Block) bool { return len(withoutCharts(blocks)) != len(blocks) }

// withoutCharts returns blocks without their chart blocks.
func withoutCharts(blocks []slack.Block) []slack.Block {
	out := make([]slack.Block, 0, len(blocks))
	for _, bl := range blocks {
		if bl.BlockType() != slack.MBTDataVisualization {
			out = append(out, bl)
		}
	}
	return out
}
