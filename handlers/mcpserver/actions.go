package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Actions change incidents for an assistant, as the one Slack user the configuration names (mcp.actor), recorded
// in the incident's timeline like a click. Each returns what it did, in a sentence.
type Actions interface {
	Acknowledge(ctx context.Context, incident int64) (string, error)
	Take(ctx context.Context, incident int64) (string, error)
	Resolve(ctx context.Context, incident int64, reason, note string) (string, error)
}

// ActionError is an action refused: Code is not_found (no such incident) or bad_request (resolved already, an
// unknown reason, a note too long).
type ActionError struct {
	Code    string
	Message string
}

func (e *ActionError) Error() string { return e.Message }

// addActions adds the tools that change incidents: ack_incident, take_incident and resolve_incident.
func addActions(s *mcp.Server, act Actions) {
	changes := func(title string) *mcp.ToolAnnotations {
		closed, destructive := false, false
		return &mcp.ToolAnnotations{Title: title, IdempotentHint: true, OpenWorldHint: &closed, DestructiveHint: &destructive}
	}
	incident := map[string]any{"type": "integer", "minimum": 1, "description": "The incident's number (#42 in Slack)."}
	s.AddTool(&mcp.Tool{Name: "ack_incident", Title: "Acknowledge an incident", Annotations: changes("Acknowledge an incident"),
		Description: "Acknowledge a Todai incident: its escalation stops. Done as the Slack user Todai's configuration names.",
		InputSchema: schema(map[string]any{"incident": incident}, "incident")},
		actionTool(func(ctx context.Context, in actionArgs) (string, error) { return act.Acknowledge(ctx, in.Incident) }))
	s.AddTool(&mcp.Tool{Name: "take_incident", Title: "Take an incident", Annotations: changes("Take an incident"),
		Description: "Make the configured Slack user the incident's assignee (it is acknowledged).",
		InputSchema: schema(map[string]any{"incident": incident}, "incident")},
		actionTool(func(ctx context.Context, in actionArgs) (string, error) { return act.Take(ctx, in.Incident) }))
	s.AddTool(&mcp.Tool{Name: "resolve_incident", Title: "Resolve an incident", Annotations: changes("Resolve an incident"),
		Description: "Resolve an incident as a person judged it, with an optional note; its Slack message and thread say so.",
		InputSchema: schema(map[string]any{"incident": incident,
			"reason": map[string]any{"type": "string", "enum": []string{"fixed", "expected", "no_action_needed", "false_positive"},
				"description": "How it ended."},
			"note": prop("string", "What happened, what was done (at most 3,000 characters).")}, "incident", "reason")},
		actionTool(func(ctx context.Context, in actionArgs) (string, error) {
			return act.Resolve(ctx, in.Incident, in.Reason, in.Note)
		}))
}

// actionArgs are the arguments of the action tools.
type actionArgs struct {
	Incident int64  `json:"incident"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
}

// actionTool answers an action tool: {"intent": "action", "incident", "done"}, or an error result.
func actionTool(do func(context.Context, actionArgs) (string, error)) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in actionArgs
		if err := strictJSON(req.Params.Arguments, &in); err != nil {
			return errorResult("action", "bad_request", "arguments: "+err.Error()), nil
		}
		if in.Incident < 1 {
			return errorResult("action", "bad_request", "incident is required: the incident's number"), nil
		}
		done, err := do(ctx, in)
		var ae *ActionError
		switch {
		case errors.As(err, &ae):
			return errorResult("action", ae.Code, ae.Message), nil
		case err != nil:
			return errorResult("action", "unavailable", fmt.Sprintf("incident %d: %v", in.Incident, err)), nil
		}
		body := map[string]any{"intent": "action", "incident": in.Incident, "done": done}
		b, _ := json.Marshal(body) // strings and a number always marshal
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: body}, nil
	}
}
