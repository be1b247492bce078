package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/config"
)

// redacted replaces every secret in logs and errors.
const redacted = "[REDACTED]"

// secretShapes match secrets Todai knows the look of, whatever their value: Slack tokens, private key blocks,
// passwords in URLs and secret URL parameters.
var secretShapes = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`xox[abposre]-[A-Za-z0-9-]+`), redacted},
	{regexp.MustCompile(`xapp-[A-Za-z0-9-]+`), redacted},
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`), redacted},
	{regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`), "${1}" + redacted + "@"},
	{regexp.MustCompile(`(?i)((?:password|passwd|passphrase|private_key_passphrase|token|secret)=)[^&\s"]+`), "${1}" + redacted},
}

// Redactor removes secrets from text: the configured secret values and the secret shapes above.
type Redactor struct {
	values []string
}

// NewRedactor returns a Redactor for the given secret values (values shorter than 4 characters are ignored: they
// would replace ordinary text).
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) >= 4 && !slices.Contains(r.values, v) {
			r.values = append(r.values, v)
			if esc := url.QueryEscape(v); esc != v {
				r.values = append(r.values, esc)
			}
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	return r
}

// Redact returns s without secrets.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, redacted)
	}
	for _, sh := range secretShapes {
		s = sh.re.ReplaceAllString(s, sh.repl)
	}
	return s
}

// configSecrets lists the secret values of a configuration: Slack tokens and the password, passphrase and token
// of the warehouse URL.
func configSecrets(c *config.Config) []string {
	if c == nil {
		return nil
	}
	out := []string{c.Slack.AppToken, c.Slack.BotToken}
	if u, err := url.Parse(c.Warehouse.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
		q := u.Query()
		for _, k := range []string{"password", "private_key_passphrase", "token", "passphrase"} {
			out = append(out, q.Get(k))
		}
	}
	return out
}

// redactHandler is a slog.Handler that redacts the message and every string, error and stringer attribute before
// passing the record on.
type redactHandler struct {
	next slog.Handler
	r    *Redactor
}

// Enabled implements slog.Handler.
func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(clean), r: h.r}
}

// WithGroup implements slog.Handler.
func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), r: h.r}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.r.Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.r.Redact(x.String()))
		case []byte:
			return slog.String(a.Key, h.r.Redact(string(x)))
		case nil:
			return a
		default:
			return slog.String(a.Key, h.r.Redact(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// newLogger builds Todai's logger: text or JSON records on w at level, secrets redacted.
func newLogger(w io.Writer, level slog.Level, format string, r *Redactor) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if strings.EqualFold(format, "json") {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(&redactHandler{next: h, r: r})
}

// redactWriter redacts everything written through it, line by line as written (each Write is redacted whole).
type redactWriter struct {
	w io.Writer
	r *Redactor
}

// Write implements io.Writer; it reports len(p) when the redacted text was written.
func (rw *redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// configureLogging applies log.level and log.format from the configuration (the --log-level flag wins when given)
// and makes the logger and the error output redact the configuration's secrets. It runs after the configuration
// is loaded; a.cfg may be nil for commands that need none.
func (a *app) configureLogging(cmd *cobra.Command) error {
	levelText, format := a.logLevel, "text"
	if a.cfg != nil {
		format = a.cfg.Log.Format
		if f := cmd.Flags().Lookup("log-level"); f == nil || !f.Changed {
			switch {
			case a.cfg.Log.Level != "":
				levelText = a.cfg.Log.Level
			case cmd.Name() == "serve":
				levelText = "info" // a service logs what it does; one-shot commands stay quiet (warn)
			}
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelText)); err != nil {
		return fmt.Errorf("log level %q: %w", levelText, err)
	}
	r := NewRedactor(configSecrets(a.cfg)...)
	if rw, ok := a.stderr.(*redactWriter); ok {
		rw.r = r
	} else {
		a.stderr = &redactWriter{w: a.stderr, r: r}
	}
	a.logger = newLogger(a.stderr, level, format, r)
	return nil
}
