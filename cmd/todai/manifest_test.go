package main

import (
	"strings"
	"testing"

	"github.com/todai-dev/todai/bot"
)

func TestManifestCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // the whole stdout, when set
		wantIn   string // a line of stdout, or of stderr on failure
	}{
		{name: "default", args: []string{"manifest"}, want: bot.Manifest(bot.ManifestCommand)},
		{name: "custom command", args: []string{"manifest", "--command", "ask-data"}, wantIn: "    - command: /ask-data\n"},
		{name: "needs no config", args: []string{"--config", "/nonexistent/todai.yaml", "manifest"},
			wantIn: "socket_mode_enabled: true"},
		{name: "bad command", args: []string{"manifest", "--command", "/no spaces"}, wantCode: 1,
			wantIn: "--command"},
		{name: "no arguments", args: []string{"manifest", "extra"}, wantCode: 1, wantIn: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s %s", code, tt.wantCode, out, errOut)
			}
			if tt.want != "" && out != tt.want {
				t.Errorf("stdout differs from bot.Manifest:\n%s", out)
			}
			where := out
			if code != 0 {
				where = errOut
			}
			if tt.wantIn != "" && !strings.Contains(where, tt.wantIn) {
				t.Errorf("output lacks %q:\n%s%s", tt.wantIn, out, errOut)
			}
		})
	}
}
