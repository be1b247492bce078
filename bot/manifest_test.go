package bot

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/slack-go/slack"
)

func TestManifest(t *testing.T) {
	tests := []struct {
		name    string
		command string
		want    string
	}{
		{name: "default", command: ManifestCommand, want: "/todai"},
		{name: "custom", command: "/ask-data", want: "/ask-data"},
		{name: "without slash, upper case", command: " Lighthouse ", want: "/lighthouse"},
		{name: "invalid falls back", command: "/todai\n  - evil: yes", want: "/todai"},
		{name: "empty falls back", command: "", want: "/todai"},
	}
	wantScopes := []string{"app_mentions:read", "chat:write", "chat:write.public", "commands", "channels:history",
		"groups:history", "im:history", "mpim:history", "im:read", "im:write", "users:read", "users:read.email",
		"usergroups:read", "channels:read", "groups:read", "files:write"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Strict decoding into slack-go's manifest model: every key must be one Slack knows.
			var m slack.Manifest
			if err := yaml.UnmarshalWithOptions([]byte(Manifest(tt.command)), &m, yaml.Strict()); err != nil {
				t.Fatalf("manifest does not parse: %v", err)
			}
			if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != tt.want {
				t.Errorf("slash commands = %+v, want one %s", m.Features.SlashCommands, tt.want)
			}
			if m.Settings.EventSubscriptions == nil || m.Settings.Interactivity == nil {
				t.Fatal("no event subscriptions or interactivity settings")
			}
			if m.Features.SlashCommands[0].Url != "" || m.Settings.EventSubscriptions.RequestUrl != "" ||
				m.Settings.Interactivity.RequestUrl != "" {
				t.Error("Socket Mode apps need no request URLs")
			}
			bot := m.OAuthConfig.Scopes.Bot
			for _, s := range wantScopes {
				if !slices.Contains(bot, s) {
					t.Errorf("scope %s missing from %v", s, bot)
				}
			}
			if len(bot) != len(wantScopes) || !slices.IsSorted(bot) {
				t.Errorf("scopes = %v, want exactly the %d sorted scopes", bot, len(wantScopes))
			}
			if !slices.Equal(ManifestScopes(), bot) {
				t.Errorf("ManifestScopes() = %v, manifest has %v", ManifestScopes(), bot)
			}
			events := m.Settings.EventSubscriptions.BotEvents
			if !slices.Equal(events, []string{"app_home_opened", "app_mention", "message.im"}) {
				t.Errorf("bot events = %v", events)
			}
			if !m.Settings.SocketModeEnabled || !m.Settings.Interactivity.IsEnabled {
				t.Errorf("socket mode %v, interactivity %v: want both on", m.Settings.SocketModeEnabled,
					m.Settings.Interactivity.IsEnabled)
			}
			if m.Features.BotUser.DisplayName == "" || m.Display.Name != "Todai" || m.Metadata.MajorVersion != 1 {
				t.Errorf("bot user %+v, display %+v, metadata %+v", m.Features.BotUser, m.Display, m.Metadata)
			}
			if h := m.Features.AppHome; !h.HomeTabEnabled || !h.MessagesTabEnabled || h.MessagesTabReadOnlyEnabled {
				t.Errorf("app home = %+v, want the Home tab and a writable Messages tab", h)
			}
		})
	}
}

// TestManifestDeployFile keeps deploy/slack-app-manifest.yaml the default rendering.
// Regenerate it with: go run ./cmd/todai manifest > deploy/slack-app-manifest.yaml
func TestManifestDeployFile(t *testing.T) {
	b, err := os.ReadFile("../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), Manifest(ManifestCommand); got != want {
		t.Errorf("deploy/slack-app-manifest.yaml differs from Manifest(%q); regenerate it:\n%s", ManifestCommand, want)
	}
}

func TestNormalizeCommand(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "/todai", want: "/todai"},
		{in: "todai", want: "/todai"},
		{in: "/Data_Bot.v2", want: "/data_bot.v2"},
		{in: "/", wantErr: true},
		{in: "/has space", wantErr: true},
		{in: "/" + strings.Repeat("a", 32), wantErr: true},
		{in: "/灯台", wantErr: true},
	}
	for _, tt := range tests {
		got, err := NormalizeCommand(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeCommand(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
