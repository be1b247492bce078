package mcpserver

import (
	"encoding/json"
	"errors"
	"reflect"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// outputSchema is the JSON Schema of an intent's answer as its tool returns it: the answer's fields (from its Go
// type, as docs/json.md describes them) beside the envelope's intent, as_of and warning, and a page's page object.
func outputSchema(spec handlers.IntentSpec) (*jsonschema.Schema, error) {
	if spec.Zero == nil {
		return nil, errors.New("no answer type")
	}
	t := reflect.TypeOf(spec.Zero())
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	opts := &jsonschema.ForOptions{IgnoreInvalidTypes: true, TypeSchemas: map[reflect.Type]*jsonschema.Schema{
		reflect.TypeFor[time.Time]():       {Type: "string", Format: "date-time"},
		reflect.TypeFor[json.RawMessage](): {},
	}}
	s, err := jsonschema.ForType(t, opts)
	if err != nil {
		return nil, err
	}
	if s.Properties == nil {
		s.Properties = map[string]*jsonschema.Schema{}
	}
	s.Properties["intent"] = &jsonschema.Schema{Type: "string", Description: "The intent that answered."}
	s.Properties["as_of"] = &jsonschema.Schema{Type: "string", Format: "date-time", Description: "When the mirror was last synced."}
	s.Properties["warning"] = &jsonschema.Schema{Type: "object", Description: "Set when the last sync failed."}
	s.Properties["page"] = &jsonschema.Schema{Type: "object", Description: "Set on a page: offset, limit, totals, truncated, next_cursor."}
	if spec.AboutRun {
		alert, err := jsonschema.ForType(reflect.TypeFor[queries.Occurrence](), opts)
		if err != nil {
			return nil, err
		}
		alert.Description = "Set when asked with at: the run then and what has happened since (docs/json.md#alert)."
		s.Properties["alert"] = alert
	}
	s.Required = append(s.Required, "intent")
	s.AdditionalProperties = nil
	return s, nil
}
