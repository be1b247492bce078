package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slacktest"
)

// newWebFake starts a fake Slack and a real slack-go client pointed at it.
func newWebFake(t *testing.T) (*slacktest.Slack, *slack.Client) {
	t.Helper()
	fake := slacktest.New(t)
	return fake, newWebClient(fake)
}

// newWebClient returns a real slack-go client pointed at fake.
func newWebClient(fake *slacktest.Slack) *slack.Client {
	return slack.New(fake.BotToken(), slack.OptionAppLevelToken(fake.AppToken()), slack.OptionAPIURL(fake.APIURL()))
}

func webTestCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPosterPacesOneChannel(t *testing.T) {
	fake, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{})
	ctx := webTestCtx(t)

	// Three posts to C1 at once, and one to C2 after the first: C2 must not queue behind C1.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 3 {
		wg.Go(func() {
			_, _, err := p.PostMessage(ctx, "C1", slack.MsgOptionText("c1 #"+string(rune('a'+i)), false))
			errs <- err
		})
	}
	if _, err := fake.WaitPost(ctx, func(sp slacktest.Post) bool { return sp.Channel == "C1" }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.PostMessage(ctx, "C2", slack.MsgOptionText("c2", false)); err != nil {
		t.Fatalf("post to C2: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("post to C1: %v", err)
		}
	}

	var c1 []slacktest.Post
	var c2 slacktest.Post
	for _, sp := range fake.Posts() {
		switch sp.Channel {
		case "C1":
			c1 = append(c1, sp)
		case "C2":
			c2 = sp
		}
	}
	if len(c1) != 3 {
		t.Fatalf("C1 got %d posts, want 3", len(c1))
	}
	for i := 1; i < len(c1); i++ {
		if gap := c1[i].Time.Sub(c1[i-1].Time); gap < DefaultPostInterval {
			t.Errorf("C1 posts %d and %d are %s apart, want ≥ %s", i-1, i, gap, DefaultPostInterval)
		}
	}
	if span := c1[2].Time.Sub(c1[0].Time); span < 2*time.Second {
		t.Errorf("three posts to C1 spanned %s, want ≥ 2s", span)
	}
	if !c2.Time.Before(c1[1].Time) {
		t.Errorf("the post to C2 (%s) waited behind C1's second post (%s)", c2.Time, c1[1].Time)
	}
}

func TestPosterRetries429(t *testing.T) {
	fake, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{Interval: time.Millisecond})
	ctx := webTestCtx(t)

	fake.RateLimitNext("chat.postMessage", 1, time.Second)
	_, ts, err := p.PostMessage(ctx, "C1", slack.MsgOptionText("after a 429", false))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("calls = %+v, want a 429 then a 200", calls)
	}
	if gap := calls[1].Time.Sub(calls[0].Time); gap < time.Second {
		t.Errorf("retried after %s, want ≥ the 1s Retry-After", gap)
	}
	posts := fake.Posts()
	if len(posts) != 1 || posts[0].TS != ts || posts[0].Text != "after a 429" {
		t.Errorf("posts = %+v, want one with ts %s", posts, ts)
	}
}

func TestPosterGivesUpAfterMaxRetries(t *testing.T) {
	fake, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{Interval: time.Millisecond, MaxRetries: -1})
	ctx := webTestCtx(t)

	fake.RateLimitNext("chat.update", 1, time.Second)
	err := p.Update(ctx, "C9", "1.000001", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("err = %v, want a wrapped *slack.RateLimitedError of 1s", err)
	}
	if !strings.Contains(err.Error(), "chat.update to C9") {
		t.Errorf("err = %q, want the method and channel", err)
	}
	if n := len(fake.Calls("chat.update")); n != 1 {
		t.Errorf("chat.update called %d times, want 1", n)
	}
}

func TestPosterWrapsSlackErrors(t *testing.T) {
	fake, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{})
	ctx := webTestCtx(t)

	fake.FailNext("chat.postEphemeral", "channel_not_found")
	_, err := p.PostEphemeral(ctx, "C404", "U1", slack.MsgOptionText("x", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Fatalf("err = %v, want a wrapped channel_not_found", err)
	}
	if !strings.Contains(err.Error(), "chat.postEphemeral to C404") {
		t.Errorf("err = %q, want the method and channel", err)
	}
	ts, err := p.PostEphemeral(ctx, "C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil || ts == "" {
		t.Fatalf("PostEphemeral = %q, %v", ts, err)
	}
	got, err := fake.WaitPost(ctx, func(sp slacktest.Post) bool { return sp.Method == "chat.postEphemeral" })
	if err != nil || got.User != "U1" || got.Channel != "C1" {
		t.Errorf("ephemeral post = %+v, %v", got, err)
	}
}

func TestPosterUpdate(t *testing.T) {
	fake, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{Interval: time.Millisecond})
	ctx := webTestCtx(t)
	_, ts, err := p.PostMessage(ctx, "C1", slack.MsgOptionText("first", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Update(ctx, "C1", ts, slack.MsgOptionText("second", false)); err != nil {
		t.Fatalf("Update: %v", err)
	}
	msgs := fake.Messages("C1")
	if len(msgs) != 1 || msgs[0].Text != "second" {
		t.Errorf("history = %+v, want the updated message", msgs)
	}
}

func TestPosterPostResponse(t *testing.T) {
	fake, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{Interval: time.Millisecond})
	ctx := webTestCtx(t)

	tests := []struct {
		name    string
		id      string
		limit   int // 429s before success
		msg     ResponseMessage
		wantErr string
	}{
		{name: "ephemeral", id: "a", msg: ResponseMessage{Text: "hi", Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*hi*", false, false), nil, nil)}}},
		{name: "in channel after a 429", id: "b", limit: 1,
			msg: ResponseMessage{ResponseType: "in_channel", Text: "for all", Channel: "C7"}},
		{name: "used up", id: "c", wantErr: "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := fake.ResponseURL(tt.id)
			if tt.wantErr != "" {
				for range 5 {
					if err := p.PostResponse(ctx, url, ResponseMessage{Text: "use"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tt.limit > 0 {
				fake.RateLimitNext("response_url", tt.limit, time.Second)
			}
			err := p.PostResponse(ctx, url, tt.msg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "response_url") {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("PostResponse: %v", err)
			}
			got, err := fake.WaitPost(ctx, func(sp slacktest.Post) bool {
				return sp.ResponseID == tt.id && sp.Text == tt.msg.Text
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.ResponseType != tt.msg.ResponseType {
				t.Errorf("response_type = %q, want %q", got.ResponseType, tt.msg.ResponseType)
			}
			if (len(tt.msg.Blocks) > 0) != (len(got.Blocks) > 0) || !strings.Contains(got.AllText(), tt.msg.Text) {
				t.Errorf("post = %+v, want %+v", got, tt.msg)
			}
		})
	}
}

func TestPosterCancelWhileWaiting(t *testing.T) {
	_, api := newWebFake(t)
	p := NewPoster(api, PosterOptions{Interval: time.Hour})
	ctx := webTestCtx(t)
	if _, _, err := p.PostMessage(ctx, "C1", slack.MsgOptionText("one", false)); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err := p.PostMessage(short, "C1", slack.MsgOptionText("two", false))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNotPosted(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"Slack refused", fmt.Errorf("chat.postMessage to C1: %w", slack.SlackErrorResponse{Err: "channel_not_found"}), true},
		{"rate limited to the end", fmt.Errorf("chat.postMessage to C1: %w", &slack.RateLimitedError{RetryAfter: time.Second}), true},
		{"never left", fmt.Errorf("chat.postMessage to C1: waiting for the channel: %w (%w)", context.Canceled, errNotSent), true},
		{"timeout: may have been posted", fmt.Errorf("chat.postMessage to C1: %w", context.DeadlineExceeded), false},
		{"5xx: may have been posted", fmt.Errorf("chat.postMessage to C1: %w", slack.StatusCodeError{Code: 503}), false},
	}
	for _, tc := range tests {
		if got := NotPosted(tc.err); got != tc.want {
			t.Errorf("%s: NotPosted = %v, want %v", tc.name, got, tc.want)
		}
	}
}
