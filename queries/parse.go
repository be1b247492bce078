package queries

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// parseList reads a list-valued column as Elementary writes it: a JSON list, a JSON string, a comma-separated
// string or a single value. Malformed JSON is read as a plain string. Items are trimmed; empty ones dropped.
func parseList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil
	}
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, `"`) {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err == nil {
			return flattenList(v)
		}
	}
	return splitComma(s)
}

// flattenList turns a decoded JSON value into strings: lists are flattened, strings split on commas (as the
// Elementary CLI's unpack_and_flatten_and_dedup_list_of_strings does), other scalars printed.
func flattenList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return parseListString(x)
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flattenList(e)...)
		}
		return out
	case map[string]any:
		return nil
	default:
		return []string{scalarString(x)}
	}
}

// parseListString reads a string item: a nested JSON list string is unpacked, otherwise split on commas.
func parseListString(s string) []string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		var v []any
		if err := json.Unmarshal([]byte(t), &v); err == nil {
			return flattenList(v)
		}
	}
	return splitComma(t)
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// mergeOwners is the set union of the lists, order kept, deduplicated case-insensitively (a leading "@" is part
// of the value: "@jane" and "jane" stay distinct, as in Elementary).
func mergeOwners(lists ...[]string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, l := range lists {
		for _, o := range l {
			o = strings.TrimSpace(o)
			k := strings.ToLower(o)
			if o == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, o)
		}
	}
	return out
}

// parseMeta decodes a meta column. Malformed or non-object JSON yields nil: such meta is kept only as raw text.
func parseMeta(s string) map[string]any {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil
	}
	return m
}

// metaValue returns meta[key], with meta.alerts_config[key] overriding it as the Elementary CLI does.
func metaValue(meta map[string]any, key string) (any, bool) {
	if ac, ok := meta["alerts_config"].(map[string]any); ok {
		if v, ok := ac[key]; ok && v != nil {
			return v, true
		}
	}
	v, ok := meta[key]
	return v, ok && v != nil
}

// metaOwners reads meta.owner (string, comma string or list).
func metaOwners(meta map[string]any) []string {
	v, ok := meta["owner"]
	if !ok {
		return nil
	}
	return flattenList(v)
}

// metaString reads a scalar meta value as text ("" when absent). Lists are joined with commas.
func metaString(meta map[string]any, key string) string {
	v, ok := metaValue(meta, key)
	if !ok {
		return ""
	}
	if l, ok := v.([]any); ok {
		return strings.Join(flattenList(l), ",")
	}
	if _, ok := v.(map[string]any); ok {
		return scalarString(v)
	}
	return strings.TrimSpace(scalarString(v))
}

// criticalityKeys are the meta keys that declare how much a node matters, in order of preference.
var criticalityKeys = [...]string{"criticality", "priority", "tier", "sla"}

// metaCriticality returns the first declared criticality as "value" and the key it came from.
func metaCriticality(meta map[string]any) (value, key string) {
	for _, k := range criticalityKeys {
		if v := metaString(meta, k); v != "" {
			return v, k
		}
	}
	return "", ""
}

// isCritical says whether a declared criticality means "this matters a lot": high/critical/P0/P1/tier 1/gold, or
// any SLA at all.
func isCritical(value, key string) bool {
	if value == "" {
		return false
	}
	if key == "sla" {
		return true
	}
	v := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(value))
	switch v {
	case "high", "critical", "veryhigh", "highest", "urgent", "p0", "p1", "0", "1", "tier0", "tier1", "t0", "t1",
		"gold", "platinum", "sev1", "sev0", "mission critical", "missioncritical", "true":
		return true
	}
	return false
}

// parseTime reads a time the mirror holds, strictly in its own layout (localdb.TimeLayout: the sync writes every
// time so); ok is false for anything else — a text the sync kept because it was not a time.
func parseTime(s string) (time.Time, bool) {
	t, err := localdb.ParseTime(s)
	return t, err == nil
}

// timePtr parses a nullable mirror time; unreadable values become nil.
func timePtr(s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, ok := parseTime(*s)
	if !ok {
		return nil
	}
	return &t
}

// textOrNil is s, or nil when it is blank.
func textOrNil(s string) *string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return &s
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonList is a list as a JSON array (never null): a parameter that SQL reads with json_each.
func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	if err != nil {
		return "[]"
	}
	return string(b)
}

func decodeJSONList(s string) []string {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil
	}
	return l
}
