package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	r := New("hunter2-pass", "abc") // "abc" is too short to redact
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
			l := NewLogger(&buf, slog.LevelDebug, format, New("s3cr3t-value"))
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
