package slacktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/todai-dev/todai/bot/slacktest"
)

// client is a real slack-go Socket Mode client connected to a fake.
type client struct {
	api    *slack.Client
	sm     *socketmode.Client
	events chan socketmode.Event
	done   chan error
}

func newAPI(fake *slacktest.Slack, opts ...slack.Option) *slack.Client {
	opts = append([]slack.Option{slack.OptionAppLevelToken(fake.AppToken()), slack.OptionAPIURL(fake.APIURL())}, opts...)
	return slack.New(fake.BotToken(), opts...)
}

func startClient(t *testing.T, fake *slacktest.Slack, pingInterval time.Duration) *client {
	t.Helper()
	api := newAPI(fake)
	sm := socketmode.New(api, socketmode.OptionPingInterval(pingInterval))
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{api: api, sm: sm, events: make(chan socketmode.Event, 100), done: make(chan error, 1)}
	go func() { c.done <- sm.RunContext(ctx) }()
	go func() {
		for {
			select {
			case e := <-sm.Events:
				select {
				case c.events <- e:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Error("socketmode client did not stop")
		}
	})
	return c
}

// next returns the next client event of type typ, skipping others.
func (c *client) next(t *testing.T, ctx context.Context, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	for {
		select {
		case e := <-c.events:
			if e.Type == typ {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("waiting for client event %s: %v", typ, ctx.Err())
			return socketmode.Event{}
		}
	}
}

func timeout(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConnectSendsHelloAndPings(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	// The client's watchdog fires after 3 of its ping intervals without a ping; the fake pings every 100 ms, and
	// the 40 pongs waited for span past the watchdog's 3 s: the client survives only because the fake pings. (A
	// second's interval, not less, so that a loaded CI machine running every package at once cannot starve it.)
	c := startClient(t, fake, time.Second)
	hello := c.next(t, ctx, socketmode.EventTypeHello)
	if hello.Request == nil || hello.Request.NumConnections != 1 || hello.Request.ConnectionInfo.AppID != slacktest.DefaultAppID {
		t.Fatalf("hello request = %+v", hello.Request)
	}
	if err := fake.WaitFor(ctx, func() bool { return fake.Pongs() >= 40 }); err != nil {
		t.Fatal(err)
	}
	if got := fake.Connections(); got != 1 {
		t.Errorf("connections after %d pongs = %d, want 1 (the watchdog must not fire)", fake.Pongs(), got)
	}
	opens := fake.Calls("apps.connections.open")
	if len(opens) != 1 || opens[0].Token != fake.AppToken() {
		t.Errorf("apps.connections.open calls = %+v, want one with the app token", opens)
	}
}

func TestSlashCommandAckAndResponseURL(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	c := startClient(t, fake, 5*time.Second)
	env := fake.SendSlashCommand(slacktest.SlashCommand{Command: "/todai", Text: "status orders", UserID: "U1", ChannelID: "C1"})

	e := c.next(t, ctx, socketmode.EventTypeSlashCommand)
	cmd, ok := e.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("data = %T", e.Data)
	}
	if cmd.Command != "/todai" || cmd.Text != "status orders" || cmd.UserID != "U1" || cmd.ChannelID != "C1" ||
		!strings.HasPrefix(cmd.ResponseURL, fake.URL()+"/response/") || cmd.TeamID != fake.TeamID() {
		t.Errorf("slash command = %+v", cmd)
	}
	if e.Request.EnvelopeID != env || !e.Request.AcceptsResponsePayload {
		t.Errorf("request = %+v, want envelope %s accepting a response payload", e.Request, env)
	}
	if err := c.sm.Ack(*e.Request, map[string]any{"response_type": "ephemeral", "text": "working"}); err != nil {
		t.Fatal(err)
	}
	ack, err := fake.WaitAck(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	var payload struct{ ResponseType, Text string }
	if err := json.Unmarshal(ack.Payload, &payload); err != nil || payload.Text != "working" {
		t.Errorf("ack payload = %s (%v)", ack.Payload, err)
	}
	if ack.Connection != 1 {
		t.Errorf("ack connection = %d", ack.Connection)
	}

	_, _, err = c.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel),
		slack.MsgOptionText("orders is failing", false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "response_url" })
	if err != nil {
		t.Fatal(err)
	}
	if p.ResponseType != "in_channel" || p.Channel != "C1" || p.Text != "orders is failing" || p.TS == "" {
		t.Errorf("response_url post = %+v", p)
	}
	if msgs := fake.Messages("C1"); len(msgs) != 1 || msgs[0].BotID != fake.BotID() {
		t.Errorf("in_channel response not in history: %+v", msgs)
	}
}

func TestResponseURLAllowsFiveUses(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	url := fake.ResponseURL("x")
	for i := range 6 {
		_, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral),
			slack.MsgOptionText("hi", false))
		if (err != nil) != (i == 5) {
			t.Fatalf("use %d: err = %v", i+1, err)
		}
	}
	if n := len(fake.Posts()); n != 5 {
		t.Errorf("posts = %d, want 5", n)
	}
}

func TestEventsAPIEnvelopes(t *testing.T) {
	tests := []struct {
		name      string
		event     any
		eventID   string
		retry     int
		innerType string
		check     func(t *testing.T, inner any)
	}{
		{
			name:      "app_mention in thread",
			event:     slacktest.AppMention{User: "U1", Text: "<@U0BOT> why stale orders", TS: "1700000001.000100", ThreadTS: "1700000000.000100", Channel: "C1"},
			eventID:   "Ev1",
			innerType: "app_mention",
			check: func(t *testing.T, inner any) {
				m, ok := inner.(*slackevents.AppMentionEvent)
				if !ok || m.ThreadTimeStamp != "1700000000.000100" || m.Channel != "C1" || m.User != "U1" || m.TimeStamp != "1700000001.000100" {
					t.Errorf("mention = %#v", inner)
				}
			},
		},
		{
			name:      "DM message redelivered",
			event:     slacktest.MessageEvent{User: "U2", Text: "owner orders", TS: "1700000002.000100", Channel: "D1", ChannelType: "im"},
			eventID:   "Ev2",
			retry:     2,
			innerType: "message",
			check: func(t *testing.T, inner any) {
				m, ok := inner.(*slackevents.MessageEvent)
				if !ok || m.ChannelType != "im" || m.Text != "owner orders" {
					t.Errorf("message = %#v", inner)
				}
			},
		},
		{
			name:      "raw JSON",
			event:     `{"type":"app_mention","user":"U3","text":"hi","ts":"1.2","channel":"C3","event_ts":"1.2"}`,
			innerType: "app_mention",
			check: func(t *testing.T, inner any) {
				if m, ok := inner.(*slackevents.AppMentionEvent); !ok || m.User != "U3" {
					t.Errorf("mention = %#v", inner)
				}
			},
		},
	}
	fake := slacktest.New(t)
	ctx := timeout(t)
	c := startClient(t, fake, 5*time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := fake.SendEvent(tt.event, tt.eventID, tt.retry)
			e := c.next(t, ctx, socketmode.EventTypeEventsAPI)
			ev, ok := e.Data.(slackevents.EventsAPIEvent)
			if !ok {
				t.Fatalf("data = %T", e.Data)
			}
			if e.Request.EnvelopeID != env || e.Request.AcceptsResponsePayload || e.Request.RetryAttempt != tt.retry {
				t.Errorf("request = %+v", e.Request)
			}
			if (tt.retry > 0) != (e.Request.RetryReason == "timeout") {
				t.Errorf("retry_reason = %q", e.Request.RetryReason)
			}
			cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
			if !ok || (tt.eventID != "" && cb.EventID != tt.eventID) || cb.EventID == "" || ev.TeamID != fake.TeamID() {
				t.Errorf("callback = %#v", ev.Data)
			}
			if ev.InnerEvent.Type != tt.innerType {
				t.Errorf("inner type = %q, want %q", ev.InnerEvent.Type, tt.innerType)
			}
			tt.check(t, ev.InnerEvent.Data)
			c.sm.Ack(*e.Request)
			ack, err := fake.WaitAck(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Payload != nil {
				t.Errorf("empty ack carried payload %s", ack.Payload)
			}
		})
	}
}

func TestBlockAction(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	c := startClient(t, fake, 5*time.Second)
	ts := fake.AddMessage("C1", slacktest.Message{Text: "answer", BotID: fake.BotID(), User: fake.BotUserID(),
		Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"answer"}}]`)})
	env := fake.SendBlockAction(slacktest.BlockAction{UserID: "U1", ChannelID: "C1", MessageTS: ts,
		Actions: []slacktest.Action{{ActionID: "share", BlockID: "b1", Value: "q-42", Text: "Share in channel"}}})
	e := c.next(t, ctx, socketmode.EventTypeInteractive)
	cb, ok := e.Data.(slack.InteractionCallback)
	if !ok {
		t.Fatalf("data = %T", e.Data)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U1" || cb.Channel.ID != "C1" ||
		cb.Container.MessageTs != ts || cb.Container.ChannelID != "C1" || cb.Message.Timestamp != ts ||
		len(cb.Message.Blocks.BlockSet) != 1 || !strings.HasPrefix(cb.ResponseURL, fake.URL()+"/response/") {
		t.Errorf("callback = %+v", cb)
	}
	if acts := cb.ActionCallback.BlockActions; len(acts) != 1 || acts[0].ActionID != "share" || acts[0].BlockID != "b1" ||
		acts[0].Value != "q-42" || acts[0].Text.Text != "Share in channel" {
		t.Errorf("actions = %+v", acts)
	}
	c.sm.Ack(*e.Request)
	if _, err := fake.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
}

func TestReconnects(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, fake *slacktest.Slack)
	}{
		{"disconnect frame", func(t *testing.T, fake *slacktest.Slack) {
			if err := fake.SendDisconnect("refresh_requested"); err != nil {
				t.Fatal(err)
			}
		}},
		{"dropped TCP connection", func(t *testing.T, fake *slacktest.Slack) {
			if n := fake.DropConnection(); n != 1 {
				t.Fatalf("dropped %d connections", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slacktest.New(t)
			ctx := timeout(t)
			c := startClient(t, fake, 5*time.Second)
			c.next(t, ctx, socketmode.EventTypeHello)
			tt.breakIt(t, fake)
			if err := fake.WaitConnections(ctx, 2); err != nil {
				t.Fatal(err)
			}
			if n := len(fake.Calls("apps.connections.open")); n != 2 {
				t.Errorf("apps.connections.open calls = %d, want 2", n)
			}
			env := fake.SendSlashCommand(slacktest.SlashCommand{Text: "help", UserID: "U1", ChannelID: "C1"})
			e := c.next(t, ctx, socketmode.EventTypeSlashCommand)
			c.sm.Ack(*e.Request)
			ack, err := fake.WaitAck(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Connection != 2 {
				t.Errorf("ack came on connection %d, want 2", ack.Connection)
			}
		})
	}
}

func TestSendDisconnectWithoutConnection(t *testing.T) {
	fake := slacktest.New(t)
	if err := fake.SendDisconnect("warning"); !errors.Is(err, slacktest.ErrNoConnection) {
		t.Errorf("err = %v, want ErrNoConnection", err)
	}
}

func TestChatMethods(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	parent := fake.AddMessage("C1", slacktest.Message{TS: "1700000000.000100", Text: "dbt test failed",
		BotID: "BELEM", Attachments: json.RawMessage(`[{"title":"Elementary alert"}]`)})
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*orders* is failing", false, false), nil, nil))
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("orders is failing", false), blocks, slack.MsgOptionTS(parent))
	if err != nil || ch != "C1" || ts == "" {
		t.Fatalf("post: %s %s %v", ch, ts, err)
	}
	posts := fake.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts = %+v", posts)
	}
	p := posts[0]
	var got slack.Blocks
	if err := json.Unmarshal(p.Blocks, &got); err != nil || len(got.BlockSet) != 1 || got.BlockSet[0].BlockType() != slack.MBTSection {
		t.Errorf("blocks = %s (%v)", p.Blocks, err)
	}
	if p.Method != "chat.postMessage" || p.ThreadTS != parent || p.TS != ts || !strings.Contains(p.AllText(), "*orders* is failing") {
		t.Errorf("post = %+v", p)
	}
	if call := fake.Calls("chat.postMessage")[0]; call.Token != fake.BotToken() || call.Form.Get("channel") != "C1" {
		t.Errorf("call = %+v", call)
	}

	msgs, hasMore, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent})
	if err != nil || hasMore || len(msgs) != 2 || msgs[0].BotID != "BELEM" || len(msgs[0].Attachments) != 1 ||
		msgs[0].Attachments[0].Title != "Elementary alert" || msgs[1].Timestamp != ts || msgs[1].BotID != fake.BotID() {
		t.Errorf("replies = %+v hasMore=%v err=%v", msgs, hasMore, err)
	}
	if _, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1.1"}); err == nil || err.Error() != "thread_not_found" {
		t.Errorf("unknown thread: err = %v", err)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("orders recovered", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", parent, slack.MsgOptionText("x", false)); err == nil || err.Error() != "cant_update_message" {
		t.Errorf("updating someone else's message: err = %v", err)
	}
	if m := fake.Messages("C1"); m[1].Text != "orders recovered" {
		t.Errorf("after update: %+v", m[1])
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	posts = fake.Posts()
	if len(posts) != 3 || posts[1].Method != "chat.update" || posts[2].Method != "chat.postEphemeral" || posts[2].User != "U1" {
		t.Errorf("posts = %+v", posts)
	}
}

func TestRateLimitAndFailures(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	fake.RateLimitNext("chat.postMessage", 1, 2*time.Second)
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want RateLimitedError with RetryAfter 2s", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 || len(fake.Posts()) != 1 {
		t.Errorf("calls = %+v", calls)
	}

	fake.FailNext("users.lookupByEmail", "fatal_error")
	if _, err := api.GetUserByEmailContext(ctx, "a@x.io"); err == nil || err.Error() != "fatal_error" {
		t.Errorf("FailNext: err = %v", err)
	}

	fake.RevokeTokens()
	if _, err := api.AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("revoked auth.test: err = %v", err)
	}
}

func TestRevokedTokenStopsSocketMode(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	c := startClient(t, fake, 5*time.Second)
	c.next(t, ctx, socketmode.EventTypeHello)
	fake.RevokeTokens()
	fake.DropConnection()
	select {
	case err := <-c.done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("RunContext returned %v, want invalid_auth", err)
		}
		c.done <- err // for the cleanup
	case <-ctx.Done():
		t.Fatal("RunContext kept running with a revoked token")
	}
}

func TestAuthTest(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	tests := []struct {
		name    string
		api     *slack.Client
		wantErr string
		userID  string
	}{
		{"bot token", newAPI(fake), "", fake.BotUserID()},
		{"app token", slack.New(fake.AppToken(), slack.OptionAPIURL(fake.APIURL())), "", ""},
		{"unknown token", slack.New("xoxb-wrong", slack.OptionAPIURL(fake.APIURL())), "invalid_auth", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.api.AuthTestContext(ctx)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || res.UserID != tt.userID || res.TeamID != fake.TeamID() {
				t.Errorf("auth.test = %+v, %v", res, err)
			}
		})
	}
	// The app token may not call ordinary methods.
	if _, _, err := slack.New(fake.AppToken(), slack.OptionAPIURL(fake.APIURL())).PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("app token post: err = %v", err)
	}
}

func TestDirectory(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	fake.AddUser(slacktest.User{ID: "U1", Name: "alice", DisplayName: "Alice", Email: "Alice@Example.com", Locale: "ja-JP"})
	fake.AddUser(slacktest.User{ID: "U2", Name: "bob", Email: "bob@example.com", Locale: "en-US"})
	fake.AddUser(slacktest.User{ID: "U3", Name: "carol", Email: "carol@example.com"})
	fake.AddUserGroup(slacktest.UserGroup{ID: "S1", Handle: "data-eng", Name: "Data Eng", Users: []string{"U1", "U2"}})
	fake.AddChannel(slacktest.Channel{ID: "C1", Name: "data-alerts", Members: []string{"U1", "U2", "U3"}, Locale: "fr-FR"})

	lookups := []struct {
		email, wantID, wantErr string
	}{
		{"alice@example.com", "U1", ""},
		{"BOB@example.com", "U2", ""},
		{"nobody@example.com", "", "users_not_found"},
	}
	for _, l := range lookups {
		u, err := api.GetUserByEmailContext(ctx, l.email)
		if l.wantErr != "" {
			if err == nil || err.Error() != l.wantErr {
				t.Errorf("lookup %s: err = %v", l.email, err)
			}
			continue
		}
		if err != nil || u.ID != l.wantID {
			t.Errorf("lookup %s = %+v, %v", l.email, u, err)
		}
	}
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Locale != "ja-JP" || u.Profile.DisplayName != "Alice" || u.Name != "alice" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if call := fake.Calls("users.info")[0]; call.Form.Get("include_locale") != "true" {
		t.Errorf("users.info form = %v", call.Form)
	}
	users, err := api.GetUsersContext(ctx, slack.GetUsersOptionLimit(2))
	if err != nil || len(users) != 3 || users[2].Name != "carol" {
		t.Errorf("users.list = %+v, %v", users, err)
	}
	if n := len(fake.Calls("users.list")); n != 2 {
		t.Errorf("users.list pages = %d, want 2", n)
	}
	groups, err := api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil || len(groups) != 1 || groups[0].Handle != "data-eng" || len(groups[0].Users) != 2 {
		t.Errorf("usergroups.list = %+v, %v", groups, err)
	}
	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1", IncludeLocale: true})
	if err != nil || ch.Name != "data-alerts" || ch.Locale != "fr-FR" {
		t.Errorf("conversations.info = %+v, %v", ch, err)
	}
	members, next, err := api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: "C1", Limit: 2})
	if err != nil || len(members) != 2 || next == "" {
		t.Errorf("conversations.members = %v next=%q %v", members, next, err)
	}
	if _, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C9"}); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("unknown channel: err = %v", err)
	}

	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Welcome to Todai", false, false), nil, nil)}}}
	resp, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: view})
	if err != nil || resp.View.ID == "" {
		t.Fatalf("views.publish = %+v, %v", resp, err)
	}
	if home := fake.HomeView("U1"); !strings.Contains(string(home), "Welcome to Todai") {
		t.Errorf("home view = %s", home)
	}
}

func TestWaitForHonoursContext(t *testing.T) {
	fake := slacktest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := fake.WaitAck(ctx, "never"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestEnvelopeQueuedBeforeConnectAndBadFrames(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	// Sent before any client exists: delivered after hello on the first connection, as Slack retries would be.
	env := fake.SendSlashCommand(slacktest.SlashCommand{Text: "help", UserID: "U1", ChannelID: "C1"})
	fake.SendRaw([]byte(`{"type":"bogus"}`)) // a frame slack-go cannot parse
	fake.SendRaw([]byte(`{"type":}`))        // invalid JSON
	c := startClient(t, fake, 5*time.Second)
	// slack-go reports these from different goroutines, so they may arrive in any order.
	want := map[socketmode.EventType]bool{socketmode.EventTypeHello: true, socketmode.EventTypeSlashCommand: true,
		socketmode.EventTypeErrorBadMessage: true, socketmode.EventTypeIncomingError: true}
	for len(want) > 0 {
		select {
		case ev := <-c.events:
			delete(want, ev.Type)
			if ev.Type == socketmode.EventTypeSlashCommand {
				if ev.Request.EnvelopeID != env {
					t.Fatalf("envelope = %s, want %s", ev.Request.EnvelopeID, env)
				}
				c.sm.Ack(*ev.Request)
			}
		case <-ctx.Done():
			t.Fatalf("client never reported %v", want)
		}
	}
	env2 := fake.SendEvent(slacktest.AppMention{User: "U1", Text: "hi", TS: "1.1", Channel: "C1"}, "", 0)
	e := c.next(t, ctx, socketmode.EventTypeEventsAPI)
	c.sm.Ack(*e.Request)
	if _, err := fake.WaitAck(ctx, env2); err != nil {
		t.Fatal(err)
	}
	if n := fake.Connections(); n != 1 {
		t.Errorf("a bad frame caused a reconnect: connections = %d", n)
	}
}

func TestSocketmodeHandlerRouting(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	sm := socketmode.New(api, socketmode.OptionPingInterval(5*time.Second))
	h := socketmode.NewSocketmodeHandler(sm)
	h.HandleSlashCommand("/todai", func(evt *socketmode.Event, c *socketmode.Client) {
		cmd, _ := evt.Data.(slack.SlashCommand)
		c.Ack(*evt.Request, map[string]any{"text": "ack " + cmd.Text})
	})
	h.HandleEvents(slackevents.AppMention, func(evt *socketmode.Event, c *socketmode.Client) {
		c.Ack(*evt.Request)
		ev, _ := evt.Data.(slackevents.EventsAPIEvent)
		m, _ := ev.InnerEvent.Data.(*slackevents.AppMentionEvent)
		thread := m.ThreadTimeStamp
		if thread == "" {
			thread = m.TimeStamp
		}
		_, _, _ = c.PostMessageContext(ctx, m.Channel, slack.MsgOptionText("on it", false), slack.MsgOptionTS(thread))
	})
	h.HandleDefault(func(*socketmode.Event, *socketmode.Client) {}) // lifecycle events; keeps the log quiet
	h.HandleInteractionBlockAction("share", func(evt *socketmode.Event, c *socketmode.Client) { c.Ack(*evt.Request) })
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.RunEventLoopContext(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	envCmd := fake.SendSlashCommand(slacktest.SlashCommand{Command: "/todai", Text: "status orders", UserID: "U1", ChannelID: "C1"})
	envMention := fake.SendEvent(slacktest.AppMention{User: "U1", Text: "<@U0BOT> owner orders", TS: "1700000005.000001", Channel: "C1"}, "Ev9", 0)
	envAction := fake.SendBlockAction(slacktest.BlockAction{UserID: "U1", ChannelID: "C1", MessageTS: "1.1",
		Actions: []slacktest.Action{{ActionID: "share", BlockID: "b", Value: "v"}}})
	for _, env := range []string{envCmd, envMention, envAction} {
		if _, err := fake.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	ack, _ := fake.WaitAck(ctx, envCmd)
	if !strings.Contains(string(ack.Payload), "ack status orders") {
		t.Errorf("slash ack payload = %s", ack.Payload)
	}
	p, err := fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.Method == "chat.postMessage" })
	if err != nil {
		t.Fatal(err)
	}
	if p.ThreadTS != "1700000005.000001" || p.Text != "on it" {
		t.Errorf("reply = %+v", p)
	}
}

// BenchmarkSlashCommandRoundTrip measures envelope delivery to the real client and the ack back.
func BenchmarkSlashCommandRoundTrip(b *testing.B) {
	fake := slacktest.New(b)
	api := newAPI(fake)
	sm := socketmode.New(api, socketmode.OptionPingInterval(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	go func() {
		for {
			select {
			case e := <-sm.Events:
				if e.Request != nil && e.Request.EnvelopeID != "" {
					sm.Ack(*e.Request)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := fake.WaitConnections(wctx, 1); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		env := fake.SendSlashCommand(slacktest.SlashCommand{Text: "status orders", UserID: "U1", ChannelID: "C1"})
		if _, err := fake.WaitAck(wctx, env); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFileUpload: slack-go's three-step upload shares the file's bytes in the channel's thread.
func TestFileUpload(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	data := []byte("\x89PNG\r\n\x1a\nnot really")
	f, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Channel: "C1", ThreadTimestamp: "1700000000.000100",
		Filename: "anomaly.png", Title: "Row count vs expected range", FileSize: len(data), Reader: bytes.NewReader(data)})
	if err != nil || f.ID == "" {
		t.Fatalf("upload: %+v %v", f, err)
	}
	ups := fake.Uploads()
	if len(ups) != 1 || !bytes.Equal(ups[0].Data, data) || ups[0].Channel != "C1" || ups[0].ThreadTS != "1700000000.000100" ||
		ups[0].Title != "Row count vs expected range" || ups[0].Filename != "anomaly.png" {
		t.Errorf("uploads = %+v", ups)
	}
	if _, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: "F-never"}}, Channel: "C1"}); err == nil || !strings.Contains(err.Error(), "file_not_found") {
		t.Errorf("completing a file never uploaded: %v", err)
	}
}

// TestChartBlocksValidated: a chart block within Slack's limits is posted; one beyond them is refused as
// invalid_blocks, as Slack refuses it.
func TestChartBlocksValidated(t *testing.T) {
	fake := slacktest.New(t)
	ctx := timeout(t)
	api := newAPI(fake)
	chart := func(points int) slack.Block {
		var labels []string
		var data []slack.DataVisualizationDataPoint
		for i := range points {
			l := fmt.Sprintf("d%d", i)
			labels = append(labels, l)
			data = append(data, slack.NewDataVisualizationDataPoint(l, float64(i)))
		}
		return slack.NewDataVisualizationBlock("rows", slack.NewDataVisualizationLineChart(
			slack.NewDataVisualizationAxisConfig(labels...), slack.NewDataVisualizationDataSeries("rows", data...)))
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("ok", false), slack.MsgOptionBlocks(chart(20))); err != nil {
		t.Errorf("20 points: %v", err)
	}
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("too many", false), slack.MsgOptionBlocks(chart(21)))
	if err == nil || !strings.Contains(err.Error(), "invalid_blocks") {
		t.Errorf("21 points: %v, want invalid_blocks", err)
	}
}
