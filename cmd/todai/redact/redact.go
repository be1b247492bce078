// Package redact keeps secrets out of everything Todai prints: a Redactor that replaces the configured secret
// values and the shapes of secrets (Slack tokens, private keys, passwords in URLs), a slog handler that redacts
// every record, and a Writer for error output.
package redact

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
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

// New returns a Redactor for the given secret values (values shorter than 4 characters are ignored: they
// would replace ordinary text).
func New(values ...string) *Redactor {
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

// handler is a slog.Handler that redacts the message and every string, error and stringer attribute before
// passing the record on.
type handler struct {
	next slog.Handler
	r    *Redactor
}

// Enabled implements slog.Handler.
func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &handler{next: h.next.WithAttrs(clean), r: h.r}
}

// WithGroup implements slog.Handler.
func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), r: h.r}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
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

// NewLogger builds Todai's logger: text or JSON records on w at level, secrets redacted.
func NewLogger(w io.Writer, level slog.Level, format string, r *Redactor) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if strings.EqualFold(format, "json") {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(&handler{next: h, r: r})
}

// Writer redacts everything written through it with R, each Write whole (R may be replaced once the
// configuration, and so its secrets, are known).
type Writer struct {
	W io.Writer
	R *Redactor
}

// Write implements io.Writer; it reports len(p) when the redacted text was written.
func (rw *Writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.W, rw.R.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
