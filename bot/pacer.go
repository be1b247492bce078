package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Pacing defaults.
const (
	// DefaultPostInterval is the least time between two posts to one channel: Slack allows about one message per
	// second per channel.
	DefaultPostInterval = time.Second
	// DefaultMaxRetries is how many times a rate-limited (HTTP 429) call is tried again.
	DefaultMaxRetries = 3
	// DefaultMaxRetryWait bounds one Retry-After wait; a longer one fails the call instead of stalling it.
	DefaultMaxRetryWait = 2 * time.Minute
	// pacerGateSweep is the number of channel gates above which idle gates are forgotten.
	pacerGateSweep = 1024
)

// PosterOptions configure a Poster. Zero values take the defaults.
type PosterOptions struct {
	// Interval is the least time between the end of one post to a channel and the start of the next
	// (DefaultPostInterval).
	Interval time.Duration
	// MaxRetries is how many times a call answered with HTTP 429 is retried after its Retry-After
	// (DefaultMaxRetries); negative means never.
	MaxRetries int
	// MaxRetryWait bounds a single Retry-After wait (DefaultMaxRetryWait).
	MaxRetryWait time.Duration
	// HTTPClient posts to response_url (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Logger receives rate-limit warnings (discarded when nil).
	Logger *slog.Logger
}

// Poster sends messages through a Slack client, at most one post per channel per Interval, retrying rate-limited
// calls after Slack's Retry-After. Posts to different channels do not wait for each other. Safe for concurrent use.
type Poster struct {
	api  *slack.Client
	opts PosterOptions
	log  *slog.Logger

	mu    sync.Mutex // guards gates only; never held while waiting
	gates map[string]*channelGate
}

// channelGate serializes the posts to one channel and remembers when the next may start.
type channelGate struct {
	sem  chan struct{} // capacity 1: held while a post to the channel waits its turn or runs
	next time.Time     // guarded by sem
}

// NewPoster returns a Poster sending through api. The client should not retry 429s itself (no slack.OptionRetry).
func NewPoster(api *slack.Client, opts PosterOptions) *Poster {
	if opts.Interval <= 0 {
		opts.Interval = DefaultPostInterval
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = DefaultMaxRetryWait
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poster{api: api, opts: opts, log: log, gates: map[string]*channelGate{}}
}

// PostMessage posts to channel (chat.postMessage; an ID or a name) and returns the channel's ID, as Slack answers it
// (chat.update and reactions need the ID, not the name), and the message's ts.
func (p *Poster) PostMessage(ctx context.Context, channel string, opts ...slack.MsgOption) (channelID, ts string, err error) {
	err = p.paced(ctx, channel, "chat.postMessage", func(ctx context.Context) error {
		var err error
		channelID, ts, err = p.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if channelID == "" {
		channelID = channel
	}
	return channelID, ts, err
}

// Update replaces the message ts in channel (chat.update).
func (p *Poster) Update(ctx context.Context, channel, ts string, opts ...slack.MsgOption) error {
	return p.paced(ctx, channel, "chat.update", func(ctx context.Context) error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}

// PostEphemeral shows a message to user in channel (chat.postEphemeral) and returns its ts.
func (p *Poster) PostEphemeral(ctx context.Context, channel, user string, opts ...slack.MsgOption) (string, error) {
	var ts string
	err := p.paced(ctx, channel, "chat.postEphemeral", func(ctx context.Context) error {
		t, err := p.api.PostEphemeralContext(ctx, channel, user, opts...)
		ts = t
		return err
	})
	return ts, err
}

// Upload shares a file in channel (an ID), in the thread of threadTS when set: Slack's three steps
// (files.getUploadURLExternal, the upload, files.completeUploadExternal), paced with the channel's posts.
func (p *Poster) Upload(ctx context.Context, channel, threadTS, filename, title string, data []byte) error {
	return p.paced(ctx, channel, "files.upload", func(ctx context.Context) error {
		_, err := p.api.UploadFileContext(ctx, slack.UploadFileParameters{Channel: channel, ThreadTimestamp: threadTS,
			Filename: filename, Title: title, AltTxt: title, FileSize: len(data), Reader: bytes.NewReader(data)})
		return err
	})
}

// ResponseMessage is the JSON body of a response_url post.
type ResponseMessage struct {
	// ResponseType is "ephemeral" (the default) or "in_channel".
	ResponseType string `json:"response_type,omitempty"`
	// ReplaceOriginal replaces the message the command or button came from.
	ReplaceOriginal bool `json:"replace_original,omitempty"`
	// DeleteOriginal deletes the message the command or button came from.
	DeleteOriginal bool `json:"delete_original,omitempty"`
	// ThreadTS posts into a thread.
	ThreadTS string `json:"thread_ts,omitempty"`
	// Text is the fallback and notification text.
	Text string `json:"text"`
	// Blocks is the Block Kit message.
	Blocks []slack.Block `json:"blocks,omitempty"`
	// Channel is the channel the response lands in, used only for pacing (not sent); when empty the response URL
	// itself is the pacing key.
	Channel string `json:"-"`
}

// PostResponse posts msg to a slash command's or button's response_url.
func (p *Poster) PostResponse(ctx context.Context, responseURL string, msg ResponseMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("response_url: encode message: %w", err)
	}
	key := msg.Channel
	if key == "" {
		key = "response:" + responseURL
	}
	return p.paced(ctx, key, "response_url", func(ctx context.Context) error {
		return p.postJSON(ctx, responseURL, body)
	})
}

// postJSON posts body to url once; a 429 with Retry-After becomes *slack.RateLimitedError.
func (p *Poster) postJSON(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := p.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if secs, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("Retry-After")), 10, 64); err == nil && secs >= 0 {
			return &slack.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
		}
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(text)))
	}
	var r struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(text, &r) == nil && r.OK != nil && !*r.OK {
		return slack.SlackErrorResponse{Err: r.Error}
	}
	return nil
}

// paced runs call for channel after the channel's gate opens, retrying 429s, and wraps its error with method and
// channel.
func (p *Poster) paced(ctx context.Context, channel, method string, call func(context.Context) error) error {
	g := p.gate(channel)
	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s to %s: waiting for the channel: %w (%w)", method, channel, ctx.Err(), errNotSent)
	}
	defer func() { <-g.sem }()
	if err := sleepUntil(ctx, g.next); err != nil {
		return fmt.Errorf("%s to %s: waiting for the channel: %w (%w)", method, channel, err, errNotSent)
	}
	err := retryRateLimited(ctx, p.opts.MaxRetries, p.opts.MaxRetryWait, p.log, method, call)
	g.next = time.Now().Add(p.opts.Interval)
	if err != nil {
		return fmt.Errorf("%s to %s: %w", method, channel, err)
	}
	delivered(ctx) // Slack has it: an answer's envelope is answered
	return nil
}

// gate returns channel's gate, creating it; past pacerGateSweep gates, idle ones are dropped.
func (p *Poster) gate(channel string) *channelGate {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g, ok := p.gates[channel]; ok {
		return g
	}
	if len(p.gates) >= pacerGateSweep {
		now := time.Now()
		for k, g := range p.gates {
			select {
			case g.sem <- struct{}{}:
				if g.next.Before(now) {
					delete(p.gates, k)
				}
				<-g.sem
			default:
			}
		}
	}
	g := &channelGate{sem: make(chan struct{}, 1)}
	p.gates[channel] = g
	return g
}

// retryRateLimited runs call, and again after each *slack.RateLimitedError's RetryAfter, at most retries more times.
func retryRateLimited(ctx context.Context, retries int, maxWait time.Duration, log *slog.Logger, method string,
	call func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := call(ctx)
		var rl *slack.RateLimitedError
		if err == nil || !errors.As(err, &rl) {
			return err
		}
		if attempt >= retries {
			return fmt.Errorf("rate limited %d times: %w", attempt+1, err)
		}
		wait := max(rl.RetryAfter, 0)
		if wait > maxWait {
			return fmt.Errorf("retry after %s exceeds %s: %w", wait, maxWait, err)
		}
		log.LogAttrs(ctx, slog.LevelWarn, "slack rate limit", slog.String("method", method),
			slog.Duration("retry_after", wait), slog.Int("attempt", attempt+1))
		if err := sleepUntil(ctx, time.Now().Add(wait)); err != nil {
			return fmt.Errorf("waiting %s after a rate limit: %w", wait, err)
		}
	}
}

// sleepUntil waits until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
