package slacktest

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// User is a workspace member the fake serves from users.info, users.lookupByEmail and users.list.
type User struct {
	ID          string
	Name        string // the @handle
	RealName    string
	DisplayName string
	Email       string
	Locale      string // e.g. "ja-JP"; only returned when the caller asks for include_locale
	TZ          string
	IsBot       bool
	Deleted     bool
}

// UserGroup is a user group (subteam) served by usergroups.list and usergroups.users.list.
type UserGroup struct {
	ID       string // S…
	Handle   string // without the @
	Name     string
	Users    []string
	Disabled bool
}

// Channel is a conversation served by conversations.info, conversations.members, conversations.list and
// conversations.history. When Members is not empty, the bot is a member only if its user ID is among them:
// conversations.history then answers not_in_channel and conversations.list leaves a private channel out.
type Channel struct {
	ID         string
	Name       string
	IsIM       bool
	IsPrivate  bool
	IsArchived bool
	Locale     string
	Members    []string
}

// Message is a stored message in a channel's history, read back by conversations.replies and
// conversations.history. Blocks and Attachments are raw JSON arrays as Slack would return them. A thread reply
// (ThreadTS set and different from TS) is left out of conversations.history unless its Subtype is
// "thread_broadcast" (what chat.postMessage with reply_broadcast stores).
type Message struct {
	TS          string
	ThreadTS    string
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
	BotID       string
	User        string
	Subtype     string
	Username    string
}

// Call is one recorded HTTP call to the fake: a Web API method or a response_url post (Method "response_url").
type Call struct {
	Method string
	Token  string     // from the Authorization header or the token form field
	Form   url.Values // form or query parameters (nil for JSON bodies)
	JSON   json.RawMessage
	Time   time.Time
	Status int    // HTTP status the fake answered with
	Error  string // the Slack error the fake answered with, "" when ok
}

// Post is one message the app sent: chat.postMessage, chat.postEphemeral, chat.update or a response_url post.
type Post struct {
	Method          string // "chat.postMessage", "chat.postEphemeral", "chat.update" or "response_url"
	Channel         string // for response_url, the channel of the command or action that issued the URL, if known
	User            string // chat.postEphemeral's target user
	TS              string // the ts assigned (or updated)
	ThreadTS        string
	Text            string
	Blocks          json.RawMessage
	Attachments     json.RawMessage
	ResponseType    string // response_url only: "ephemeral", "in_channel" or ""
	ReplaceOriginal bool
	DeleteOriginal  bool
	ReplyBroadcast  bool
	ResponseID      string // response_url only: the id in /response/<id>
	Time            time.Time
}

// AllText returns the top-level text followed by every "text" string found anywhere in the blocks and
// attachments, newline-separated, so tests can assert on what a reader would see.
func (p Post) AllText() string {
	var parts []string
	if p.Text != "" {
		parts = append(parts, p.Text)
	}
	for _, raw := range []json.RawMessage{p.Blocks, p.Attachments} {
		if len(raw) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			continue
		}
		collectText(v, &parts)
	}
	return strings.Join(parts, "\n")
}

func collectText(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["text"].(string); ok && s != "" {
			*out = append(*out, s)
		}
		for k, e := range x {
			if k == "text" {
				if _, ok := e.(string); ok {
					continue
				}
			}
			collectText(e, out)
		}
	case []any:
		for _, e := range x {
			collectText(e, out)
		}
	}
}

// Ack is an acknowledgement the app sent back over the Socket Mode websocket.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack had no payload
	Raw        json.RawMessage // the whole frame
	Time       time.Time
	Connection int // 1-based websocket connection number that carried it
}

// SlashCommand describes a slash command invocation to deliver as a slash_commands envelope.
// Empty fields get defaults; an empty ResponseURL gets a fresh ResponseURL tied to ChannelID.
type SlashCommand struct {
	Command     string
	Text        string
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
	ResponseURL string
	TriggerID   string
}

// BlockAction describes a click on a Block Kit element to deliver as an interactive block_actions envelope.
// If MessageTS names a stored message of ChannelID (and IsEphemeral is false), that message is included
// as "message", as Slack does. An empty ResponseURL gets a fresh ResponseURL tied to ChannelID.
type BlockAction struct {
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
	MessageTS   string
	ThreadTS    string
	IsEphemeral bool
	ResponseURL string
	TriggerID   string
	Actions     []Action
}

// Action is one element of a block_actions payload's actions array.
type Action struct {
	ActionID string
	BlockID  string
	Value    string
	Text     string // the button label
	Type     string // defaults to "button"; users_select and static_select carry SelectedUser, SelectedOption
	// SelectedUser is a users_select's choice; SelectedOption a static_select's option value.
	SelectedUser   string
	SelectedOption string
}

// Modal is a view opened with views.open, with the trigger that opened it.
type Modal struct {
	ID        string
	TriggerID string
	View      json.RawMessage
}

// ViewSubmission describes a modal's submission to deliver as an interactive view_submission envelope: the view
// Todai opened (by its ID, from Modals) and the values the user entered, by block and action: a radio button's or
// a select's chosen option value, or a text input's value.
type ViewSubmission struct {
	UserID string
	ViewID string
	// Options and Texts are the inputs' values, by block ID then action ID.
	Options map[string]map[string]string
	Texts   map[string]map[string]string
}

// AppMention is an app_mention inner event for SendEvent.
type AppMention struct {
	User     string `json:"user"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts,omitempty"`
	Channel  string `json:"channel"`
	BotID    string `json:"bot_id,omitempty"`
}

// MarshalJSON encodes the event with its "type" and "event_ts".
func (e AppMention) MarshalJSON() ([]byte, error) {
	type alias AppMention
	return json.Marshal(struct {
		Type string `json:"type"`
		alias
		EventTS string `json:"event_ts"`
	}{"app_mention", alias(e), e.TS})
}

// MessageEvent is a message inner event (e.g. a DM: ChannelType "im") for SendEvent.
type MessageEvent struct {
	User        string `json:"user,omitempty"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts,omitempty"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type,omitempty"`
	BotID       string `json:"bot_id,omitempty"`
	Subtype     string `json:"subtype,omitempty"`
}

// MarshalJSON encodes the event with its "type" and "event_ts".
func (e MessageEvent) MarshalJSON() ([]byte, error) {
	type alias MessageEvent
	return json.Marshal(struct {
		Type string `json:"type"`
		alias
		EventTS string `json:"event_ts"`
	}{"message", alias(e), e.TS})
}
