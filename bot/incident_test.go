package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/scheduler/escalation"
)

func TestParseMute(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in      string
		want    []escalation.Matcher
		dur     time.Duration
		comment string
		bad     bool
	}{
		{in: "node:fct_orders for 2h deploy in progress", want: []escalation.Matcher{{Field: "node", Value: "*.fct_orders", Glob: true}},
			dur: 2 * time.Hour, comment: "deploy in progress"},
		{in: "fct_orders tag:finance 1d", want: []escalation.Matcher{{Field: "node", Value: "*.fct_orders", Glob: true}, {Field: "tag", Value: "finance", Glob: false}},
			dur: 24 * time.Hour},
		{in: "team:finance owner:@alice 90m", want: []escalation.Matcher{{Field: "team", Value: "finance", Glob: false}, {Field: "owner", Value: "@alice", Glob: false}},
			dur: 90 * time.Minute},
		{in: "node:model.jaffle.fct_orders 2時間 デプロイ中", want: []escalation.Matcher{{Field: "node", Value: "model.jaffle.fct_orders", Glob: false}},
			dur: 2 * time.Hour, comment: "デプロイ中"},
		{in: "test:not_null_* 30m", want: []escalation.Matcher{{Field: "test", Value: "not_null_*", Glob: true}}, dur: 30 * time.Minute},
		{in: "node:fct_orders", bad: true},
		{in: "for 2h", bad: true},
		{in: "color:red 2h", bad: true},
		{in: "", bad: true},
	} {
		s, err := ParseMute(tc.in, now)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseMute(%q) = %+v, want an error", tc.in, s)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMute(%q): %v", tc.in, err)
			continue
		}
		if len(s.Matchers) != len(tc.want) || s.EndsAt.Sub(s.StartsAt) != tc.dur || s.Comment != tc.comment {
			t.Errorf("ParseMute(%q) = %+v", tc.in, s)
			continue
		}
		for i := range tc.want {
			if s.Matchers[i] != tc.want[i] {
				t.Errorf("ParseMute(%q) matcher %d = %+v, want %+v", tc.in, i, s.Matchers[i], tc.want[i])
			}
		}
	}
}

func TestSlashDigest(t *testing.T) {
	teams := []TeamInfo{{Name: "finance", Channel: "C0FIN", Location: time.UTC}}
	h := startBot(t, harnessOpts{teams: teams})
	ctx := testCtx(t)
	for _, tc := range []struct{ text, channel, want string }{
		{"digest finance", "C4", "Daily digest: finance"},
		{"digest", "C0FIN", "Daily digest: finance"},
		{"finance のダイジェスト", "C4", "デイリーダイジェスト: finance"},
		{"digest", "C4", "Which team?"},
		{"digest platform", "C4", "Platform digest"},
		{"digest platform", "C0FIN", "Teams, the weakest first"},
		{"silences", "C4", "Escalation is not enabled"},
	} {
		_, rid := slash(h, tc.text, tc.channel)
		p, err := h.fake.WaitPost(ctx, byResponse(rid))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.AllText(), tc.want) {
			t.Errorf("/todai %s in %s:\n%s\nwant %q", tc.text, tc.channel, p.AllText(), tc.want)
		}
	}
	_ = slacktest.DefaultBotUserID
}
