package bot

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/handlers"
)

func TestNewChannelLocales(t *testing.T) {
	cl := newChannelLocales(map[string]handlers.Lang{
		"C0123ABCD": handlers.LangJA, " #Data-Finance ": handlers.LangJA, "data-ops": handlers.LangEN,
		"G0PRIV01": handlers.LangEN, "": handlers.LangJA, "#": handlers.LangJA, "#empty-lang": "",
	})
	wantID := map[string]handlers.Lang{"C0123ABCD": handlers.LangJA, "G0PRIV01": handlers.LangEN}
	wantName := map[string]handlers.Lang{"data-finance": handlers.LangJA, "data-ops": handlers.LangEN}
	if len(cl.byID) != len(wantID) || len(cl.byName) != len(wantName) {
		t.Fatalf("byID %v byName %v; want %v %v", cl.byID, cl.byName, wantID, wantName)
	}
	for k, v := range wantID {
		if cl.byID[k] != v {
			t.Errorf("byID[%s] = %q, want %q", k, cl.byID[k], v)
		}
	}
	for k, v := range wantName {
		if cl.byName[k] != v {
			t.Errorf("byName[%s] = %q, want %q", k, cl.byName[k], v)
		}
	}
}

// TestChannelLocaleRefresh: a name that does not resolve has no override until the channel index is listed anew
// (by anyone), then it has; the resolution is redone after the index's TTL.
func TestChannelLocaleRefresh(t *testing.T) {
	fake := slacktest.New(t)
	ctx := webTestCtx(t)
	clock, advance := testClock(time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC))
	var logs bytes.Buffer // the calls below are sequential
	b := New(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(),
		ChannelLocales: map[string]handlers.Lang{"#data-finance": handlers.LangJA, "#late": handlers.LangJA}},
		Deps{Mentioner: &mapMentioner{}, Now: clock, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	fake.AddChannel(slacktest.Channel{ID: "C9FIN", Name: "data-finance"})
	lists := func() int { return len(fake.Calls("conversations.list")) }

	steps := []struct {
		name    string
		before  func()
		channel string
		want    handlers.Lang
		lists   int
	}{
		{name: "resolved by name", channel: "C9FIN", want: handlers.LangJA, lists: 1},
		{name: "not an override", channel: "C9OTHER", lists: 1},
		{name: "unknown name", channel: "C9LATE", lists: 1},
		{name: "created, index not refreshed", before: func() {
			fake.AddChannel(slacktest.Channel{ID: "C9LATE", Name: "late"})
			advance(2 * time.Minute)
		}, channel: "C9LATE", lists: 1},
		{name: "index refreshed by another caller", before: func() {
			if id, err := b.ChannelID(ctx, "#late"); err != nil || id != "C9LATE" {
				t.Fatalf("ChannelID(#late) = %q, %v", id, err)
			}
		}, channel: "C9LATE", want: handlers.LangJA, lists: 2},
		{name: "cached", before: func() { advance(30 * time.Minute) }, channel: "C9FIN", want: handlers.LangJA, lists: 2},
		{name: "after the TTL", before: func() { advance(time.Hour) }, channel: "C9FIN", want: handlers.LangJA, lists: 3},
		{name: "DM", channel: "D0DM", lists: 3},
		{name: "no channel", channel: "", lists: 3},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		if got := b.channelLocale(ctx, st.channel); got != st.want {
			t.Errorf("%s: channelLocale(%q) = %q, want %q", st.name, st.channel, got, st.want)
		}
		if n := lists(); n != st.lists {
			t.Errorf("%s: conversations.list calls = %d, want %d", st.name, n, st.lists)
		}
	}
	if n := strings.Count(logs.String(), "channel=#late"); n != 1 {
		t.Errorf("the unresolved name was logged %d times, want once:\n%s", n, logs.String())
	}
}

// BenchmarkChannelLocale is the per-question cost of the override lookup once the names are resolved.
func BenchmarkChannelLocale(b *testing.B) {
	fake := slacktest.New(b)
	fake.AddChannel(slacktest.Channel{ID: "C9FIN", Name: "data-finance"})
	bt := New(Config{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(),
		ChannelLocales: map[string]handlers.Lang{"#data-finance": handlers.LangJA, "C0ID": handlers.LangEN}},
		Deps{Mentioner: &mapMentioner{}})
	ctx := b.Context()
	if bt.channelLocale(ctx, "C9FIN") != handlers.LangJA {
		b.Fatal("not resolved")
	}
	b.ReportAllocs()
	for b.Loop() {
		bt.channelLocale(ctx, "C9FIN")
	}
}

// testClock is a clock the test moves forward by hand; it is safe for the bot's goroutines to read.
func testClock(start time.Time) (now func() time.Time, advance func(time.Duration)) {
	var mu sync.Mutex
	t := start
	return func() time.Time { mu.Lock(); defer mu.Unlock(); return t },
		func(d time.Duration) { mu.Lock(); t = t.Add(d); mu.Unlock() }
}
