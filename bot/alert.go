package bot

import (
	"cmp"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// AlertMessage is a Slack message as conversations.replies returns it: its text and its raw blocks and attachments.
type AlertMessage struct {
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
}

// Alert is what Todai reads from an Elementary alert message (docs: elementary-schema.md §4.2).
type Alert struct {
	// Kind is "test", "model", "snapshot", "source", "schema_change" or "group".
	Kind string
	// Status is the header's status word ("Failure", "Warning", "Error", "Runtime Error"), if any.
	Status string
	// Table is the lower-cased db.schema.table of a test or schema-change alert.
	Table string
	// Column is the column a test or schema change is on, if the alert names one.
	Column string
	// Test is the test's short name.
	Test string
	// UniqueID is the node's unique_id when a report link names it (model runs, table groups).
	UniqueID string
	// TestRunsID is the id a report/test-runs/<id>/ link names: a test's elementary_unique_id
	// (test_unique_id[.column.sub_type]) or a freshness alert's source_freshness_execution_id.
	TestRunsID string
	// Links are the ids of every report link, in reading order (a group lists one per alert).
	Links []string
	// Name is the quoted model, snapshot or source name of the header, or a table group's model name.
	Name string
	// Subject is the name in the *Test:*, *Model:*, *Snapshot:* or *Source:* subtitle.
	Subject string
	// Candidates are the names to ask about, best first: a unique_id, then qualified names, then bare names.
	Candidates []string
	// Time is when the failure was detected as the subtitle's *Time:* shows it ("2026-07-01 13:05:22 UTC", in
	// edr monitor's --timezone), or a workflow alert's detected_at; "" when the message does not say (DetectedAt
	// reads it).
	Time string

	headerName string // the quoted model/source name or group name in the header, while reading
	truncated  bool   // the header was cut by edr (over 150 characters, ending in "...")
}

// Node returns the best name to ask about, or "" when the alert names none.
func (a Alert) Node() string {
	if len(a.Candidates) == 0 {
		return ""
	}
	return a.Candidates[0]
}

var (
	reAlertTest    = regexp.MustCompile(`^(?:([A-Za-z][A-Za-z ]*): )?"([^"]+)" test failed on (\S+)`)
	reAlertSchema  = regexp.MustCompile(`^(Column Added|Column Removed|Type Changed) on (\S+)`)
	reAlertModel   = regexp.MustCompile(`^(?:([A-Za-z][A-Za-z ]*): )?dbt failed to build (?:([A-Za-z_]+) )?"([^"]+)"`)
	reAlertFresh   = regexp.MustCompile(`^(?:([A-Za-z][A-Za-z ]*): )?(?:Freshness exceeded the acceptable times on source|Failed to calculate the source freshness of) "([^"]+)"`)
	reAlertGroup   = regexp.MustCompile(`^([A-Za-z][A-Za-z ]*): ([A-Za-z0-9_.\-]+): \d+ issues? detected`)
	reAlertAll     = regexp.MustCompile(`^([A-Za-z][A-Za-z ]*): \d+ issues? detected\s*$`)
	reAlertTable   = regexp.MustCompile(`\*Table\*\s*\n\s*([^\s*]+)`)
	reAlertSubject = regexp.MustCompile(`\*(Test|Model|Snapshot|Source):\*\s*([^|*\n]+)`)
	reAlertReport  = regexp.MustCompile(`report/(test-runs|model-runs)/([^/|>?\s"]+)/?`)
	reAlertTree    = regexp.MustCompile(`report/test-runs/\?treeNode=([^|>\s]+)`)
	reAlertColumn  = regexp.MustCompile(`\*Column\*\s*\n\s*([^\s*]+)`)
	reAlertTime    = regexp.MustCompile(`\*Time:\*\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?: [A-Za-z][A-Za-z0-9+\-]{0,5})?)`)
)

// RecognizeAlert reads an Elementary alert: the header forms of the current block layout and the legacy attachments
// layout, the "Powered by Elementary" line, the *Test:*/*Model:*/*Source:* subtitle and report links. ok is false for
// messages that are not Elementary alerts. It never fails on malformed input.
func RecognizeAlert(m AlertMessage) (Alert, bool) {
	texts := alertTexts(m)
	var a Alert
	header := false
	powered := false
	var subjectKind, subjectName string
	var modelRunsID, treeID, detailsTable, detailsColumn string
	if w, ok := workflowAlert(m.Text); ok {
		return w, true
	}
	for _, t := range texts {
		t = strings.TrimSpace(t)
		if !header {
			header = a.readHeader(t)
		}
		if strings.Contains(t, "elementary-data.com") && strings.Contains(t, "Elementary") {
			powered = true
		}
		if subjectKind == "" {
			if sm := reAlertSubject.FindStringSubmatch(t); sm != nil {
				subjectKind, subjectName = strings.ToLower(sm[1]), strings.TrimSpace(sm[2])
			}
		}
		if treeID == "" {
			if sm := reAlertTree.FindStringSubmatch(t); sm != nil {
				treeID = treeNodeID(sm[1])
			}
		}
		for _, sm := range reAlertReport.FindAllStringSubmatch(t, -1) {
			id, err := url.PathUnescape(sm[2])
			if err != nil {
				continue
			}
			if !slices.Contains(a.Links, id) {
				a.Links = append(a.Links, id)
			}
			if sm[1] == "model-runs" && modelRunsID == "" {
				modelRunsID = id
			}
			if sm[1] == "test-runs" && a.TestRunsID == "" {
				a.TestRunsID = id
			}
		}
		if sm := reAlertTime.FindStringSubmatch(t); sm != nil && a.Time == "" {
			a.Time = sm[1]
		}
		if sm := reAlertColumn.FindStringSubmatch(t); sm != nil {
			detailsColumn = sm[1]
		}
		if sm := reAlertTable.FindStringSubmatch(t); sm != nil {
			detailsTable = strings.ToLower(sm[1])
		}
	}
	// The Details section names the table and column whole; a header over 150 characters is cut ("…cust...").
	if detailsTable != "" && (a.Table == "" || a.truncated) {
		a.Table = detailsTable
	}
	if detailsColumn != "" && (a.Column == "" || a.truncated) {
		a.Column = detailsColumn
	}
	if !header && !(subjectKind != "" && (powered || modelRunsID != "" || treeID != "")) {
		return Alert{}, false
	}
	if a.Kind == "all" && !powered && len(a.Links) == 0 {
		return Alert{}, false // "Error: 3 issues detected" alone could be anyone's
	}
	if a.Kind == "" {
		a.Kind = subjectKind
	}
	if a.Kind == "test" && a.Test == "" && subjectKind == "test" {
		a.Test, _, _ = strings.Cut(subjectName, " - ") // the header was cut before its test name ended
	}
	var cands []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(cands, s) {
			cands = append(cands, s)
		}
	}
	if id := cmp.Or(modelRunsID, treeID); id != "" {
		a.UniqueID = id
		add(id)
	}
	switch a.Kind {
	case "test", "schema_change":
		if strings.HasPrefix(strings.ToLower(a.TestRunsID), "test.") {
			add(testUniqueID(a.TestRunsID)) // the test itself: tests answer as nodes
		}
		if a.Table != "" {
			parts := strings.Split(a.Table, ".")
			if n := len(parts); n >= 2 {
				add(parts[n-2] + "." + parts[n-1])
				add(parts[n-1])
			} else {
				add(a.Table)
			}
		}
	case "model", "snapshot", "group":
		add(a.headerName)
	case "source":
		if i := strings.Index(strings.ToLower(a.TestRunsID), "source."); i >= 0 {
			add(a.TestRunsID[i:]) // a freshness link names <invocation>.<source unique_id>
		}
		parts := strings.Split(a.headerName, ".")
		if n := len(parts); n >= 2 {
			add(parts[n-2] + "." + parts[n-1])
		}
		add(a.headerName)
	case "all":
		// The all-in-one message: every alert's node, as its links name them.
		for _, l := range a.Links {
			add(testUniqueID(l))
		}
	}
	if subjectKind == "model" || subjectKind == "snapshot" || subjectKind == "source" {
		add(subjectName)
	}
	a.Candidates = cands
	a.Name, a.Subject = a.headerName, subjectName
	a.headerName = ""
	return a, true
}

// DetectedAt reads when the failure was detected from Time: in UTC (or GMT), with a numeric offset, or in the one
// of zones that shows its abbreviation at that time (edr monitor writes its --timezone's abbreviation: "JST",
// "PDT"). ok is false when the message does not say, or says it without a zone, in a zone none of zones knows, or in
// an abbreviation two of them read differently.
func (a Alert) DetectedAt(zones []*time.Location) (time.Time, bool) {
	text := strings.TrimSpace(a.Time)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999Z07:00", "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), true
		}
	}
	if len(text) <= len(time.DateTime) {
		return time.Time{}, false
	}
	clock, abbr := text[:len(time.DateTime)], strings.TrimSpace(text[len(time.DateTime):])
	switch strings.ToUpper(abbr) {
	case "UTC", "GMT", "Z":
		t, err := time.Parse(time.DateTime, clock)
		return t, err == nil
	}
	// A zone reads the abbreviation when it shows it at that time ("CST" is Chicago's in winter and Shanghai's all
	// year): zones that read it differently leave the time unknown.
	var found time.Time
	for _, loc := range zones {
		if loc == nil {
			continue
		}
		t, err := time.ParseInLocation(time.DateTime+" MST", clock+" "+abbr, loc)
		if name, _ := t.Zone(); err != nil || t.Location() != loc || !strings.EqualFold(name, abbr) {
			continue
		}
		if !found.IsZero() && !found.Equal(t) {
			return time.Time{}, false
		}
		found = t
	}
	return found.UTC(), !found.IsZero()
}

// readHeader matches one of the alert header forms; it fills the alert and reports whether t was a header.
func (a *Alert) readHeader(t string) bool {
	if sm := reAlertTest.FindStringSubmatch(t); sm != nil {
		a.Kind, a.Status = "test", sm[1]
		a.Test, _, _ = strings.Cut(sm[2], " - ")
		a.setAsset(sm[3])
		return true
	}
	if sm := reAlertSchema.FindStringSubmatch(t); sm != nil {
		a.Kind = "schema_change"
		a.setAsset(sm[2])
		return true
	}
	if sm := reAlertFresh.FindStringSubmatch(t); sm != nil {
		a.Kind, a.Status, a.headerName = "source", sm[1], sm[2]
		return true
	}
	if sm := reAlertModel.FindStringSubmatch(t); sm != nil {
		a.Kind, a.Status, a.headerName = "model", sm[1], sm[3]
		if sm[2] == "snapshot" {
			a.Kind = "snapshot"
		}
		return true
	}
	if sm := reAlertGroup.FindStringSubmatch(t); sm != nil {
		a.Kind, a.Status, a.headerName = "group", sm[1], sm[2]
		return true
	}
	if sm := reAlertAll.FindStringSubmatch(t); sm != nil {
		a.Kind, a.Status = "all", sm[1]
		return true
	}
	return false
}

// testUniqueID turns a test's elementary_unique_id (test.pkg.name.hash.column.sub_type) into its unique_id; other
// ids are returned as they are.
func testUniqueID(id string) string {
	if parts := strings.Split(id, "."); len(parts) > 4 && strings.EqualFold(parts[0], "test") {
		return strings.Join(parts[:4], ".")
	}
	return id
}

// setAsset splits db.schema.table[.column], lower-cased. An asset edr cut ("….cust...") loses its cut part.
func (a *Alert) setAsset(asset string) {
	if strings.HasSuffix(asset, "...") {
		a.truncated = true
		asset = strings.TrimSuffix(asset, "...")
		if i := strings.LastIndexByte(asset, '.'); i >= 0 {
			asset = asset[:i]
		}
	}
	asset = strings.ToLower(strings.TrimRight(asset, ".,"))
	parts := strings.Split(asset, ".")
	if len(parts) >= 4 {
		a.Table = strings.Join(parts[:3], ".")
		a.Column = strings.Join(parts[3:], ".")
		return
	}
	a.Table = asset
}

// treeNodeID reads the model unique_id from a table group's treeNode={"id":"…"} query value.
func treeNodeID(raw string) string {
	if u, err := url.QueryUnescape(raw); err == nil {
		raw = u
	}
	raw = strings.ReplaceAll(raw, "&quot;", `"`)
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return ""
	}
	return v.ID
}

// alertTexts returns every text of the message in reading order: the top-level text, then each "text",
// "fallback", "title", "pretext" string and each "url" in the blocks and attachments.
func alertTexts(m AlertMessage) []string {
	var out []string
	if m.Text != "" {
		out = append(out, m.Text)
	}
	for _, raw := range []json.RawMessage{m.Blocks, m.Attachments} {
		if len(raw) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			continue
		}
		walkTexts(v, &out, 0)
	}
	return out
}

func walkTexts(v any, out *[]string, depth int) {
	if depth > 32 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"text", "title", "pretext", "fallback", "url", "value"} {
			if s, ok := x[k].(string); ok && s != "" {
				*out = append(*out, s)
			}
		}
		// Fixed key order, so the header (first block) is read first.
		for _, k := range []string{"text", "title", "fields", "elements", "blocks", "accessory"} {
			if e, ok := x[k]; ok {
				if _, isString := e.(string); !isString {
					walkTexts(e, out, depth+1)
				}
			}
		}
	case []any:
		for _, e := range x {
			walkTexts(e, out, depth+1)
		}
	}
}

// workflowAlert reads an alert edr monitor posted for a Slack Workflow (slack.workflows: true): text holds the
// alert's data as a JSON object and there are no blocks. ok is false for any other text.
func workflowAlert(text string) (Alert, bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "{") {
		return Alert{}, false
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return Alert{}, false
	}
	get := func(k string) string {
		if v, ok := d[k].(string); ok {
			return strings.TrimSpace(v)
		}
		return ""
	}
	a := Alert{Status: get("status"), Time: get("detected_at")}
	switch {
	case get("test_unique_id") != "":
		a.Kind, a.Test, a.Column = "test", get("test_short_name"), get("column_name")
		if strings.EqualFold(get("test_type"), "schema_change") {
			a.Kind = "schema_change"
		}
		var parts []string
		for _, k := range []string{"database_name", "schema_name", "table_name"} {
			if v := get(k); v != "" {
				parts = append(parts, strings.ToLower(v))
			}
		}
		a.Table = strings.Join(parts, ".")
		a.TestRunsID = cmp.Or(get("elementary_unique_id"), get("test_unique_id"))
		a.UniqueID = get("model_unique_id")
		a.Candidates = []string{get("test_unique_id")}
		if a.UniqueID != "" {
			a.Candidates = append(a.Candidates, a.UniqueID)
		}
	case get("source_freshness_execution_id") != "" || strings.HasPrefix(get("unique_id"), "source."):
		a.Kind, a.UniqueID = "source", get("unique_id")
		a.TestRunsID = get("source_freshness_execution_id")
		a.Name = strings.Trim(get("source_name")+"."+get("identifier"), ".")
		a.Candidates = []string{cmp.Or(a.UniqueID, a.Name)}
	case get("unique_id") != "" || get("model_unique_id") != "":
		a.Kind, a.UniqueID = "model", cmp.Or(get("unique_id"), get("model_unique_id"))
		if strings.HasPrefix(a.UniqueID, "snapshot.") {
			a.Kind = "snapshot"
		}
		a.Name = get("alias")
		a.Candidates = []string{a.UniqueID}
	default:
		return Alert{}, false
	}
	for _, id := range []string{a.UniqueID, a.TestRunsID} {
		if id != "" && !slices.Contains(a.Links, id) {
			a.Links = append(a.Links, id)
		}
	}
	a.Candidates = slices.DeleteFunc(a.Candidates, func(s string) bool { return s == "" })
	return a, len(a.Candidates) > 0
}
