package slacktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// newTrigger hands out a trigger_id for an envelope: views.open takes it once.
func (s *Slack) newTrigger() string {
	id := "trigger-" + s.newEnvelopeID()
	s.mu.Lock()
	s.triggers[id] = true
	s.mu.Unlock()
	return id
}

// viewsOpen opens a modal for a trigger handed out in an envelope, once, as Slack does: an unknown trigger is
// invalid_trigger_id, a used one expired_trigger_id; a view that is not a modal, has no title or a title over 24
// characters, has inputs but no submit, or more than 100 blocks is invalid_arguments.
func (s *Slack) viewsOpen(req apiRequest) apiResult {
	var body struct {
		TriggerID string         `json:"trigger_id"`
		View      map[string]any `json:"view"`
	}
	if len(req.json) > 0 {
		if err := json.Unmarshal(req.json, &body); err != nil {
			return fail("invalid_arguments")
		}
	} else if req.form != nil {
		body.TriggerID = req.form.Get("trigger_id")
		_ = json.Unmarshal([]byte(req.form.Get("view")), &body.View)
	}
	if problem := modalProblem(body.View); problem != "" {
		return fail(problem)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unused, known := s.triggers[body.TriggerID]
	switch {
	case !known:
		return fail("invalid_trigger_id")
	case !unused:
		return fail("expired_trigger_id")
	}
	s.triggers[body.TriggerID] = false
	id := fmt.Sprintf("V%06d", s.nextIDLocked())
	body.View["id"], body.View["team_id"], body.View["app_id"] = id, s.cfg.teamID, s.cfg.appID
	b, err := json.Marshal(body.View)
	if err != nil {
		return fail("internal_error")
	}
	s.modals = append(s.modals, Modal{ID: id, TriggerID: body.TriggerID, View: b})
	s.notifyLocked()
	return ok(map[string]any{"view": json.RawMessage(b)})
}

// modalProblem is Slack's error for a view views.open refuses, "" when it takes it.
func modalProblem(v map[string]any) string {
	if v == nil || v["type"] != "modal" {
		return "invalid_arguments"
	}
	title, _ := v["title"].(map[string]any)
	text, _ := title["text"].(string)
	if text == "" || utf8.RuneCountInString(text) > 24 {
		return "invalid_arguments"
	}
	blocks, _ := v["blocks"].([]any)
	if len(blocks) > 100 {
		return "invalid_arguments"
	}
	inputs := slices.ContainsFunc(blocks, func(b any) bool { m, _ := b.(map[string]any); return m["type"] == "input" })
	if inputs && v["submit"] == nil {
		return "invalid_arguments"
	}
	return ""
}

// Modals returns the modals opened so far, oldest first.
func (s *Slack) Modals() []Modal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.modals)
}

// SendViewSubmission delivers a view_submission envelope for a modal Todai opened (its callback_id and
// private_metadata as the view said) with the user's inputs, and returns its envelope_id; the ack's payload
// (response_action) is in Acks.
func (s *Slack) SendViewSubmission(v ViewSubmission) string {
	var view map[string]any
	s.mu.Lock()
	for _, m := range s.modals {
		if m.ID == v.ViewID {
			_ = json.Unmarshal(m.View, &view)
		}
	}
	s.mu.Unlock()
	if view == nil {
		s.t.Errorf("slacktest: no modal %s was opened", v.ViewID)
		return ""
	}
	values := map[string]any{}
	for block, actions := range v.Options {
		vs := map[string]any{}
		for action, value := range actions {
			vs[action] = map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": value,
				"text": map[string]any{"type": "plain_text", "text": value}}}
		}
		values[block] = vs
	}
	for block, actions := range v.Texts {
		vs, _ := values[block].(map[string]any)
		if vs == nil {
			vs = map[string]any{}
		}
		for action, value := range actions {
			vs[action] = map[string]any{"type": "plain_text_input", "value": value}
		}
		values[block] = vs
	}
	view["state"] = map[string]any{"values": values}
	view["hash"] = "156772938.1827394"
	payload := map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": s.cfg.teamID, "domain": "slacktest"},
		"user":       map[string]any{"id": v.UserID, "username": v.UserID, "name": v.UserID, "team_id": s.cfg.teamID},
		"api_app_id": s.cfg.appID,
		"token":      "deprecated-verification-token",
		"trigger_id": s.newTrigger(),
		"view":       view,
	}
	return s.SendEnvelope("interactive", payload, true, 0, "")
}
