package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// jsonHead is the envelope every JSON answer starts with.
type jsonHead struct {
	Intent  string       `json:"intent"`
	AsOf    *string      `json:"as_of"`
	Warning *jsonWarning `json:"warning,omitempty"`
	Error   *jsonError   `json:"error,omitempty"`
	// Alert is the run the alert the question was asked under reported, and what has happened since.
	Alert any `json:"alert,omitempty"`
}

type jsonWarning struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	LastAttempt string `json:"last_attempt"`
	Error       string `json:"error"`
}

type jsonError struct {
	Code        ErrorCode `json:"code"`
	Message     string    `json:"message"`
	Suggestions []string  `json:"suggestions"`
}

// Lineage answers are written with explicit (never omitted) lists, one direction at a time.
type jsonUpstream struct {
	Node     queries.Node          `json:"node"`
	Upstream []queries.LineageNode `json:"upstream"`
}

type jsonDownstream struct {
	Node       queries.Node          `json:"node"`
	Downstream []queries.LineageNode `json:"downstream"`
	Exposures  []queries.Exposure    `json:"exposures"`
}

// RenderJSON writes res as one JSON object followed by a newline; the contract is in docs/json.md.
func RenderJSON(w io.Writer, res Result) error {
	head := jsonHead{Intent: res.Intent}
	if !res.AsOf.IsZero() {
		s := res.AsOf.UTC().Format(time.RFC3339)
		head.AsOf = &s
	}
	if res.Warning != nil {
		head.Warning = &jsonWarning{Code: "sync_failed", Message: WarningText(res),
			LastAttempt: res.Warning.LastAttempt.UTC().Format(time.RFC3339), Error: res.Warning.Error}
	}
	if res.Alert != nil {
		head.Alert = jsonReady(res.Alert)
	}
	var body any
	if res.Err != nil {
		sugg := res.Err.Suggestions
		if sugg == nil {
			sugg = []string{}
		}
		head.Error = &jsonError{Code: res.Err.Code, Message: res.Err.Message, Suggestions: sugg}
	} else {
		body = jsonBody(res)
	}
	out, err := marshal(head)
	if err != nil {
		return fmt.Errorf("render json %s: %w", res.Intent, err)
	}
	if body != nil {
		b, err := marshal(body)
		if err != nil {
			return fmt.Errorf("render json %s: %w", res.Intent, err)
		}
		// Splice {"intent":…} and {…answer…} into one object, keeping the envelope first.
		if len(b) > 2 {
			out = append(out[:len(out)-1], ',')
			out = append(out, b[1:]...)
		}
	}
	out = append(out, '\n')
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("render json %s: %w", res.Intent, err)
	}
	return nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// jsonBody is the answer as JSON shows it: a lineage answer shows the one direction asked for, every other answer
// itself, made ready by jsonReady.
func jsonBody(res Result) any {
	switch a := res.Answer.(type) {
	case nil:
		return struct{}{}
	case *queries.LineageAnswer:
		if res.Intent == string(IntentDownstream) {
			return jsonReady(jsonDownstream{Node: a.Node, Downstream: a.Downstream, Exposures: a.Exposures})
		}
		return jsonReady(jsonUpstream{Node: a.Node, Upstream: a.Upstream})
	}
	return jsonReady(res.Answer)
}

// jsonReady copies v for JSON with every time in UTC and every nil list an empty one, unless its field is
// omitempty (docs/json.md: lists are always lists). The answer itself is left as it is.
func jsonReady(v any) any {
	return readyValue(reflect.ValueOf(v), false).Interface()
}

var timeType = reflect.TypeFor[time.Time]()

func readyValue(v reflect.Value, omitEmpty bool) reflect.Value {
	if v.Type() == timeType {
		return reflect.ValueOf(v.Interface().(time.Time).UTC())
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(readyValue(v.Elem(), false))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() {
				out.Field(i).Set(readyValue(v.Field(i), strings.Contains(f.Tag.Get("json"), ",omitempty")))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			if omitEmpty {
				return v
			}
			return reflect.MakeSlice(v.Type(), 0, 0)
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(readyValue(v.Index(i), false))
		}
		return out
	}
	return v
}
