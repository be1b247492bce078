package bot

import (
	"errors"

	"github.com/slack-go/slack"
)

// errNotSent marks a post that never left Todai (it was still waiting for its channel's turn).
var errNotSent = errors.New("not sent")

// NotPosted reports whether err, from posting a message, proves that the message did not reach Slack: it never
// left (still waiting for the channel), Slack answered ok:false (channel_not_found, not_in_channel, invalid_blocks
// …), or Slack kept answering 429. A transport error (a timeout, a reset connection) or a 5xx may hide a message
// that was posted and is no such proof: whoever retries on it risks a duplicate.
func NotPosted(err error) bool {
	if err == nil {
		return false
	}
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	return errors.Is(err, errNotSent) || errors.As(err, &se) || errors.As(err, &rl)
}
