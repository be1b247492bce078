package escalation

import (
	"reflect"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func testPolicy() Policy {
	return Policy{
		Levels: []Level{
			{After: 0, Notify: []Target{{Kind: TargetChannel}}},
			{After: 2 * time.Hour, Notify: []Target{{Kind: TargetOwners}}},
			{After: 4 * time.Hour, Notify: []Target{{Kind: TargetUser, ID: "U_ONCALL"}}},
		},
	}
}

func openIncident() Incident {
	return Incident{ID: 7, Key: "test.shop.not_null_orders_id.id.None", Team: "core", Kind: KindTest,
		NodeID: "model.shop.orders", TestID: "test.shop.not_null_orders_id", Severity: SeverityError,
		Status: StatusOpen, OpenedAt: t0, Owners: []string{"ana@x.io"}, Tags: []string{"finance"},
		Message: MessageRef{Channel: "C1", TS: "1.1"}}
}

// notified returns inc with its last notice at level/loop/at.
func notified(inc Incident, level, loop int, at time.Time) Incident {
	inc.LastNotified = Step{Level: level, Loop: loop, At: at}
	return inc
}

func notify(level, loop int, first, mention bool, targets ...Target) NotifyLevel {
	return NotifyLevel{Key: SendKey{Incident: 7, Level: level, Loop: loop}, Level: level, Loop: loop,
		Targets: targets, First: first, Mention: mention}
}

func linked(n NotifyLevel, alert string) NotifyLevel {
	n.LinkElementaryAlert = alert
	return n
}

func TestDecide(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ch := Target{Kind: TargetChannel}
	owners := Target{Kind: TargetOwners}
	oncall := Target{Kind: TargetUser, ID: "U_ONCALL"}
	looping := testPolicy()
	looping.Repeat = time.Hour
	looping.MaxLoops = 2
	warnPolicy := testPolicy()
	warnPolicy.IncludeWarn = true
	quiet := testPolicy()
	quiet.QuietHours = &QuietHours{Start: "22:00", End: "07:00", Location: berlin}
	noLink := testPolicy()
	noLink.LinkElementaryAlerts = new(false)
	noWait := testPolicy()
	noWait.ElementaryWait = new(time.Duration(0))
	cause := Cause{Node: "model.shop.stg_orders", Kind: queries.CauseUpstreamError}
	refresh := RefreshMessage{Message: openIncident().Message}

	with := func(f func(*Incident)) Incident { inc := openIncident(); f(&inc); return inc }
	// root is the incident of stg_orders' error, its message posted; grouped is openIncident grouped under it.
	root := Incident{ID: 9, Key: "model.shop.stg_orders", Team: "finance", Kind: KindModel, NodeID: cause.Node,
		Status: StatusOpen, OpenedAt: t0, LastNotified: Step{Level: 1, At: t0}, Message: MessageRef{Channel: "C1", TS: "9.9"}}
	rootMsg := RefreshMessage{Message: root.Message}
	grouped := func(f func(*Incident)) Incident { inc := openIncident(); inc.ParentID = root.ID; f(&inc); return inc }
	snooze := Silence{ID: 3, Matchers: []Matcher{{Field: "key", Value: openIncident().Key}}, StartsAt: t0, EndsAt: t0.Add(4 * time.Hour)}

	tests := []struct {
		name     string
		inc      Incident
		pol      Policy
		silences []Silence
		cause    *Cause
		root     *Incident
		parent   *Incident
		now      time.Time
		sent     map[SendKey]bool
		edr      bool // edr monitor in use
		want     []Action
	}{
		{name: "a failing test gets its level-1 notice at once", inc: openIncident(), now: t0,
			want: []Action{notify(1, 0, true, false, ch)}},
		{name: "level 1 is not due before its after", inc: openIncident(),
			pol: Policy{Levels: []Level{{After: 10 * time.Minute, Notify: []Target{ch}}}}, now: t0.Add(9 * time.Minute)},
		{name: "no ack for less than 2h: nothing", inc: notified(openIncident(), 1, 0, t0), now: t0.Add(119 * time.Minute)},
		{name: "no ack for 2h: level 2 with mention", inc: notified(openIncident(), 1, 0, t0), now: t0.Add(2 * time.Hour),
			want: []Action{notify(2, 0, false, true, owners)}},
		{name: "level 3 two hours after level 2", inc: notified(openIncident(), 2, 0, t0.Add(2*time.Hour)), now: t0.Add(4 * time.Hour),
			want: []Action{notify(3, 0, false, true, oncall)}},
		{name: "down for hours: one level at a time", inc: notified(openIncident(), 1, 0, t0), now: t0.Add(9 * time.Hour),
			want: []Action{notify(2, 0, false, true, owners)}},
		{name: "ack: no level 3", inc: with(func(i *Incident) {
			*i = notified(*i, 2, 0, t0.Add(2*time.Hour))
			i.Status, i.AckedBy, i.AckedAt = StatusAcked, "U_ANA", t0.Add(3*time.Hour)
		}), now: t0.Add(5 * time.Hour)},
		{name: "policy exhausted without repeat", inc: notified(openIncident(), 3, 0, t0.Add(4*time.Hour)), now: t0.Add(48 * time.Hour)},
		{name: "repeat: loop 2 starts repeat after the last level", inc: notified(openIncident(), 3, 0, t0.Add(4*time.Hour)), pol: looping,
			now: t0.Add(5 * time.Hour), want: []Action{notify(1, 1, false, true, ch)}},
		{name: "repeat: not before", inc: notified(openIncident(), 3, 0, t0.Add(4*time.Hour)), pol: looping, now: t0.Add(5*time.Hour - time.Second)},
		{name: "repeat: loop 2 climbs", inc: notified(openIncident(), 1, 1, t0.Add(5*time.Hour)), pol: looping,
			now: t0.Add(7 * time.Hour), want: []Action{notify(2, 1, false, true, owners)}},
		{name: "repeat: stops at MaxLoops", inc: notified(openIncident(), 3, 1, t0.Add(9*time.Hour)), pol: looping, now: t0.Add(30 * time.Hour)},
		{name: "already sent: never twice", inc: notified(openIncident(), 1, 0, t0), now: t0.Add(3 * time.Hour),
			sent: map[SendKey]bool{{Incident: 7, Level: 2, Loop: 0}: true}},
		{name: "warn incident: level 1 only", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.Severity = SeverityWarn }),
			now: t0.Add(10 * time.Hour)},
		{name: "warn incident: first notice still goes out", inc: with(func(i *Incident) { i.Severity = SeverityWarn }), now: t0,
			want: []Action{notify(1, 0, true, false, ch)}},
		{name: "warn incident escalates with IncludeWarn", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.Severity = SeverityWarn }),
			pol: warnPolicy, now: t0.Add(2 * time.Hour), want: []Action{notify(2, 0, false, true, owners)}},
		{name: "snoozed: nothing, marked once", inc: notified(openIncident(), 1, 0, t0), silences: []Silence{snooze}, now: t0.Add(2 * time.Hour),
			want: []Action{MarkSilenced{SilenceID: 3}, refresh}},
		{name: "snoozed and marked: nothing", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.SilencedBy = 3 }),
			silences: []Silence{snooze}, now: t0.Add(3 * time.Hour)},
		{name: "snooze expired: escalation resumes", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.SilencedBy = 3 }),
			silences: []Silence{snooze}, now: t0.Add(4 * time.Hour), want: []Action{ClearSilence{}, refresh, notify(2, 0, false, true, owners)}},
		{name: "another silence takes over: the message shows no change", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.SilencedBy = 2 }),
			silences: []Silence{snooze}, now: t0.Add(time.Hour), want: []Action{MarkSilenced{SilenceID: 3}}},
		{name: "silence not started yet", inc: with(func(i *Incident) { i.OpenedAt = t0.Add(-time.Hour) }), now: t0.Add(-time.Minute),
			silences: []Silence{snooze}, want: []Action{notify(1, 0, true, false, ch)}},
		{name: "silence by owner glob", inc: openIncident(), now: t0,
			silences: []Silence{{ID: 4, Matchers: []Matcher{{Field: "owner", Value: "*@X.IO", Glob: true}}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}},
			want:     []Action{MarkSilenced{SilenceID: 4}}},
		{name: "silence whose matchers do not all match", inc: openIncident(), now: t0,
			silences: []Silence{{ID: 5, Matchers: []Matcher{{Field: "tag", Value: "finance"}, {Field: "team", Value: "growth"}}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}},
			want:     []Action{notify(1, 0, true, false, ch)}},
		{name: "silence without matchers matches nothing", inc: openIncident(), now: t0,
			silences: []Silence{{ID: 6, StartsAt: t0, EndsAt: t0.Add(time.Hour)}},
			want:     []Action{notify(1, 0, true, false, ch)}},
		{name: "inhibited: first notice says probably caused by", inc: openIncident(), now: t0,
			cause: &cause,
			want: []Action{MarkInhibited{Cause: cause}, func() NotifyLevel {
				n := notify(1, 0, true, false, ch)
				n.ProbablyCausedBy = &cause
				return n
			}()}},
		{name: "inhibited: not escalated", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.InhibitedBy = cause.Node }),
			cause: &cause, now: t0.Add(5 * time.Hour)},
		{name: "inhibition over: escalation resumes", inc: with(func(i *Incident) { *i = notified(*i, 1, 0, t0); i.InhibitedBy = cause.Node }),
			now: t0.Add(5 * time.Hour), want: []Action{ClearInhibition{}, refresh, notify(2, 0, false, true, owners)}},
		{name: "inhibited after the first notice: marked and the message rewritten", inc: notified(openIncident(), 1, 0, t0),
			cause: &cause, now: t0.Add(time.Hour), want: []Action{MarkInhibited{Cause: cause}, refresh}},
		{name: "its root's incident explains it: grouped, the root's message rewritten, no notice", inc: openIncident(),
			cause: &cause, root: &root, now: t0, want: []Action{MarkGrouped{Root: 9}, rootMsg}},
		{name: "grouped under a root not posted yet: grouped only", inc: openIncident(), cause: &cause,
			root: &Incident{ID: root.ID, Team: root.Team, Kind: KindModel, NodeID: cause.Node, Status: StatusOpen}, now: t0,
			want: []Action{MarkGrouped{Root: 9}}},
		{name: "grouped: nothing more, ever, while its root explains it", inc: grouped(func(*Incident) {}), cause: &cause,
			root: &root, parent: &root, now: t0.Add(9 * time.Hour)},
		{name: "grouped after its own notice: its message says so too", inc: notified(openIncident(), 1, 0, t0), cause: &cause,
			root: &root, now: t0.Add(time.Hour), want: []Action{MarkGrouped{Root: 9}, rootMsg, refresh}},
		{name: "its root resolved: ungrouped, the root's message rewritten, its own first notice", inc: grouped(func(*Incident) {}),
			parent: &root, now: t0.Add(time.Hour), want: []Action{ClearGrouping{}, rootMsg, notify(1, 0, true, false, ch)}},
		{name: "grouped and resolved: its root's message shows it, once", inc: grouped(func(i *Incident) { i.Status = StatusResolved }),
			parent: &root, now: t0.Add(time.Hour),
			want: []Action{UpdateMessage{Key: SendKey{Incident: 7}, Message: root.Message}}},
		{name: "grouped and resolved, shown already: nothing", inc: grouped(func(i *Incident) { i.Status = StatusResolved }),
			parent: &root, sent: map[SendKey]bool{{Incident: 7}: true}, now: t0.Add(time.Hour)},
		{name: "resolved after its own notice while grouped: its thread, and its root's message", inc: grouped(func(i *Incident) {
			*i = notified(*i, 1, 0, t0)
			i.ParentID, i.Status = root.ID, StatusResolved
		}), parent: &root, now: t0.Add(time.Hour), want: []Action{
			UpdateMessage{Key: SendKey{Incident: 7}, Message: MessageRef{Channel: "C1", TS: "1.1"}},
			ReplyInThread{Key: SendKey{Incident: 7}, Message: MessageRef{Channel: "C1", TS: "1.1"}}, rootMsg}},
		{name: "links to edr monitor's alert", inc: with(func(i *Incident) { i.ElementaryAlertID = "a-1" }), now: t0,
			want: []Action{linked(notify(1, 0, true, false, ch), "a-1")}},
		{name: "edr alert not linked when the policy says so", inc: with(func(i *Incident) { i.ElementaryAlertID = "a-1" }),
			pol: noLink, now: t0, want: []Action{notify(1, 0, true, false, ch)}},
		{name: "edr monitor in use: the first notice waits for its alert", inc: openIncident(), edr: true,
			now: t0.Add(DefaultElementaryWait - time.Second)},
		{name: "edr monitor in use: no alert within the wait, Todai posts its own", inc: openIncident(), edr: true,
			now: t0.Add(DefaultElementaryWait), want: []Action{notify(1, 0, true, false, ch)}},
		{name: "edr monitor in use, alert linked: no wait", inc: with(func(i *Incident) { i.ElementaryAlertID = "a-1" }),
			edr: true, now: t0, want: []Action{linked(notify(1, 0, true, false, ch), "a-1")}},
		{name: "edr monitor in use, elementary_wait 0: no wait", inc: openIncident(), edr: true, pol: noWait, now: t0,
			want: []Action{notify(1, 0, true, false, ch)}},
		{name: "edr monitor in use, links off: no wait", inc: openIncident(), edr: true, pol: noLink, now: t0,
			want: []Action{notify(1, 0, true, false, ch)}},
		{name: "edr monitor in use: later levels never wait", inc: notified(openIncident(), 1, 0, t0), edr: true,
			now: t0.Add(2 * time.Hour), want: []Action{notify(2, 0, false, true, owners)}},
		{name: "resolved after notice: update and thread reply", inc: with(func(i *Incident) {
			*i = notified(*i, 2, 0, t0.Add(2*time.Hour))
			i.Status, i.ResolvedAt = StatusResolved, t0.Add(3*time.Hour)
		}), now: t0.Add(3 * time.Hour), want: []Action{
			UpdateMessage{Key: SendKey{Incident: 7}, Message: MessageRef{Channel: "C1", TS: "1.1"}},
			ReplyInThread{Key: SendKey{Incident: 7}, Message: MessageRef{Channel: "C1", TS: "1.1"}}}},
		{name: "resolved and announced: nothing", inc: with(func(i *Incident) {
			*i = notified(*i, 1, 0, t0)
			i.Status, i.ResolveAnnounced = StatusResolved, true
		}), now: t0.Add(3 * time.Hour)},
		{name: "resolved, announce already sent: nothing", inc: with(func(i *Incident) {
			*i = notified(*i, 1, 0, t0)
			i.Status = StatusResolved
		}), sent: map[SendKey]bool{{Incident: 7}: true}, now: t0.Add(3 * time.Hour)},
		{name: "resolved before any notice: nothing", inc: with(func(i *Incident) { i.Status = StatusResolved }), now: t0},
		{name: "quiet hours in Berlin: held", inc: with(func(i *Incident) { i.OpenedAt = time.Date(2026, 3, 10, 23, 0, 0, 0, berlin) }),
			pol: quiet, now: time.Date(2026, 3, 10, 23, 0, 0, 0, berlin)},
		{name: "quiet hours over: sent", inc: with(func(i *Incident) { i.OpenedAt = time.Date(2026, 3, 10, 23, 0, 0, 0, berlin) }),
			pol: quiet, now: time.Date(2026, 3, 11, 7, 0, 0, 0, berlin), want: []Action{notify(1, 0, true, false, ch)}},
		{name: "quiet hours hold level 2 too", inc: notified(openIncident(), 1, 0, time.Date(2026, 3, 10, 20, 30, 0, 0, berlin)),
			pol: quiet, now: time.Date(2026, 3, 10, 22, 30, 0, 0, berlin)},
		{name: "no levels: nothing", inc: openIncident(), pol: Policy{}, now: t0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := tc.pol
			if pol.Levels == nil && tc.name != "no levels: nothing" {
				pol = testPolicy()
			}
			in := Input{Incident: tc.inc, Policy: pol, Silences: tc.silences, Cause: tc.cause, Root: tc.root,
				Parent: tc.parent, Now: tc.now, AlreadySent: tc.sent, ElementaryInUse: tc.edr}
			got := Decide(in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decide =\n  %#v\nwant\n  %#v", got, tc.want)
			}
			// Pure: the same input gives the same actions.
			if again := Decide(in); !reflect.DeepEqual(again, got) {
				t.Errorf("Decide is not deterministic: %#v then %#v", got, again)
			}
		})
	}
}

// TestQuietHoursDST checks the window on the wall clock across the spring and autumn changes in Berlin and New York.
func TestQuietHoursDST(t *testing.T) {
	type tcase struct {
		zone          string
		start, end    string
		at            [5]int // y m d h min local
		wantIn        bool
		wantOverLocal [2]int // hour, minute of Over in local time
		wantOverDelta time.Duration
	}
	tests := []tcase{
		// Berlin springs forward 2026-03-29 02:00 → 03:00: a night of 8 h instead of 9.
		{zone: "Europe/Berlin", start: "22:00", end: "07:00", at: [5]int{2026, 3, 28, 23, 0}, wantIn: true, wantOverLocal: [2]int{7, 0}, wantOverDelta: 7 * time.Hour},
		// Berlin falls back 2026-10-25 03:00 → 02:00: a night of 10 h.
		{zone: "Europe/Berlin", start: "22:00", end: "07:00", at: [5]int{2026, 10, 24, 22, 0}, wantIn: true, wantOverLocal: [2]int{7, 0}, wantOverDelta: 10 * time.Hour},
		// New York springs forward 2026-03-08 02:00 → 03:00.
		{zone: "America/New_York", start: "22:00", end: "07:00", at: [5]int{2026, 3, 7, 22, 0}, wantIn: true, wantOverLocal: [2]int{7, 0}, wantOverDelta: 8 * time.Hour},
		// New York falls back 2026-11-01 02:00 → 01:00.
		{zone: "America/New_York", start: "22:00", end: "07:00", at: [5]int{2026, 10, 31, 22, 0}, wantIn: true, wantOverLocal: [2]int{7, 0}, wantOverDelta: 10 * time.Hour},
		// A window that ends inside the skipped hour ends when the clock jumps.
		{zone: "America/New_York", start: "00:00", end: "02:30", at: [5]int{2026, 3, 8, 1, 0}, wantIn: true, wantOverLocal: [2]int{3, 0}, wantOverDelta: time.Hour},
		{zone: "Europe/Berlin", start: "22:00", end: "07:00", at: [5]int{2026, 3, 29, 7, 0}, wantIn: false, wantOverLocal: [2]int{7, 0}},
		{zone: "Europe/Berlin", start: "09:00", end: "17:00", at: [5]int{2026, 3, 29, 12, 0}, wantIn: true, wantOverLocal: [2]int{17, 0}, wantOverDelta: 5 * time.Hour},
	}
	for _, tc := range tests {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		q := QuietHours{Start: tc.start, End: tc.end, Location: loc}
		at := time.Date(tc.at[0], time.Month(tc.at[1]), tc.at[2], tc.at[3], tc.at[4], 0, 0, loc)
		if got := q.Contains(at); got != tc.wantIn {
			t.Errorf("%s %s: Contains = %v, want %v", tc.zone, at, got, tc.wantIn)
		}
		over := q.Over(at).In(loc)
		if over.Hour() != tc.wantOverLocal[0] || over.Minute() != tc.wantOverLocal[1] || over.Sub(at) != tc.wantOverDelta {
			t.Errorf("%s %s: Over = %s (+%s), want %02d:%02d (+%s)", tc.zone, at, over, over.Sub(at), tc.wantOverLocal[0], tc.wantOverLocal[1], tc.wantOverDelta)
		}
	}
}

// TestDecideQuietHoursAcrossDST drives one incident minute by minute through a DST night in each zone: nothing is
// sent inside the window, the held notice goes out at the first sweep after it ends.
func TestDecideQuietHoursAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		zone  string
		night [3]int
	}{{"Europe/Berlin", [3]int{2026, 3, 28}}, {"Europe/Berlin", [3]int{2026, 10, 24}},
		{"America/New_York", [3]int{2026, 3, 7}}, {"America/New_York", [3]int{2026, 10, 31}}} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		pol := testPolicy()
		pol.QuietHours = &QuietHours{Start: "22:00", End: "07:00", Location: loc}
		inc := openIncident()
		inc.OpenedAt = time.Date(tc.night[0], time.Month(tc.night[1]), tc.night[2], 21, 0, 0, 0, loc)
		inc = notified(inc, 1, 0, inc.OpenedAt) // level 2 is due at 23:00, inside the window
		wantAt := time.Date(tc.night[0], time.Month(tc.night[1]), tc.night[2]+1, 7, 0, 0, 0, loc)
		var sentAt time.Time
		for now := inc.OpenedAt; now.Before(wantAt.Add(time.Hour)); now = now.Add(time.Minute) {
			for _, a := range Decide(Input{Incident: inc, Policy: pol, Now: now}) {
				if n, ok := a.(NotifyLevel); ok && sentAt.IsZero() {
					if n.Level != 2 {
						t.Fatalf("%s: sent level %d", tc.zone, n.Level)
					}
					sentAt = now
				}
			}
		}
		if !sentAt.Equal(wantAt) {
			t.Errorf("%s night of %v: level 2 sent at %s, want %s", tc.zone, tc.night, sentAt.In(loc), wantAt)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"default", testPolicy(), true},
		{"no levels", Policy{}, false},
		{"out of order", Policy{Levels: []Level{{After: time.Hour}, {After: time.Minute}}}, false},
		{"negative", Policy{Levels: []Level{{After: -time.Minute}}}, false},
		{"user without id", Policy{Levels: []Level{{Notify: []Target{{Kind: TargetUser}}}}}, false},
		{"unknown kind", Policy{Levels: []Level{{Notify: []Target{{Kind: "pager"}}}}}, false},
		{"bad quiet hours", Policy{Levels: []Level{{}}, QuietHours: &QuietHours{Start: "25:00", End: "07:00"}}, false},
		{"good quiet hours", Policy{Levels: []Level{{}}, QuietHours: &QuietHours{Start: "22:00", End: "7:00"}}, true},
		{"negative loops", Policy{Levels: []Level{{}}, MaxLoops: -1}, false},
	}
	for _, tc := range tests {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
