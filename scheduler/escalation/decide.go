package escalation

import (
	"cmp"
	"context"
	"path"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// Kind is what an incident is about.
type Kind string

// The kinds of incident.
const (
	// KindTest is a failing, erroring (or, with IncludeWarn, warning) test.
	KindTest Kind = "test"
	// KindModel is a model (or snapshot, seed) whose latest run errored.
	KindModel Kind = "model"
	// KindFreshness is a source whose latest freshness check errored.
	KindFreshness Kind = "freshness"
)

// Status is where an incident is in its lifecycle.
type Status string

// The statuses of an incident.
const (
	// StatusOpen climbs the policy.
	StatusOpen Status = "open"
	// StatusAcked stopped climbing: somebody took it.
	StatusAcked Status = "acked"
	// StatusResolved is over: the test passes again, the model ran, the source is fresh.
	StatusResolved Status = "resolved"
)

// Severity values of an incident (Elementary's, upper case).
const (
	SeverityError = "ERROR"
	SeverityWarn  = "WARN"
)

// ResolveLevel is the level of the send that announces a resolution (the message update and its thread reply).
const ResolveLevel = 0

// Step is one notice of an incident: a level (1-based) in a loop (0-based) and when it went out.
type Step struct {
	Level int
	Loop  int
	At    time.Time
}

// MessageRef is where an incident's first notice was posted, so that later updates go in its thread.
type MessageRef struct {
	Channel string
	TS      string
	// ThreadTS is the thread the notice replied in: edr monitor's alert message, when the first notice was linked
	// to it ("" when TS is a top-level message of Todai's).
	ThreadTS string
}

// Thread returns the ts of the thread the incident's later notices go in.
func (m MessageRef) Thread() string {
	return cmp.Or(m.ThreadTS, m.TS)
}

// Incident is one problem Todai tracks until it resolves.
type Incident struct {
	// ID is the store's identifier.
	ID int64
	// Key is stable across runs, like Elementary's alert_class_id: tests
	// <test_unique_id>.<column or None>.<sub_type or None>; model errors and stale sources the node's unique_id.
	Key string
	// Team owns the incident ("" when no team rule matched).
	Team string
	// Kind is test, model or freshness.
	Kind Kind
	// NodeID is the model or source the incident is about (a test's parent model).
	NodeID string
	// TestID is the test's unique_id (tests only).
	TestID string
	// Severity is ERROR or WARN.
	Severity string
	// Status is open, acked or resolved.
	Status Status
	// InvocationID is the dbt invocation that opened it.
	InvocationID string
	// Summary is one line saying what went wrong (the error's first line, the test's message).
	Summary string
	// Owners and Tags of the node, for silences and the "owners" target.
	Owners []string
	Tags   []string
	// OpenedAt is when the incident was opened.
	OpenedAt time.Time
	// DetectedAt is when the failure it opened for was detected (zero if unknown).
	DetectedAt time.Time
	// LastNotified is the last notice sent (Level 0: none yet).
	LastNotified Step
	// AckedBy and AckedAt say who took it.
	AckedBy string
	AckedAt time.Time
	// ResolvedAt is when it resolved; ResolveAnnounced says the resolution was posted.
	ResolvedAt       time.Time
	ResolveAnnounced bool
	// SilencedBy is the silence currently holding it (0: none), InhibitedBy the node whose failure holds it.
	SilencedBy  int64
	InhibitedBy string
	// ElementaryAlertID is the alerts_v2 alert edr monitor already sent for the same key ("" if none).
	ElementaryAlertID string
	// Message is where the first notice was posted.
	Message MessageRef
	// ParentID is the incident of its root cause it is grouped under (0: none): it has no notices of its own, the
	// root's message lists it. Split says somebody split it out of its root's incident: it is never grouped again.
	ParentID int64
	Split    bool
	// Assignee is who took the incident or was given it (a Slack user ID; "" when nobody).
	Assignee string
	// Priority is the severity a person set ("" while Todai's computed one is shown) and PriorityBy who set it.
	Priority   Priority
	PriorityBy string
	// ResolvedBy is who resolved it (a Slack user ID, or todai when its problem cleared), Resolution how it ended,
	// ResolutionNote what they wrote, and ClearedBy the dbt invocation whose result cleared it (Todai's resolutions).
	ResolvedBy     string
	Resolution     Resolution
	ResolutionNote string
	ClearedBy      string
	// Reopens is the incident of the same key resolved as fixed less than ReopenWindow before this one opened (0:
	// none): the fix did not hold.
	Reopens int64
}

// Matcher is one condition of a silence. Field is node, test, tag, owner, team or key; Value is compared for
// equality, or as a glob (path.Match: *, ?, [...]) when Glob is set. Comparisons ignore case.
type Matcher struct {
	Field string `json:"field"`
	Value string `json:"value"`
	Glob  bool   `json:"glob,omitempty"`
}

// Silence holds back every notice of the incidents it matches (all its matchers) between StartsAt and EndsAt. A
// snooze is a silence on one incident's key. Silences expire; they are never deleted.
type Silence struct {
	ID        int64
	Matchers  []Matcher
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
}

// Active reports whether the silence holds at now.
func (s Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Matches reports whether every matcher of the silence matches the incident. A silence without matchers matches
// nothing.
func (s Silence) Matches(inc Incident) bool {
	if len(s.Matchers) == 0 {
		return false
	}
	for _, m := range s.Matchers {
		if !m.matches(inc) {
			return false
		}
	}
	return true
}

func (m Matcher) matches(inc Incident) bool {
	var values []string
	switch strings.ToLower(m.Field) {
	case "node":
		values = []string{inc.NodeID}
	case "test":
		values = []string{inc.TestID}
	case "tag":
		values = inc.Tags
	case "owner":
		values = inc.Owners
	case "team":
		values = []string{inc.Team}
	case "key":
		values = []string{inc.Key}
	default:
		return false
	}
	want := strings.ToLower(m.Value)
	for _, v := range values {
		v = strings.ToLower(v)
		if m.Glob {
			if ok, err := path.Match(want, v); err == nil && ok {
				return true
			}
		} else if v == want {
			return true
		}
	}
	return false
}

// Cause is an upstream failure that explains downstream incidents.
type Cause struct {
	// Node is the model that errored, the test that failed or the source that is stale.
	Node string
	// Kind is the kind of cause, as the diagnosis names it (an upstream error, a stale source …).
	Kind queries.CauseKind
}

// SendKey identifies one send: nothing is sent twice for the same key. Level ResolveLevel is the resolution notice.
type SendKey struct {
	Incident int64
	Level    int
	Loop     int
}

// Input is everything Decide looks at.
type Input struct {
	Incident Incident
	Policy   Policy
	Silences []Silence
	// Cause is the other node's failure the diagnosis names as the incident's cause (nil: none evidenced); Root the
	// incident of that failure the incident belongs to (Roots), when there is one; Parent the incident it is
	// grouped under now (by ParentID), whose message shows it.
	Cause       *Cause
	Root        *Incident
	Parent      *Incident
	Now         time.Time
	AlreadySent map[SendKey]bool
	// ElementaryInUse says edr monitor is alerting (alerts_v2 holds alerts of the last 7 days): a first notice
	// waits up to the policy's ElementaryWait for its alert, to link to it.
	ElementaryInUse bool
}

// Conditions are the facts of the mirror a sweep decides with.
type Conditions struct {
	// CauseOf diagnoses an unresolved incident: the other node whose failure caused it, as the read model's
	// diagnosis proves it (ok false: none). Nil diagnoses nothing.
	CauseOf func(ctx context.Context, inc Incident) (c Cause, ok bool, err error)
	// ElementaryInUse says edr monitor is alerting (see Input).
	ElementaryInUse bool
}

// Action is something the caller must do for an incident. The concrete types are NotifyLevel, UpdateMessage,
// ReplyInThread, RefreshMessage, MarkSilenced, ClearSilence, MarkInhibited, ClearInhibition, MarkGrouped and
// ClearGrouping.
type Action interface{ isAction() }

// NotifyLevel sends level Level of loop Loop to Targets. First is the incident's first notice (it goes in the
// team's grouped message; later ones reply in its thread). Mention says the targets are to be pinged.
type NotifyLevel struct {
	Key     SendKey
	Level   int
	Loop    int
	Targets []Target
	First   bool
	Mention bool
	// ProbablyCausedBy is set when an upstream failure explains the incident ("probably caused by …").
	ProbablyCausedBy *Cause
	// LinkElementaryAlert is the alerts_v2 alert to link to instead of posting a notice of Todai's own.
	LinkElementaryAlert string

	claimed bool // Execute claimed it already, with the sweep's other first notices
}

// UpdateMessage rewrites the incident's message in place (chat.update) to say it resolved.
type UpdateMessage struct {
	Key     SendKey
	Message MessageRef
}

// ReplyInThread posts in the incident's thread that it resolved.
type ReplyInThread struct {
	Key     SendKey
	Message MessageRef
}

// RefreshMessage rewrites the incident's message in place with its current state (snoozed, silenced, probably
// caused by …): its marks changed. Nothing is claimed; rewriting twice shows the same.
type RefreshMessage struct {
	Message MessageRef
}

// MarkSilenced records that a silence holds the incident.
type MarkSilenced struct{ SilenceID int64 }

// ClearSilence records that no silence holds the incident any more.
type ClearSilence struct{}

// MarkInhibited records that an upstream failure holds the incident's escalation.
type MarkInhibited struct{ Cause Cause }

// ClearInhibition records that the upstream failure is gone.
type ClearInhibition struct{}

// MarkGrouped records that the incident belongs to the incident Root of its root cause: it has no notices of its
// own, Root's message lists it.
type MarkGrouped struct{ Root int64 }

// ClearGrouping records that the incident no longer belongs to another's (its root resolved, or it was split out).
type ClearGrouping struct{}

func (NotifyLevel) isAction()     {}
func (UpdateMessage) isAction()   {}
func (ReplyInThread) isAction()   {}
func (RefreshMessage) isAction()  {}
func (MarkSilenced) isAction()    {}
func (ClearSilence) isAction()    {}
func (MarkInhibited) isAction()   {}
func (ClearInhibition) isAction() {}
func (MarkGrouped) isAction()     {}
func (ClearGrouping) isAction()   {}

// Decide is the escalation decision: given an incident's state, its team's policy, the silences, the upstream
// failures and the time, what to do now. It is pure: same input, same actions; it changes nothing. The caller
// performs the actions and claims each send with ClaimSends, which refuses a key already sent.
//
// The rules, in order: a resolved incident whose notice went out gets its message updated and a thread reply, once
// (one listed in its root's message gets that message updated); an acknowledged incident gets nothing; an incident
// whose root cause is another incident of its team (Root) is grouped under it (MarkGrouped once, its root's message
// rewritten) and gets no notice of its own; one no longer explained by its root is ungrouped (ClearGrouping); an
// active silence holds every notice (MarkSilenced once); a diagnosed upstream cause without an incident of the
// team (Cause) lets the first notice out with "probably caused by …" and holds the rest (MarkInhibited once); a warn
// incident stops after level 1 unless the policy includes warn; quiet hours hold every notice until they end; while
// edr monitor is in use, a first notice waits up to the policy's ElementaryWait for its alert, to link to it.
// Otherwise the next step is due Levels[0].After after opening, each later level its After minus the previous
// level's after the previous notice, and a new loop Repeat (plus Levels[0].After) after the last level, up to
// MaxLoops loops. One step per call: a sweep that was down for hours climbs one level, not all of them.
func Decide(in Input) []Action {
	inc := in.Incident
	var acts []Action
	switch inc.Status {
	case StatusResolved:
		key := SendKey{Incident: inc.ID, Level: ResolveLevel}
		if inc.ResolveAnnounced || in.AlreadySent[key] {
			return nil
		}
		if inc.LastNotified.Level == 0 {
			if inc.ParentID == 0 {
				return nil
			}
			// Listed in its root's message only: that message shows it resolved.
			var root MessageRef
			if in.Parent != nil {
				root = in.Parent.Message
			}
			return []Action{UpdateMessage{Key: key, Message: root}}
		}
		acts := []Action{UpdateMessage{Key: key, Message: inc.Message}, ReplyInThread{Key: key, Message: inc.Message}}
		if in.Parent != nil && in.Parent.Message.TS != "" {
			acts = append(acts, RefreshMessage{Message: in.Parent.Message})
		}
		return acts
	case StatusAcked:
		return nil
	}

	// A change the message shows (snoozed or not, its probable cause) rewrites it.
	refresh := func() {
		if inc.Message.TS != "" && inc.LastNotified.Level > 0 {
			acts = append(acts, RefreshMessage{Message: inc.Message})
		}
	}
	// One incident per root cause: an incident its root's incident explains has no notices of its own.
	if root := in.Root; root != nil {
		if inc.ParentID != root.ID {
			acts = append(acts, MarkGrouped{Root: root.ID})
			if root.Message.TS != "" && root.LastNotified.Level > 0 {
				acts = append(acts, RefreshMessage{Message: root.Message}) // its blast radius grew
			}
			refresh()
		}
		return acts
	}
	if inc.ParentID != 0 {
		acts = append(acts, ClearGrouping{})
		if p := in.Parent; p != nil && p.Message.TS != "" && p.LastNotified.Level > 0 {
			acts = append(acts, RefreshMessage{Message: p.Message}) // its blast radius shrank
		}
	}

	if s, ok := activeSilence(in.Silences, inc, in.Now); ok {
		if inc.SilencedBy != s.ID {
			acts = append(acts, MarkSilenced{SilenceID: s.ID})
			if inc.SilencedBy == 0 {
				refresh()
			}
		}
		return acts
	}
	shown := false
	if inc.SilencedBy != 0 {
		acts = append(acts, ClearSilence{})
		shown = true
	}

	var cause Cause
	inhibited := in.Cause != nil && in.Cause.Node != ""
	if inhibited {
		cause = *in.Cause
	}
	if inhibited && inc.InhibitedBy != cause.Node {
		acts = append(acts, MarkInhibited{Cause: cause})
		shown = true
	} else if !inhibited && inc.InhibitedBy != "" {
		acts = append(acts, ClearInhibition{})
		shown = true
	}
	if shown {
		refresh()
	}

	next, due, ok := NextStep(inc, in.Policy)
	if !ok || in.Now.Before(due) {
		return acts
	}
	if next.Level > 1 || next.Loop > 0 {
		if inhibited {
			return acts
		}
		if inc.Severity == SeverityWarn && !in.Policy.IncludeWarn {
			return acts
		}
	}
	if in.Policy.QuietHours != nil && in.Policy.QuietHours.Contains(in.Now) {
		return acts
	}
	first := inc.LastNotified.Level == 0
	if first && in.ElementaryInUse && in.Policy.LinksElementaryAlerts() && inc.ElementaryAlertID == "" &&
		in.Now.Before(inc.OpenedAt.Add(in.Policy.ElementaryWaitOrDefault())) {
		return acts // edr monitor may still alert on it: the notice will link to that alert
	}
	key := SendKey{Incident: inc.ID, Level: next.Level, Loop: next.Loop}
	if in.AlreadySent[key] {
		return acts
	}
	lvl := in.Policy.Levels[next.Level-1]
	n := NotifyLevel{
		Key:     key,
		Level:   next.Level,
		Loop:    next.Loop,
		Targets: append([]Target(nil), lvl.Notify...),
		First:   first,
		Mention: next.Level > 1 || next.Loop > 0 || mentions(lvl.Notify),
	}
	if inhibited {
		c := cause
		n.ProbablyCausedBy = &c
	}
	if n.First && in.Policy.LinksElementaryAlerts() && inc.ElementaryAlertID != "" {
		n.LinkElementaryAlert = inc.ElementaryAlertID
	}
	return append(acts, n)
}

// NextStep returns the incident's next notice and when it is due under the policy, before silences, inhibition,
// severity and quiet hours are considered; ok is false when the policy is exhausted or has no levels.
func NextStep(inc Incident, p Policy) (next Step, due time.Time, ok bool) {
	if len(p.Levels) == 0 {
		return Step{}, time.Time{}, false
	}
	last := inc.LastNotified
	switch {
	case last.Level <= 0:
		return Step{Level: 1, Loop: 0}, inc.OpenedAt.Add(p.Levels[0].After), true
	case last.Level < len(p.Levels):
		d := p.Levels[last.Level].After - p.Levels[last.Level-1].After
		return Step{Level: last.Level + 1, Loop: last.Loop}, last.At.Add(max(d, 0)), true
	case last.Loop+1 < p.loops():
		return Step{Level: 1, Loop: last.Loop + 1}, last.At.Add(p.Repeat + p.Levels[0].After), true
	}
	return Step{}, time.Time{}, false
}

// Contains reports whether t falls inside the quiet hours, read on the wall clock of their location. A malformed
// window contains nothing (Policy.Validate reports it).
func (q QuietHours) Contains(t time.Time) bool {
	start, err1 := parseClock(q.Start)
	end, err2 := parseClock(q.End)
	if err1 != nil || err2 != nil || start == end {
		return false
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if start < end {
		return m >= start && m < end
	}
	return m >= start || m < end
}

// Over returns the first moment at or after t that is outside the quiet hours (t itself when it is outside). Across
// a DST change the window still ends at its wall-clock time.
func (q QuietHours) Over(t time.Time) time.Time {
	if !q.Contains(t) {
		return t
	}
	end, _ := parseClock(q.End)
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	for d := 0; d <= 2; d++ {
		c := time.Date(lt.Year(), lt.Month(), lt.Day()+d, end/60, end%60, 0, 0, loc)
		if !c.After(t) {
			continue
		}
		// An end inside a skipped hour lands on the wrong side of the jump; walk to where the clock leaves the window.
		for i := 0; i < 180 && q.Contains(c); i++ {
			c = c.Add(time.Minute)
		}
		if !q.Contains(c) {
			return c
		}
	}
	return t
}

func activeSilence(ss []Silence, inc Incident, now time.Time) (Silence, bool) {
	// Prefer the silence already recorded, so that overlapping silences do not flap the mark.
	var found Silence
	ok := false
	for _, s := range ss {
		if s.Active(now) && s.Matches(inc) {
			if s.ID == inc.SilencedBy {
				return s, true
			}
			if !ok {
				found, ok = s, true
			}
		}
	}
	return found, ok
}

func mentions(ts []Target) bool {
	for _, t := range ts {
		if t.Kind != TargetChannel {
			return true
		}
	}
	return false
}
