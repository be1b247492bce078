package main

import (
	"bytes"
	"context"
	"errors"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
)

func TestRedactor(t *testing.T) {
	r := NewRedactor("hunter2-pass", "abc") // "abc" is too short to redact
	tests := []struct{ in, want string }{
		{"token xoxb-123-456-abcDEF used", "token [REDACTED] used"},
		{"app xapp-1-A0-99-ff", "app [REDACTED]"},
		{"user token xoxp-1-2 and refresh xoxe-1-2", "user token [REDACTED] and refresh [REDACTED]"},
		{"postgres://todai:p%40ss@host/db", "postgres://todai:[REDACTED]@host/db"},
		{"snowflake://u@acct/DB/S?private_key_passphrase=xyz&warehouse=W", "snowflake://u@acct/DB/S?private_key_passphrase=[REDACTED]&warehouse=W"},
		{"oauth token=abc.def", "oauth token=[REDACTED]"},
		{"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----", "[REDACTED]"},
		{"the password is hunter2-pass", "the password is [REDACTED]"},
		{"abc stays", "abc stays"},
		{"nothing secret", "nothing secret"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactingHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			l := newLogger(&buf, slog.LevelDebug, format, NewRedactor("s3cr3t-value"))
			l = l.With("conn", "postgres://u:s3cr3t-value@h/db").WithGroup("g")
			l.Info("token xoxb-1-2-3", "err", errors.New("auth with s3cr3t-value failed"), "n", 3,
				slog.Group("slack", "bot", "xoxb-9-9", "app", "xapp-1-2"), "raw", []byte("xapp-7-7"))
			out := buf.String()
			for _, secret := range []string{"s3cr3t-value", "xoxb-", "xapp-"} {
				if strings.Contains(out, secret) {
					t.Errorf("log holds %q: %s", secret, out)
				}
			}
			if !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, "3") {
				t.Errorf("log lost its content: %s", out)
			}
			if format == "json" && !strings.HasPrefix(out, "{") {
				t.Errorf("not JSON: %s", out)
			}
		})
	}
}

// TestSecretsNeverLogged runs sync, doctor and serve at debug level with secrets in the configuration and checks
// that none appears in the output, the log or the errors.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		botToken = "xoxb-1111-2222-SECRETBOTTOKEN"
		appToken = "xapp-1-A1-3333-SECRETAPPTOKEN"
		password = "SecretPgPassw0rd"
	)
	fake := slacktest.New(t, slacktest.WithTokens(botToken, appToken))
	s := newDoctorSetup(t, demoWarehouse(t))
	s.apiURL, s.botToken, s.appToken = fake.APIURL(), botToken, appToken
	s.warehouse = "postgres://todai:" + password + "@127.0.0.1:1/analytics?connect_timeout=1&schema=prod_elementary"
	cfgFile := s.write(t)
	y, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	y = append(y, []byte("log:\n  level: debug\n  format: json\nhttp:\n  addr: \"127.0.0.1:0\"\n")...)
	if err := os.WriteFile(cfgFile, y, 0o600); err != nil {
		t.Fatal(err)
	}
	runs := [][]string{
		{"--config", cfgFile, "sync"},
		{"--config", cfgFile, "doctor"},
		{"--config", cfgFile, "--log-level", "debug", "serve"},
		{"--config", cfgFile, "sync", "--status"},
	}
	for _, args := range runs {
		var out, errOut handlerstest.LogBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		code := run(ctx, args, &out, &errOut)
		cancel()
		all := out.String() + errOut.String()
		t.Logf("%v exit %d, %d bytes of output", args, code, len(all))
		for _, secret := range []string{botToken, appToken, password, "SECRETBOTTOKEN", "SECRETAPPTOKEN"} {
			if strings.Contains(all, secret) {
				t.Errorf("%v: output holds the secret %q:\n%s", args, secret, all)
			}
		}
	}
	// The state file is outside the temp dir's secrets; make sure it was used (the runs did something).
	if _, err := os.Stat(filepath.Clean(s.state)); err != nil {
		t.Errorf("state file: %v", err)
	}
}
