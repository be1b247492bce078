package bot

import (
	"fmt"
	"strings"
)

// ManifestCommand is the slash command the default manifest (deploy/slack-app-manifest.yaml) declares.
const ManifestCommand = "/todai"

// maxCommandLen is Slack's limit on a slash command's name, the "/" included.
const maxCommandLen = 32

// manifestScopes are the bot token scopes the manifest asks for, sorted.
var manifestScopes = []string{
	"app_mentions:read", // app_mention events
	// channels:history: read the parent of a thread the bot is mentioned in, and conversations.history to find edr
	// monitor's alert to reply under (FindAlertMessage), in public channels.
	"channels:history",
	// channels:read: channel members (App Home, permission checks) and conversations.list, which resolves a team
	// channel configured by name to its ID (ChannelID) for conversations.history and chat.update.
	"channels:read",
	"chat:write",        // answer
	"chat:write.public", // post to a team's public channel without being invited
	"commands",          // the slash command
	"files:write",       // a chart as an image in the thread, where Slack cannot draw it (charts: image, invalid_blocks)
	"groups:history",    // thread parents and edr monitor's alerts in private channels
	"groups:read",       // private channel members, and private channels in conversations.list (ChannelID)
	"im:history",        // direct messages
	"im:read",
	"im:write",
	"mpim:history", // group direct messages
	"usergroups:read",
	"users:read",       // @handles and locales
	"users:read.email", // owners given as email addresses
}

// ManifestScopes returns the bot token scopes the manifest asks for, sorted.
func ManifestScopes() []string { return append([]string(nil), manifestScopes...) }

// manifestEvents are the bot events the manifest subscribes to.
var manifestEvents = []string{"app_home_opened", "app_mention", "message.im"}

// NormalizeCommand checks a slash command name and returns it with its leading "/", lower-cased: Slack allows
// lower-case letters, digits, "-", "_" and "." up to 32 characters.
func NormalizeCommand(command string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(command))
	if !strings.HasPrefix(c, "/") {
		c = "/" + c
	}
	if len(c) < 2 || len(c) > maxCommandLen {
		return "", fmt.Errorf("slash command %q: want 1 to %d characters after the /", command, maxCommandLen-1)
	}
	for _, r := range c[1:] {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' && r != '.' {
			return "", fmt.Errorf("slash command %q: %q is not allowed (use a-z, 0-9, -, _ and .)", command, r)
		}
	}
	return c, nil
}

// Manifest renders the Slack app manifest (YAML) with the slash command named command; an invalid name falls back
// to ManifestCommand (check it first with NormalizeCommand). Manifest(ManifestCommand) is
// deploy/slack-app-manifest.yaml.
func Manifest(command string) string {
	c, err := NormalizeCommand(command)
	if err != nil {
		c = ManifestCommand
	}
	var b strings.Builder
	b.WriteString(`# Slack app manifest for Todai. Create the app from it at https://api.slack.com/apps
# ("Create New App" → "From a manifest"); see docs/slack-setup.md. Regenerate with: todai manifest --command ` + c + `
_metadata:
  major_version: 1
  minor_version: 1
display_information:
  name: Todai
  description: Answers questions about your dbt project from Elementary's tables.
  background_color: "#1b3a5c"
features:
  app_home:
    home_tab_enabled: true
    messages_tab_enabled: true
    messages_tab_read_only_enabled: false
  bot_user:
    display_name: todai
    always_online: true
  slash_commands:
    - command: ` + c + `
      description: Ask Todai about your dbt models, sources and tests
      usage_hint: "status orders | owner orders | failures | help"
      should_escape: false
oauth_config:
  scopes:
    bot:
`)
	for _, s := range manifestScopes {
		b.WriteString("      - " + s + "\n")
	}
	b.WriteString(`settings:
  event_subscriptions:
    bot_events:
`)
	for _, e := range manifestEvents {
		b.WriteString("      - " + e + "\n")
	}
	b.WriteString(`  interactivity:
    is_enabled: true
  org_deploy_enabled: false
  socket_mode_enabled: true
  token_rotation_enabled: false
`)
	return b.String()
}
