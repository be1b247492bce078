package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
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

// reChannelID matches a conversation ID: channels (C…), private channels of old (G…) and DMs (D…). Channel names are
// lower-case, so an upper-case word of this shape is an ID.
var reChannelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// channelIndex caches conversations.list: channel name → ID. The zero value is empty.
type channelIndex struct {
	mu      sync.Mutex // held while listing too, so one caller lists at a time
	ids     map[string]string
	builtAt time.Time // when ids was listed, or when listing last failed
	ok      bool      // the last listing completed
}

// ChannelID returns the ID of channel: an ID passes through; "#name" or "name" is looked up among the public and
// private channels the bot can see (conversations.list, every page, cached for DefaultChannelsTTL; a name missing
// from an index older than a minute lists them again). An unknown name is an error wrapping ErrUnknownChannel;
// Slack errors are wrapped too.
func (b *Bot) ChannelID(ctx context.Context, channel string) (string, error) {
	channel = strings.TrimSpace(channel)
	if reChannelID.MatchString(channel) {
		return channel, nil
	}
	name := strings.ToLower(strings.TrimPrefix(channel, "#"))
	if name == "" {
		return "", errors.New("channel id: empty channel")
	}
	idx := &b.channels
	idx.mu.Lock()
	defer idx.mu.Unlock()
	now := b.now()
	age := now.Sub(idx.builtAt)
	if id, found := idx.ids[name]; found && idx.ok && age < DefaultChannelsTTL {
		return id, nil
	}
	if idx.builtAt.IsZero() || age >= channelsRetry { // (a fresh hit returned above)
		ids, err := b.listChannels(ctx)
		idx.builtAt = now
		if err != nil {
			idx.ok = false
			if id, found := idx.ids[name]; found {
				b.log.Warn("slack: conversations.list failed; using the cached channel", "channel", name, "err", err)
				return id, nil
			}
			return "", fmt.Errorf("channel id of #%s: %w", name, err)
		}
		idx.ids, idx.ok = ids, true
	}
	if id, found := idx.ids[name]; found {
		return id, nil
	}
	return "", fmt.Errorf("channel id of #%s: %w (invite the bot to a private channel, or configure the channel ID)",
		name, ErrUnknownChannel)
}

// listChannels reads every page of the public and private channels the bot can see.
func (b *Bot) listChannels(ctx context.Context) (map[string]string, error) {
	ids := map[string]string{}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"},
		ExcludeArchived: true, Limit: channelsListPage}
	for range maxChannelPages {
		var chans []slack.Channel
		var next string
		err := retryRateLimited(ctx, 2, time.Minute, b.log, "conversations.list", func(ctx context.Context) error {
			var err error
			chans, next, err = b.api.GetConversationsContext(ctx, params)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("conversations.list: %w", err)
		}
		for _, c := range chans {
			if c.Name != "" && c.ID != "" {
				ids[strings.ToLower(c.Name)] = c.ID
			}
		}
		if next == "" {
			return ids, nil
		}
		params.Cursor = next
	}
	return ids, nil
}
