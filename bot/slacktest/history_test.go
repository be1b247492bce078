package slacktest_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slacktest"
)

// historyTS returns the ts of the i-th seeded message: one a second from 1700000000.
func historyTS(i int) string { return fmt.Sprintf("%d.000100", 1700000000+i) }

// each maps xs to one string each, in order (nil for none, as the cases' want).
func each[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// failedAsWanted reports whether a case that wants the Web API error want ("": none) got it, and stops the test on
// any other outcome than the one wanted.
func failedAsWanted(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	return true
}

func messageText(m slack.Message) string { return m.Text }

func TestConversationsHistory(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	fake.AddChannel(slacktest.Channel{ID: "C1", Name: "data-alerts", Members: []string{"U1", fake.BotUserID()}})
	fake.AddChannel(slacktest.Channel{ID: "C2", Name: "secret", Members: []string{"U1"}})
	fake.AddChannel(slacktest.Channel{ID: "C3", Name: "open"}) // no members listed: the bot reads it
	// Seeded out of order: history sorts by ts, newest first.
	for _, i := range []int{3, 1, 2, 5, 4} {
		fake.AddMessage("C1", slacktest.Message{TS: historyTS(i), Text: fmt.Sprintf("m%d", i), User: "U1"})
	}
	fake.AddMessage("C1", slacktest.Message{TS: historyTS(6), BotID: "BELEM", Username: "Elementary", Subtype: "bot_message",
		Blocks:      json.RawMessage(`[{"type":"header","text":{"type":"plain_text","text":"Failure: orders"}}]`),
		Attachments: json.RawMessage(`[{"color":"#ff0000","text":"details"}]`)})
	fake.AddMessage("C1", slacktest.Message{TS: historyTS(7), ThreadTS: historyTS(6), Text: "a reply", User: "U1"})
	// Posted by the app: a top-level message, a thread reply and a broadcast reply.
	_, posted, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("from the app", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("quiet reply", false), slack.MsgOptionTS(historyTS(6))); err != nil {
		t.Fatal(err)
	}
	_, broadcast, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("loud reply", false),
		slack.MsgOptionTS(historyTS(6)), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		params  slack.GetConversationHistoryParameters
		want    []string
		hasMore bool
		err     string
	}{
		{name: "all, newest first", params: slack.GetConversationHistoryParameters{ChannelID: "C1"},
			want: []string{"loud reply", "from the app", "", "m5", "m4", "m3", "m2", "m1"}},
		{name: "exclusive window", params: slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: historyTS(2), Latest: historyTS(5)},
			want: []string{"m4", "m3"}},
		{name: "inclusive window", params: slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: historyTS(2), Latest: historyTS(5), Inclusive: true},
			want: []string{"m5", "m4", "m3", "m2"}},
		{name: "limit", params: slack.GetConversationHistoryParameters{ChannelID: "C1", Latest: historyTS(5), Inclusive: true, Limit: 2},
			want: []string{"m5", "m4"}, hasMore: true},
		{name: "empty channel", params: slack.GetConversationHistoryParameters{ChannelID: "C3"}},
		{name: "a name is not an ID", params: slack.GetConversationHistoryParameters{ChannelID: "data-alerts"}, err: "channel_not_found"},
		{name: "#name", params: slack.GetConversationHistoryParameters{ChannelID: "#data-alerts"}, err: "channel_not_found"},
		{name: "unknown", params: slack.GetConversationHistoryParameters{ChannelID: "C9"}, err: "channel_not_found"},
		{name: "bot not a member", params: slack.GetConversationHistoryParameters{ChannelID: "C2"}, err: "not_in_channel"},
		{name: "bad cursor", params: slack.GetConversationHistoryParameters{ChannelID: "C1", Cursor: "nope"}, err: "invalid_cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := api.GetConversationHistoryContext(ctx, &tt.params)
			if failedAsWanted(t, err, tt.err) {
				return
			}
			if got := each(resp.Messages, messageText); !slices.Equal(got, tt.want) {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
			if resp.HasMore != tt.hasMore || (resp.ResponseMetaData.NextCursor != "") != tt.hasMore {
				t.Errorf("has_more = %v, next_cursor = %q", resp.HasMore, resp.ResponseMetaData.NextCursor)
			}
		})
	}

	// The fields survive: blocks, attachments, bot_id, subtype, and a parent's thread_ts and reply_count.
	resp, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1",
		Oldest: historyTS(6), Latest: historyTS(6), Inclusive: true})
	if err != nil || len(resp.Messages) != 1 {
		t.Fatalf("history of one message: %+v %v", resp, err)
	}
	m := resp.Messages[0]
	if m.BotID != "BELEM" || m.SubType != "bot_message" || m.Username != "Elementary" || len(m.Blocks.BlockSet) != 1 ||
		m.Blocks.BlockSet[0].BlockType() != slack.MBTHeader || len(m.Attachments) != 1 || m.Attachments[0].Text != "details" ||
		m.ThreadTimestamp != historyTS(6) || m.ReplyCount != 3 {
		t.Errorf("message = %+v", m)
	}
	resp, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2})
	if err != nil || len(resp.Messages) != 2 {
		t.Fatal(resp, err)
	}
	if m := resp.Messages[0]; m.Timestamp != broadcast || m.SubType != "thread_broadcast" || m.BotID != fake.BotID() {
		t.Errorf("broadcast reply = %+v", m)
	}
	if m := resp.Messages[1]; m.Timestamp != posted || m.User != fake.BotUserID() {
		t.Errorf("posted message = %+v", m)
	}

	// Paging with the cursor visits every message once, in order, even with posts arriving in between.
	var got []string
	params := slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 3, Latest: historyTS(6)}
	for pages := 0; ; pages++ {
		if pages == 10 {
			t.Fatal("paging does not end")
		}
		resp, err := api.GetConversationHistoryContext(ctx, &params)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, each(resp.Messages, messageText)...)
		if !resp.HasMore {
			break
		}
		fake.AddMessage("C1", slacktest.Message{Text: "late", User: "U1"})
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	if want := []string{"m5", "m4", "m3", "m2", "m1"}; !slices.Equal(got, want) {
		t.Errorf("paged = %q, want %q", got, want)
	}

	// Limits: 100 by default, 999 at most.
	for i := range 1200 {
		fake.AddMessage("C3", slacktest.Message{TS: historyTS(100 + i), Text: "x", User: "U1"})
	}
	for _, tc := range []struct{ limit, want int }{{0, 100}, {5000, 999}} {
		resp, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C3", Limit: tc.limit})
		if err != nil || len(resp.Messages) != tc.want || !resp.HasMore {
			t.Errorf("limit %d: %d messages, has_more %v, %v", tc.limit, len(resp.Messages), resp.HasMore, err)
		}
	}
}

func TestConversationsList(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	bot := fake.BotUserID()
	fake.AddChannel(slacktest.Channel{ID: "C1", Name: "general"})
	fake.AddChannel(slacktest.Channel{ID: "C2", Name: "data-alerts", Members: []string{"U1"}})
	fake.AddChannel(slacktest.Channel{ID: "C3", Name: "old", IsArchived: true})
	fake.AddChannel(slacktest.Channel{ID: "G1", Name: "data-private", IsPrivate: true, Members: []string{bot}})
	fake.AddChannel(slacktest.Channel{ID: "G2", Name: "hidden", IsPrivate: true, Members: []string{"U1"}})
	fake.AddChannel(slacktest.Channel{ID: "D1", IsIM: true, Members: []string{"U1", bot}})

	all := func(p slack.GetConversationsParameters) ([]slack.Channel, int, error) {
		var out []slack.Channel
		for pages := 1; ; pages++ {
			chans, next, err := api.GetConversationsContext(ctx, &p)
			if err != nil {
				return nil, pages, err
			}
			out = append(out, chans...)
			if next == "" {
				return out, pages, nil
			}
			p.Cursor = next
		}
	}
	tests := []struct {
		name   string
		params slack.GetConversationsParameters
		want   []string
		pages  int
		err    string
	}{
		{name: "public by default", want: []string{"C1", "C2", "C3"}, pages: 1},
		{name: "public and private, paged", params: slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"},
			ExcludeArchived: true, Limit: 2}, want: []string{"C1", "C2", "G1"}, pages: 2},
		{name: "im", params: slack.GetConversationsParameters{Types: []string{"im"}}, want: []string{"D1"}, pages: 1},
		{name: "bad type", params: slack.GetConversationsParameters{Types: []string{"channels"}}, err: "invalid_types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chans, pages, err := all(tt.params)
			if failedAsWanted(t, err, tt.err) {
				return
			}
			if got := each(chans, func(c slack.Channel) string { return c.ID }); !slices.Equal(got, tt.want) || pages != tt.pages {
				t.Errorf("channels = %v in %d pages, want %v in %d", got, pages, tt.want, tt.pages)
			}
		})
	}
	chans, _, err := all(slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]slack.Channel{}
	for _, c := range chans {
		byID[c.ID] = c
	}
	if c := byID["C2"]; c.Name != "data-alerts" || c.IsPrivate || c.IsMember {
		t.Errorf("C2 = %+v", c)
	}
	if c := byID["G1"]; c.Name != "data-private" || !c.IsPrivate || !c.IsMember {
		t.Errorf("G1 = %+v", c)
	}
	if c := byID["C1"]; !c.IsMember {
		t.Errorf("C1 (no members listed) = %+v", c)
	}
	if c := byID["C3"]; !c.IsArchived {
		t.Errorf("C3 = %+v", c)
	}
}
