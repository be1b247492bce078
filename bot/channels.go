package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
)

// Channel name resolution.
const (
	// DefaultChannelsTTL is how long the channel name index is trusted.
	DefaultChannelsTTL = time.Hour
	// channelsRetry is how soon a name missing from the index (or a failed listing) may list the channels again.
	channelsRetry = time.Minute
	// channelsListPage is the conversations.list page size; maxChannelPages bounds the pages read.
	channelsListPage = 200
	maxChannelPages  = 100
)

// ErrUnknownChannel is returned (wrapped) by ChannelID for a channel name the bot cannot see.
var ErrUnknownChannel = errors.New("no such channel visible to the bot")

// Channels resolves channel names to IDs through conversations.list, and caches the index. It is safe for
// concurrent use; share one between the Bot (Deps.Channels) and the Home (HomeOptions.Channels) so that they list
// the channels once. Create it with NewChannels.
type Channels struct {
	api *slack.Client
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex // held while listing too, so one caller lists at a time
	ids     map[string]string
	builtAt time.Time // when ids was listed, or when listing last failed
	ok      bool      // the last listing completed
	// gen counts the listings that completed: whoever derived something from the index redoes it when it moves.
	gen atomic.Uint64
}

// ChannelsOptions configure NewChannels.
type ChannelsOptions struct {
	// Logger receives the listing failures (discarded when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// NewChannels returns an empty channel index over api.
func NewChannels(api *slack.Client, opts ChannelsOptions) *Channels {
	c := &Channels{api: api, log: opts.Logger, now: opts.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// ChannelID returns the ID of channel as Channels.ChannelID does, through the bot's index (Deps.Channels).
func (b *Bot) ChannelID(ctx context.Context, channel string) (string, error) {
	return b.channels.ChannelID(ctx, channel)
}

// normalizeChannelName is the index key of a channel name: without "#", trimmed, lower-case.
func normalizeChannelName(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#"))
}

// ChannelID returns the ID of channel: an ID passes through; "#name" or "name" is looked up among the public and
// private channels the bot can see (conversations.list, every page, cached for DefaultChannelsTTL; a name missing
// from an index older than a minute lists them again). An unknown name is an error wrapping ErrUnknownChannel;
// Slack errors are wrapped too.
func (c *Channels) ChannelID(ctx context.Context, channel string) (string, error) {
	channel = strings.TrimSpace(channel)
	if slackui.IsChannelID(channel) {
		return channel, nil
	}
	name := normalizeChannelName(channel)
	if name == "" {
		return "", errors.New("channel id: empty channel")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	age := now.Sub(c.builtAt)
	if id, found := c.ids[name]; found && c.ok && age < DefaultChannelsTTL {
		return id, nil
	}
	if c.builtAt.IsZero() || age >= channelsRetry { // (a fresh hit returned above)
		ids, err := c.listChannels(ctx)
		c.builtAt = now
		if err != nil {
			c.ok = false
			if id, found := c.ids[name]; found {
				c.log.Warn("slack: conversations.list failed; using the cached channel", "channel", name, "err", err)
				return id, nil
			}
			return "", fmt.Errorf("channel id of #%s: %w", name, err)
		}
		c.ids, c.ok = ids, true
		c.gen.Add(1)
	}
	if id, found := c.ids[name]; found {
		return id, nil
	}
	return "", fmt.Errorf("channel id of #%s: %w (invite the bot to a private channel, or configure the channel ID)",
		name, ErrUnknownChannel)
}

// generation is the number of listings that completed so far.
func (c *Channels) generation() uint64 { return c.gen.Load() }

// listChannels reads every page of the public and private channels the bot can see.
func (c *Channels) listChannels(ctx context.Context) (map[string]string, error) {
	ids := map[string]string{}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"},
		ExcludeArchived: true, Limit: channelsListPage}
	for range maxChannelPages {
		var chans []slack.Channel
		var next string
		err := retryRateLimited(ctx, 2, time.Minute, c.log, "conversations.list", func(ctx context.Context) error {
			var err error
			chans, next, err = c.api.GetConversationsContext(ctx, params)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("conversations.list: %w", err)
		}
		for _, ch := range chans {
			if ch.Name != "" && ch.ID != "" {
				ids[strings.ToLower(ch.Name)] = ch.ID
			}
		}
		if next == "" {
			return ids, nil
		}
		params.Cursor = next
	}
	return ids, nil
}

// channelLocales are Config.ChannelLocales: the overrides keyed by ID are used as they are; those keyed by name
// are resolved through the channel index when first needed, and again once the index was listed anew (or after
// DefaultChannelsTTL, or a minute after a Slack error). A name that cannot be resolved logs one warning and has no
// override until then.
type channelLocales struct {
	byID   map[string]handlers.Lang // configured by ID
	byName map[string]handlers.Lang // configured by name (normalized)

	mu       sync.Mutex
	resolved map[string]handlers.Lang // ID → language, from byName
	built    bool
	gen      uint64    // the index generation resolved against
	at       time.Time // when resolved
	ttl      time.Duration
	warned   map[string]bool // names whose failure was logged (until they resolve)
}

// newChannelLocales splits the configured overrides into IDs and names; empty keys and languages are dropped.
func newChannelLocales(m map[string]handlers.Lang) *channelLocales {
	cl := &channelLocales{byID: map[string]handlers.Lang{}, byName: map[string]handlers.Lang{}, warned: map[string]bool{}}
	for k, l := range m {
		k = strings.TrimSpace(k)
		switch {
		case l == "" || k == "":
		case slackui.IsChannelID(k):
			cl.byID[k] = l
		default:
			if n := normalizeChannelName(k); n != "" {
				cl.byName[n] = l
			}
		}
	}
	return cl
}

// channelLocale returns the language configured for channelID (an ID), "" when none.
func (b *Bot) channelLocale(ctx context.Context, channelID string) handlers.Lang {
	cl := b.chLocales
	if channelID == "" {
		return ""
	}
	if l, ok := cl.byID[channelID]; ok {
		return l
	}
	if len(cl.byName) == 0 {
		return ""
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.built || b.channels.generation() != cl.gen || b.now().Sub(cl.at) >= cl.ttl {
		cl.resolve(ctx, b.channels, b.log, b.now())
	}
	return cl.resolved[channelID]
}

// resolve looks every configured name up; cl.mu is held.
func (cl *channelLocales) resolve(ctx context.Context, idx *Channels, log *slog.Logger, now time.Time) {
	resolved := make(map[string]handlers.Lang, len(cl.byName))
	ttl := DefaultChannelsTTL
	for name, l := range cl.byName {
		id, err := idx.ChannelID(ctx, name)
		if err != nil {
			if !errors.Is(err, ErrUnknownChannel) {
				ttl = channelsRetry // Slack failed: try again soon
			}
			if !cl.warned[name] {
				cl.warned[name] = true
				log.Warn("bot: the channel of a locale override cannot be resolved; no override there for now",
					"channel", "#"+name, "locale", string(l), "err", err)
			}
			continue
		}
		delete(cl.warned, name)
		resolved[id] = l
	}
	cl.resolved, cl.built, cl.gen, cl.at, cl.ttl = resolved, true, idx.generation(), now, ttl
}
