// Package mcpserver offers Todai's answers to AI assistants over the Model Context Protocol: one read-only tool per
// intent of the registry (handlers.IntentSpec.Tool), plus ask for a question in words. A tool's result is the
// answer's documented JSON (docs/json.md), the same as `todai ask --json` prints for the same question.
package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// MaxResultBytes bounds a tool's result: 8,000 tokens at about four bytes a token.
const MaxResultBytes = 32_000

// maxQueryRunes and maxQueryWords bound a search's query.
const (
	maxQueryRunes = 256
	maxQueryWords = 10
)

// DefaultPageSize and MaxPageSize are how many items of each list a page holds, unless asked, and at most.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Options configure the server.
type Options struct {
	// Version is Todai's, told to clients.
	Version string
	// Now is the clock (time.Now when nil); Zone the zone times written without one are read in (UTC when nil).
	Now  func() time.Time
	Zone *time.Location
	// Lang answers the command-form questions the tools make ("en" when empty; a tool's lang argument wins).
	Lang handlers.Lang
	// Actions, when set, adds the tools that change incidents (mcp.allow_actions); read-only tools only when nil.
	Actions Actions
}

// Reader is the read model the tools ask: every intent's answer, and a search of the nodes (*queries.Reader).
type Reader interface {
	handlers.Reader
	Search(ctx context.Context, text string, limit int) (queries.SearchAnswer, error)
}

// New returns an MCP server whose tools answer from r.
func New(r Reader, opts Options) *mcp.Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Zone == nil {
		opts.Zone = time.UTC
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "todai", Title: "Todai", Version: opts.Version},
		&mcp.ServerOptions{Instructions: "Todai answers questions about a dbt project monitored by Elementary — " +
			"status, owners, failures, freshness, lineage, why data is stale, how urgent a failure is, health — from a " +
			"local mirror of Elementary's tables (never the warehouse). Tools are read-only but for the *_incident ones, " +
			"offered only when configured. Answers are JSON; an error " +
			"result carries a code (not_found with suggestions, ambiguous, bad_request)."})
	s.AddReceivingMiddleware(recoverPanics)
	a := answerer{r: r, opts: opts}
	for _, spec := range Tools() {
		tool := &mcp.Tool{Name: spec.Tool, Title: spec.Label[0], Description: description(spec),
			InputSchema: inputSchema(spec), Annotations: readOnly(spec.Label[0])}
		if out, err := outputSchema(spec); err == nil {
			tool.OutputSchema = out
		}
		s.AddTool(tool, a.intentTool(spec))
	}
	searchProps := map[string]any{"query": prop("string", "Words of the node's name or description (payments stripe)."),
		"limit": map[string]any{"type": "integer", "minimum": 1, "maximum": queries.MaxSearchResults,
			"description": "How many nodes at most (20 unless given)."}}
	s.AddTool(&mcp.Tool{Name: "search_nodes", Title: "Search nodes",
		Description: "Find the dbt nodes (models, sources, seeds, snapshots, exposures) whose name or description holds " +
			"the words given, the best match first, with their unique_id, owners and team: use it to find the node " +
			"the other tools take.",
		InputSchema: schema(searchProps, "query"), Annotations: readOnly("Search nodes")}, a.searchTool)
	if opts.Actions != nil {
		addActions(s, opts.Actions)
	}
	s.AddTool(&mcp.Tool{Name: "ask", Title: "Ask Todai",
		Description: "Ask any question Todai understands, in English or Japanese words (\"why is fct_orders stale?\", " +
			"\"fct_ordersが更新されていないのはなぜ?\"). Prefer the specific tools when one fits.",
		InputSchema: schema(map[string]any{"question": prop("string", "The question, in English or Japanese."),
			"cursor": prop("string", "The next_cursor of the previous page of the same question, for its next page.")}, "question"),
		Annotations: readOnly("Ask Todai")}, a.askTool)
	return s
}

// recoverPanics turns a panic answering a request into an error of that request, so that one bad call never takes
// the process (and, in todai serve, the Slack bot) down.
func recoverPanics(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
		defer func() {
			if p := recover(); p != nil {
				res, err = nil, fmt.Errorf("todai could not answer %s: %v", method, p)
			}
		}()
		return next(ctx, method, req)
	}
}

// Tools are the registry's intents offered as tools, in the registry's order: those the read model answers.
func Tools() []handlers.IntentSpec {
	var out []handlers.IntentSpec
	for _, s := range handlers.Specs() {
		if s.Tool != "" && s.Answer != nil {
			out = append(out, s)
		}
	}
	return out
}

func readOnly(title string) *mcp.ToolAnnotations {
	closed := false
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &closed}
}

// description is a tool's description: its help entry, how it is asked, and an example.
func description(spec handlers.IntentSpec) string {
	h := spec.Help[0]
	d := upperFirst(h.Description) + "."
	if len(h.Examples) > 0 {
		d += " Example question: \"" + h.Examples[0] + "\"."
	}
	return d + " Command form: " + h.Usage + "."
}

func upperFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

func prop(typ, desc string) map[string]any { return map[string]any{"type": typ, "description": desc} }

func schema(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// inputSchema declares what an intent takes, as its registry entry says: a node, a team, a window, a count.
func inputSchema(spec handlers.IntentSpec) map[string]any {
	props := map[string]any{"lang": map[string]any{"type": "string", "enum": []string{"en", "ja"},
		"description": "The language of the answer's words (en unless given)."},
		"cursor": prop("string", "The next_cursor of the previous page of the same question, for its next page.")}
	if spec.Args&handlers.ArgLimit == 0 {
		p := prop("integer", fmt.Sprintf("How many items of each list per page (%d unless given).", DefaultPageSize))
		p["minimum"], p["maximum"] = 1, MaxPageSize
		props["limit"] = p
	}
	var required []string
	switch spec.Node {
	case handlers.NeedsNode:
		props["node"] = prop("string", "The dbt node: a model, source, seed, snapshot, test or exposure, by name (fct_orders), "+
			"qualified name (analytics.fct_orders, stripe.payments) or unique_id (model.shop.fct_orders).")
		required = append(required, "node")
	case handlers.OptionalNode:
		props["node"] = prop("string", "A dbt node to narrow the answer to (name, qualified name or unique_id); omit for all.")
	}
	if spec.AboutRun {
		props["at"] = prop("string", "Answer as under an alert of this time: first the node's run then (the newest at or "+
			"before it) and what has happened since — recovered, still failing, not run again — then its state now. "+
			"An RFC 3339 time (2026-07-01T13:05:22Z), a date, yesterday, or a duration back (3d).")
	}
	for _, a := range argsOf(spec) {
		switch a {
		case handlers.ArgTeam:
			props["team"] = prop("string", "A team, as the Todai configuration or the dbt project names it (finance).")
		case handlers.ArgSince:
			props["since"] = prop("string", "The window's start: a duration back (3d, 12h), a date (2026-11-20) or yesterday.")
		case handlers.ArgLimit:
			p := prop("integer", "How many items (runs) to list.")
			p["minimum"], p["maximum"] = 1, handlers.MaxLimit
			props["limit"] = p
		case handlers.ArgUpdated:
			props["updated"] = prop("boolean", "Ask when its data was last updated (a successful build), not when it last ran.")
		}
	}
	return schema(props, required...)
}

// argsOf lists the arguments an intent takes besides its node.
func argsOf(spec handlers.IntentSpec) []handlers.Args {
	var out []handlers.Args
	for _, a := range []handlers.Args{handlers.ArgTeam, handlers.ArgSince, handlers.ArgLimit, handlers.ArgUpdated} {
		if spec.Args&a != 0 {
			out = append(out, a)
		}
	}
	return out
}

// toolArgs are every argument an intent's tool may take.
type toolArgs struct {
	Cursor  string `json:"cursor"`
	Node    string `json:"node"`
	Team    string `json:"team"`
	Since   string `json:"since"`
	Limit   *int   `json:"limit"`
	Updated bool   `json:"updated"`
	Lang    string `json:"lang"`
	At      string `json:"at"`
}

// askArgs are ask's arguments.
type askArgs struct {
	Question string `json:"question"`
	Cursor   string `json:"cursor"`
}

// answerer answers the tools' calls from the read model.
type answerer struct {
	r    Reader
	opts Options
}

// searchTool answers search_nodes: {"intent": "search", "query", "nodes"}.
func (a answerer) searchTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in struct {
		Query string `json:"query"`
		Limit *int   `json:"limit"`
	}
	if err := strictJSON(req.Params.Arguments, &in); err != nil {
		return badRequest("search", "arguments: "+err.Error()), nil
	}
	limit := 20
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > queries.MaxSearchResults {
			return badRequest("search", fmt.Sprintf("limit must be between 1 and %d", queries.MaxSearchResults)), nil
		}
		limit = *in.Limit
	}
	if strings.TrimSpace(in.Query) == "" {
		return badRequest("search", "query is required"), nil
	}
	if n := len([]rune(in.Query)); n > maxQueryRunes || len(strings.Fields(in.Query)) > maxQueryWords {
		return badRequest("search", fmt.Sprintf("the query is too long: at most %d characters and %d words", maxQueryRunes, maxQueryWords)), nil
	}
	found, err := a.r.Search(ctx, in.Query, limit)
	if err != nil {
		return errorResult("search", string(handlers.CodeUnavailable), "the search failed: "+err.Error()), nil
	}
	body := map[string]any{"intent": "search", "query": found.Query, "nodes": found.Nodes}
	b, err := json.Marshal(body)
	if err != nil {
		return errorResult("search", string(handlers.CodeUnavailable), err.Error()), nil
	}
	var structured map[string]any
	_ = json.Unmarshal(b, &structured) // just marshalled
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: structured}, nil
}

// intentTool answers an intent's tool: its arguments become the command-form question `todai ask` would be given
// ("why fct_orders", "failures team:finance since 3d"), asked and rendered as its JSON.
func (a answerer) intentTool(spec handlers.IntentSpec) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in toolArgs
		if err := strictJSON(req.Params.Arguments, &in); err != nil {
			return badRequest(spec.Intent, err.Error()), nil
		}
		question, err := commandQuestion(spec, in)
		if err != nil {
			return badRequest(spec.Intent, err.Error()), nil
		}
		size := DefaultPageSize
		if in.Limit != nil && spec.Args&handlers.ArgLimit == 0 {
			size = *in.Limit
		}
		var alert *handlers.AlertAt
		if in.At != "" {
			at, ok := handlers.ParseTime(in.At, a.opts.Now(), a.opts.Zone)
			switch {
			case !spec.AboutRun:
				return badRequest(spec.Intent, spec.Tool+" takes no at"), nil
			case len(in.At) > maxAtRunes:
				return badRequest(spec.Intent, fmt.Sprintf("at is not a time: it is over %d characters", maxAtRunes)), nil
			case !ok:
				return badRequest(spec.Intent, fmt.Sprintf("at %q is not a time: give 2026-07-01T13:05:22Z, a date, yesterday or 3d", in.At)), nil
			}
			alert = &handlers.AlertAt{At: at}
		}
		return a.answer(ctx, askedAs{question: question, alert: alert, at: in.At}, in.Lang, in.Cursor, size), nil
	}
}

// maxAtRunes bounds the time a tool is asked at (in bytes): the longest form it reads is
// 2026-07-01T13:05:22.123456789+09:00.
const maxAtRunes = 40

// askedAs is a question as a tool asks it: its words, and the past run it is about first (at, as given).
type askedAs struct {
	question string
	alert    *handlers.AlertAt
	at       string
}

// key is what a page's cursor is bound to: the question, and the time it is asked at.
func (q askedAs) key() string {
	if q.at == "" {
		return q.question
	}
	return q.question + " --at " + q.at
}

// askTool answers a question in words.
func (a answerer) askTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in askArgs
	if err := strictJSON(req.Params.Arguments, &in); err != nil {
		return badRequest("unknown", err.Error()), nil
	}
	if strings.TrimSpace(in.Question) == "" {
		return badRequest("unknown", "question is required"), nil
	}
	return a.answer(ctx, askedAs{question: in.Question}, "", in.Cursor, DefaultPageSize), nil
}

// strictJSON decodes arguments into v, refusing unknown fields and wrong types; none is no argument.
func strictJSON(raw json.RawMessage, into any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	return nil
}

// commandQuestion writes a tool call as the command form of its intent, and checks that the parser reads it back
// as given: a value is one word of letters, digits and . _ - / @ (what names and dates are made of), and a word the
// parser would take for another argument (a node called "3d" or "yesterday" in a question with a window) is refused
// rather than answered as something else.
func commandQuestion(spec handlers.IntentSpec, in toolArgs) (string, error) {
	parts := []string{spec.Words[0]}
	word := func(name, v string) error {
		if strings.IndexFunc(v, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-/@", r)
		}) >= 0 {
			return fmt.Errorf("%s must be one word of letters, digits and . _ - / @: %q", name, v)
		}
		return nil
	}
	if in.Node != "" {
		if spec.Node == handlers.NoNode {
			return "", fmt.Errorf("%s takes no node", spec.Tool)
		}
		if err := word("node", in.Node); err != nil {
			return "", err
		}
		parts = append(parts, in.Node)
	} else if spec.Node == handlers.NeedsNode {
		return "", fmt.Errorf("node is required")
	}
	for _, f := range []struct {
		arg   handlers.Args
		name  string
		value string
		form  string
	}{{handlers.ArgTeam, "team", in.Team, "team:%s"}, {handlers.ArgSince, "since", in.Since, "since %s"}} {
		if f.value == "" {
			continue
		}
		if spec.Args&f.arg == 0 {
			return "", fmt.Errorf("%s takes no %s", spec.Tool, f.name)
		}
		if err := word(f.name, f.value); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf(f.form, f.value))
	}
	switch {
	case in.Limit == nil:
	case spec.Args&handlers.ArgLimit != 0:
		if *in.Limit < 1 || *in.Limit > handlers.MaxLimit {
			return "", fmt.Errorf("limit must be between 1 and %d", handlers.MaxLimit)
		}
		parts = append(parts, fmt.Sprintf("last %d runs", *in.Limit))
	case *in.Limit < 1 || *in.Limit > MaxPageSize:
		return "", fmt.Errorf("limit (the page size) must be between 1 and %d", MaxPageSize)
	}
	if in.Updated {
		if spec.Args&handlers.ArgUpdated == 0 {
			return "", fmt.Errorf("%s takes no updated", spec.Tool)
		}
		parts = append(parts, "when was it last updated")
	}
	if in.Lang != "" && in.Lang != "en" && in.Lang != "ja" {
		return "", fmt.Errorf("lang must be en or ja")
	}
	question := strings.Join(parts, " ")
	q := handlers.Parse(question)
	readBack := q.Intent == spec.Intent && strings.EqualFold(q.Node, in.Node) && strings.EqualFold(q.Team, in.Team) &&
		(in.Since == "") == (q.Since.Kind == handlers.SinceNone) && q.LastSuccess == in.Updated
	if in.Limit != nil && spec.Args&handlers.ArgLimit != 0 {
		readBack = readBack && q.Limit == *in.Limit
	}
	if !readBack {
		return "", fmt.Errorf("the arguments do not read as given (a node or team named like another argument?): " +
			"give the node's unique_id, or use ask")
	}
	return question, nil
}

// answer asks question and returns its JSON as the tool's result — a page of it when its lists are longer than size
// or it is over MaxResultBytes (page), the page cursor names — or an error result for an answer that is an error.
func (a answerer) answer(ctx context.Context, asked askedAs, lang, cursor string, size int) *mcp.CallToolResult {
	q := handlers.Parse(asked.question)
	q.Alert = asked.alert
	switch {
	case lang != "":
		q.Lang = handlers.Lang(lang)
	case q.Command:
		q.Lang = handlers.NormLang(a.opts.Lang)
	}
	q.Zone = a.opts.Zone
	at, err := readCursor(cursor, asked.key())
	if err != nil {
		return badRequest(q.Intent, err.Error())
	}
	if at.Size > 0 {
		size = at.Size
	}
	res := handlers.Ask(ctx, a.r, q, a.opts.Now())
	var out bytes.Buffer
	if err := handlers.RenderJSON(&out, res); err != nil {
		return errorResult(res.Intent, "internal", "the answer could not be written: "+err.Error())
	}
	var structured map[string]any
	if err := json.Unmarshal(out.Bytes(), &structured); err != nil {
		return errorResult(res.Intent, "internal", "the answer is not JSON: "+err.Error())
	}
	text := strings.TrimSpace(out.String())
	if res.Err == nil && (at.Offset > 0 || out.Len() > MaxResultBytes || longestList(structured) > size) {
		page, body, err := pageOf(structured, asked.key(), at.Offset, size)
		if err != nil {
			return errorResult(res.Intent, "too_large", err.Error())
		}
		structured, text = page, body
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}, StructuredContent: structured,
		IsError: res.Err != nil}
}

// badRequest is a tool's refusal of its arguments, in the JSON form of a bad_request answer.
func badRequest(intent handlers.Intent, message string) *mcp.CallToolResult {
	return errorResult(string(intent), string(handlers.CodeBadRequest), message)
}

// errorResult is an error result whose text is the JSON of an answer's error ({intent, error{code, message,
// suggestions}}).
func errorResult(intent, code, message string) *mcp.CallToolResult {
	body := map[string]any{"intent": intent, "error": map[string]any{"code": code, "message": message, "suggestions": []string{}}}
	b, _ := json.Marshal(body) // maps of strings always marshal
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: body, IsError: true}
}
