package handlers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// field is one documented field: its name, whether it is a list, and the fields each of its objects (or its
// items) must carry.
type field struct {
	name   string
	list   bool
	fields []field
}

var (
	contractOnce sync.Once
	contract     map[string][]field
	contractErr  error
)

// documentedFields reads the **Fields:** line of each intent's section of docs/json.md.
func documentedFields(t *testing.T) map[string][]field {
	t.Helper()
	contractOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("..", "docs", "json.md"))
		if err != nil {
			contractErr = err
			return
		}
		contract = map[string][]field{}
		reSpan := regexp.MustCompile("`([^`]+)`")
		intent := ""
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "### ") {
				intent = strings.TrimSpace(strings.TrimPrefix(line, "### "))
				continue
			}
			if intent == "" || !strings.HasPrefix(line, "**Fields:**") {
				continue
			}
			for _, m := range reSpan.FindAllStringSubmatch(line, -1) {
				f, rest := parseField(m[1])
				if rest != "" {
					contractErr = fmt.Errorf("%s: cannot read field %q (left %q)", intent, m[1], rest)
					return
				}
				contract[intent] = append(contract[intent], f)
			}
		}
	})
	if contractErr != nil {
		t.Fatalf("read docs/json.md: %v", contractErr)
	}
	return contract
}

// parseField reads `name`, `name[]`, `name{a,b}`, `name[{a,b[]}]` and returns the rest.
func parseField(s string) (field, string) {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	f := field{name: s[:i]}
	s = s[i:]
	if strings.HasPrefix(s, "[") {
		f.list = true
		s = s[1:]
	}
	if strings.HasPrefix(s, "{") {
		s = s[1:]
		for len(s) > 0 && s[0] != '}' {
			var sub field
			sub, s = parseField(s)
			f.fields = append(f.fields, sub)
			s = strings.TrimPrefix(s, ",")
		}
		s = strings.TrimPrefix(s, "}")
	}
	if f.list {
		s = strings.TrimPrefix(s, "]")
	}
	return f, s
}

// checkDocumented fails when an answer's JSON lacks a field docs/json.md lists for its intent.
func checkDocumented(t *testing.T, intent string, js []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if _, isErr := m["error"]; isErr {
		return
	}
	fields, ok := documentedFields(t)[intent]
	if !ok {
		t.Fatalf("docs/json.md has no **Fields:** line for intent %q", intent)
	}
	for _, p := range missingFields("", m, fields) {
		t.Errorf("%s answer: %s (docs/json.md lists it)\n%s", intent, p, js)
	}
	if alert, ok := m["alert"].(map[string]any); ok {
		for _, p := range missingFields("alert.", alert, documentedFields(t)["alert"]) {
			t.Errorf("%s answer's alert: %s (docs/json.md lists it)\n%s", intent, p, js)
		}
	}
}

// missingFields lists what obj lacks of fields: a null is present; a list must be a list; the fields of an object,
// or of each item of a list, are checked in turn.
func missingFields(path string, obj map[string]any, fields []field) []string {
	var out []string
	for _, f := range fields {
		v, ok := obj[f.name]
		if !ok {
			out = append(out, path+f.name+" is missing")
			continue
		}
		switch {
		case f.list:
			items, ok := v.([]any)
			if !ok {
				out = append(out, path+f.name+" is not a list")
				continue
			}
			for _, it := range items {
				if len(f.fields) == 0 {
					break
				}
				o, ok := it.(map[string]any)
				if !ok {
					out = append(out, path+f.name+" holds a non-object")
					continue
				}
				out = append(out, missingFields(path+f.name+"[].", o, f.fields)...)
			}
		case len(f.fields) > 0 && v != nil:
			o, ok := v.(map[string]any)
			if !ok {
				out = append(out, path+f.name+" is not an object")
				continue
			}
			out = append(out, missingFields(path+f.name+".", o, f.fields)...)
		}
	}
	return out
}

// TestJSONContract: every answerable intent has a **Fields:** line in docs/json.md, and the check that TestGolden
// and TestAskRealMirror run on every answer catches what is missing.
func TestJSONContract(t *testing.T) {
	fields := documentedFields(t)
	for _, s := range intents {
		if (s.Answer != nil || s.Intent == IntentHelp) && len(fields[string(s.Intent)]) == 0 {
			t.Errorf("docs/json.md lists no fields for %s", s.Intent)
		}
	}
	for _, tc := range []struct {
		spec, js string
		want     []string
	}{
		{"runs[{status,message}]", `{"runs":[{"status":"ok","message":null}]}`, nil},
		{"runs[{status,message}]", `{"runs":[{"status":"ok"}]}`, []string{"runs[].message is missing"}},
		{"runs[{status,message}]", `{"runs":null}`, []string{"runs is not a list"}},
		{"last_run{status,message}", `{"last_run":null}`, nil},
		{"last_run{status,message}", `{"last_run":{"message":"x"}}`, []string{"last_run.status is missing"}},
		{"test{tested[]}", `{"test":{"tested":{}}}`, []string{"test.tested is not a list"}},
	} {
		f, rest := parseField(tc.spec)
		if rest != "" {
			t.Fatalf("parseField(%q) left %q", tc.spec, rest)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(tc.js), &m); err != nil {
			t.Fatal(err)
		}
		if got := missingFields("", m, []field{f}); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s on %s: missing %v, want %v", tc.spec, tc.js, got, tc.want)
		}
	}
}
