package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/todai-dev/todai/queries"
)

// jsonHead is the envelope every JSON answer starts with.
type jsonHead struct {
	Intent  string       `json:"intent"`
	AsOf    *string      `json:"as_of"`
	Warning *jsonWarning `json:"warning,omitempty"`
	Error   *jsonError   `json:"error,omitempty"`
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

// Lineage answers are written with explicit (never omitted) lists.
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

// jsonBody copies the answer with every list non-nil and every time in UTC.
func jsonBody(res Result) any {
	switch a := res.Answer.(type) {
	case *queries.StatusAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.LastRun = fixRunPtr(c.LastRun)
		c.Tests = fixTests(c.Tests)
		c.Freshness = fixSources(c.Freshness, true)
		return c
	case *queries.OwnerAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.Owners = nonNil(c.Owners)
		return c
	case *queries.LastRunAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.Runs = fixRuns(c.Runs)
		return c
	case *queries.FailuresAnswer:
		c := *a
		c.Since = c.Since.UTC()
		c.Failures = make([]queries.Failure, len(a.Failures))
		for i, f := range a.Failures {
			f.DetectedAt = utcPtr(f.DetectedAt)
			c.Failures[i] = f
		}
		return c
	case *queries.FreshnessAnswer:
		return queries.FreshnessAnswer{Sources: fixSources(a.Sources, false)}
	case *queries.LineageAnswer:
		if res.Intent == string(IntentDownstream) {
			return jsonDownstream{Node: fixNode(a.Node), Downstream: nonNil(a.Downstream), Exposures: nonNil(a.Exposures)}
		}
		return jsonUpstream{Node: fixNode(a.Node), Upstream: nonNil(a.Upstream)}
	case *queries.DescribeAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.Tags = nonNil(c.Tags)
		c.Columns = nonNil(c.Columns)
		c.Exposures = nonNil(c.Exposures)
		return c
	case *queries.WhyAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.LastSuccess = fixRunPtr(c.LastSuccess)
		c.FailedSince = fixRuns(c.FailedSince)
		c.FailingTests = fixTests(c.FailingTests)
		c.LikelyCauses = nonNil(c.LikelyCauses)
		return c
	case *queries.UrgencyAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.FailingSince = utcPtr(c.FailingSince)
		c.DownstreamModels = nonNil(c.DownstreamModels)
		c.Exposures = nonNil(c.Exposures)
		c.Reasons = nonNil(c.Reasons)
		c.FailingTests = fixTests(c.FailingTests)
		return c
	case *queries.TestsAnswer:
		c := *a
		c.Node = fixNode(c.Node)
		c.Tests = make([]queries.TestRecord, len(a.Tests))
		for i, t := range a.Tests {
			t.DetectedAt = utcPtr(t.DetectedAt)
			c.Tests[i] = t
		}
		return c
	case *HelpAnswer:
		c := *a
		c.Commands = nonNil(c.Commands)
		return c
	}
	return struct{}{}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func fixNode(n queries.Node) queries.Node {
	n.Owners = nonNil(n.Owners)
	return n
}

func fixRunPtr(r *queries.Run) *queries.Run {
	if r == nil {
		return nil
	}
	c := *r
	c.CompletedAt = utcPtr(c.CompletedAt)
	return &c
}

func fixRuns(in []queries.Run) []queries.Run {
	out := make([]queries.Run, len(in))
	for i, r := range in {
		r.CompletedAt = utcPtr(r.CompletedAt)
		out[i] = r
	}
	return out
}

func fixTests(in []queries.TestState) []queries.TestState {
	out := make([]queries.TestState, len(in))
	for i, t := range in {
		t.DetectedAt = utcPtr(t.DetectedAt)
		out[i] = t
	}
	return out
}

// fixSources copies sources with UTC times; keepNil leaves a nil list nil (for omitempty fields).
func fixSources(in []queries.SourceFreshness, keepNil bool) []queries.SourceFreshness {
	if in == nil && keepNil {
		return nil
	}
	out := make([]queries.SourceFreshness, len(in))
	for i, s := range in {
		s.MaxLoadedAt = utcPtr(s.MaxLoadedAt)
		s.SnapshottedAt = utcPtr(s.SnapshottedAt)
		out[i] = s
	}
	return out
}
