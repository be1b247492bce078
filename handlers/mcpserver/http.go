package mcpserver

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// HTTPOptions configure the streamable HTTP endpoint.
type HTTPOptions struct {
	// Token, when set, is the bearer token every request must carry (Authorization: Bearer …). Without one the
	// endpoint must only be reachable from the machine itself (the caller binds it to loopback).
	Token string
	// Logger receives one record per call: the method (the tool for tools/call), the caller, how long it took —
	// never the token.
	Logger *slog.Logger
}

// HTTPHandler serves s over MCP's streamable HTTP transport: requests without the bearer token are refused (401),
// and so are browsers' cross-origin requests (403), before MCP sees them; each call is logged.
func HTTPHandler(s *mcp.Server, opts HTTPOptions) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.AddReceivingMiddleware(logCalls(log))
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: log})
	protected := http.NewCrossOriginProtection().Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.Token != "" && !bearer(r, opts.Token) {
			log.Warn("mcp: refused a request without the bearer token", "remote", r.RemoteAddr, "agent", r.UserAgent())
			w.Header().Set("WWW-Authenticate", `Bearer realm="todai"`)
			http.Error(w, "a bearer token is required (Authorization: Bearer …)", http.StatusUnauthorized)
			return
		}
		protected.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, r.RemoteAddr)))
	})
}

// bearer reports whether r carries token as its bearer token (the scheme without case, the token compared in
// constant time).
func bearer(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

type callerKey struct{}

// logCalls logs every request the server receives: the method (and the tool), the caller, the duration, and
// whether it failed.
func logCalls(log *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			start := time.Now()
			res, err := next(ctx, method, req)
			attrs := []any{"method", method, "took", time.Since(start)}
			if call, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
				attrs = append(attrs, "tool", call.Name)
			}
			if caller, ok := ctx.Value(callerKey{}).(string); ok {
				attrs = append(attrs, "caller", caller)
			}
			if err != nil {
				attrs = append(attrs, "err", err)
			}
			log.Info("mcp: call", attrs...)
			return res, err
		}
	}
}
