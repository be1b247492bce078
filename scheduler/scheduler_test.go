package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// slackPoster posts a one-line digest to channel on the fake Slack (no keep-alive connections, so that no
// goroutine outlives a request inside a synctest bubble).
func slackPoster(fake *slacktest.Slack, channel string) PostFunc {
	return func(ctx context.Context, req DigestRequest) (string, string, error) {
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(hc))
		text := "digest " + req.Team + " " + req.Slot.Format("2006-01-02 15:04 MST")
		if req.Late {
			text += " (late)"
		}
		ch, ts, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false))
		return ch, ts, err
	}
}

func digestPosts(fake *slacktest.Slack) []string {
	var out []string
	for _, p := range fake.Posts() {
		if p.Method == "chat.postMessage" {
			out = append(out, p.Text)
		}
	}
	return out
}

// sleepUntil advances the bubble's clock to t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// tokyoZone is Asia/Tokyo, the zone of the tests' digests.
func tokyoZone(t *testing.T) *time.Location {
	t.Helper()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return tokyo
}

// mondayMorningInTokyo advances the bubble's clock to Monday 2026-11-23 08:00 JST and returns the zone.
func mondayMorningInTokyo(t *testing.T) *time.Location {
	t.Helper()
	tokyo := tokyoZone(t)
	sleepUntil(time.Date(2026, 11, 23, 8, 0, 0, 0, tokyo))
	return tokyo
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec, tz string
		from     time.Time
		want     string // next run, RFC 3339 in the zone
		wantErr  bool
	}{
		{"0 9 * * 1-5", "Asia/Tokyo", time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC), "2026-11-30T09:00:00+09:00", false},
		{"CRON_TZ=Europe/Berlin 0 7 * * *", "Asia/Tokyo", time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC), "2026-11-28T07:00:00+01:00", false},
		{"@daily", "America/New_York", time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC), "2026-11-27T00:00:00-05:00", false},
		{"0 9 * * *", "", time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC), "2026-11-27T09:00:00Z", false},
		{"0 0 9 * * *", "UTC", time.Time{}, "", true},
		{"61 9 * * *", "UTC", time.Time{}, "", true},
		{"0 9 * * *", "Mars/Olympus", time.Time{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.tz, func(t *testing.T) {
			sched, loc, err := ParseSpec(tt.spec, tt.tz)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := sched.Next(tt.from).In(loc).Format(time.RFC3339); got != tt.want {
				t.Errorf("next = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestClaims: a tick is claimed once, refused while another holder runs the job, never run again once done, taken
// over once its holder stopped renewing it, and old claims are forgotten — on each state engine.
func TestClaims(t *testing.T) {
	statedbtest.Each(t, func(t *testing.T, db *statedb.DB) {
		ctx := context.Background()
		a, b := NewClaims(db, "a", 30*time.Second), NewClaims(db, "b", 30*time.Second)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
		steps := []struct {
			name   string
			c      *Claims
			job    string
			tick   time.Time
			at     time.Duration
			renew  bool // renew instead of take
			done   bool // mark done instead of take
			want   bool
			wantBy string
		}{
			{name: "free: a takes minute 0", c: a, job: "tick", tick: minute(0), want: true},
			{name: "running: b skips it", c: b, job: "tick", tick: minute(0), at: time.Second},
			{name: "a renews until 0:50", c: a, job: "tick", tick: minute(0), at: 20 * time.Second, renew: true},
			{name: "one run at a time: b waits for minute 1", c: b, job: "tick", tick: minute(1), at: 40 * time.Second},
			{name: "another job is free", c: b, job: "sync", tick: minute(0), at: 41 * time.Second, want: true},
			{name: "a finishes", c: a, job: "tick", tick: minute(0), at: 45 * time.Second, done: true},
			{name: "done: never run again", c: b, job: "tick", tick: minute(0), at: 46 * time.Second},
			{name: "b takes minute 1", c: b, job: "tick", tick: minute(1), at: 60 * time.Second, want: true},
			{name: "a skips it", c: a, job: "tick", tick: minute(1), at: 61 * time.Second},
			{name: "b died: expired at 1:30, a takes over", c: a, job: "tick", tick: minute(1), at: 90 * time.Second,
				want: true},
			{name: "b is back: not its any more", c: b, job: "tick", tick: minute(1), at: 91 * time.Second},
		}
		for _, s := range steps {
			now := t0.Add(s.at)
			var got bool
			var err error
			switch {
			case s.renew:
				err, got = s.c.Renew(ctx, Claim{s.job, s.tick}, now), s.want
			case s.done:
				err, got = s.c.Done(ctx, Claim{s.job, s.tick}, now), s.want
			default:
				got, err = s.c.Take(ctx, s.job, s.tick, now)
			}
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
			}
		}
		latest, err := a.Latest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 2 || latest[1].Job != "tick" || latest[1].Holder != "a" || latest[1].Done ||
			!latest[1].Tick.Equal(minute(1)) || !latest[1].ClaimedAt.Equal(t0.Add(90*time.Second)) {
			t.Fatalf("latest = %+v", latest)
		}
		// A day later, finishing a tick forgets the job's claims of ticks a day older.
		later := minute(24*60 + 2)
		if ok, err := b.Take(ctx, "tick", later, later); err != nil || !ok {
			t.Fatalf("take a day later = %v, %v", ok, err)
		}
		if err := b.Done(ctx, Claim{"tick", later}, later); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM scheduler_claims WHERE job = 'tick'`).
			Scan(&n); err != nil || n != 1 {
			t.Fatalf("tick claims kept = %d, %v; want 1", n, err)
		}
	})
}

// runScheduler runs a scheduler in the bubble, with ticks hooked on its minute tick, until the returned stop is
// called.
func runScheduler(t *testing.T, opts Options, ticks ...TickFunc) (stop func()) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ticks {
		s.OnTick(fmt.Sprint("hook ", i), f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestDigestTokyoWeekdays(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	fake := slacktest.New(t)
	synctest.Test(t, func(t *testing.T) {
		mondayMorningInTokyo(t)
		stop := runScheduler(t, Options{DB: db, Holder: "p1",
			Teams: []TeamSchedule{{Name: "finance", Spec: "0 9 * * 1-5", Timezone: "Asia/Tokyo"}},
			Post:  slackPoster(fake, "C0FINANCE")})
		time.Sleep(7 * 24 * time.Hour)
		synctest.Wait()
		stop()
	})
	got := digestPosts(fake)
	want := []string{"digest finance 2026-11-23 09:00 JST", "digest finance 2026-11-24 09:00 JST",
		"digest finance 2026-11-25 09:00 JST", "digest finance 2026-11-26 09:00 JST",
		"digest finance 2026-11-27 09:00 JST"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("posts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	slots, err := Slots(context.Background(), db, "finance")
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 || !slots[0].Posted || slots[0].Channel != "C0FINANCE" || slots[0].TS == "" || slots[0].Late {
		t.Fatalf("slots = %+v", slots)
	}
}

func TestDigestDST(t *testing.T) {
	tests := []struct {
		name, tz, spec string
		start          string // local start, 12:00 the day before the first slot
		days           int
		want           []string
	}{
		{"berlin spring-forward skips 02:30", "Europe/Berlin", "30 2 * * *", "2026-03-27T12:00", 4,
			[]string{"2026-03-28 02:30 CET", "2026-03-30 02:30 CEST", "2026-03-31 02:30 CEST"}},
		{"berlin fall-back posts 02:30 once", "Europe/Berlin", "30 2 * * *", "2026-10-23T12:00", 4,
			[]string{"2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-26 02:30 CET", "2026-10-27 02:30 CET"}},
		{"new york spring-forward skips 02:30", "America/New_York", "30 2 * * *", "2026-03-06T12:00", 4,
			[]string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT"}},
		{"new york fall-back posts 01:30 once", "America/New_York", "30 1 * * *", "2026-10-30T12:00", 4,
			[]string{"2026-10-31 01:30 EDT", "2026-11-01 01:30 EDT", "2026-11-02 01:30 EST", "2026-11-03 01:30 EST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := statedb.FromLocal(localdbtest.Open(t, ""))
			fake := slacktest.New(t)
			synctest.Test(t, func(t *testing.T) {
				loc, err := time.LoadLocation(tt.tz)
				if err != nil {
					t.Fatal(err)
				}
				start, err := time.ParseInLocation("2006-01-02T15:04", tt.start, loc)
				if err != nil {
					t.Fatal(err)
				}
				sleepUntil(start)
				stop := runScheduler(t, Options{DB: db, Holder: "p1",
					Teams: []TeamSchedule{{Name: "ops", Spec: tt.spec, Timezone: tt.tz}},
					Post:  slackPoster(fake, "C0OPS")})
				time.Sleep(time.Duration(tt.days) * 24 * time.Hour)
				synctest.Wait()
				stop()
			})
			var got []string
			for _, p := range digestPosts(fake) {
				got = append(got, strings.TrimPrefix(p, "digest ops "))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("posts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDigestMissedDuringDowntime(t *testing.T) {
	tests := []struct {
		name     string
		downFrom string // local JST: the first process stops
		upAt     string // the second starts
		want     []string
	}{
		{"missed slot posted late once", "2026-11-23T08:30", "2026-11-23T11:00",
			[]string{"digest finance 2026-11-23 09:00 JST (late)", "digest finance 2026-11-24 09:00 JST"}},
		{"past the grace period: skipped", "2026-11-23T08:30", "2026-11-23T15:30",
			[]string{"digest finance 2026-11-24 09:00 JST"}},
		{"restart after the post: no duplicate", "2026-11-23T09:00", "2026-11-23T09:01",
			[]string{"digest finance 2026-11-23 09:00 JST", "digest finance 2026-11-24 09:00 JST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := statedb.FromLocal(localdbtest.Open(t, ""))
			fake := slacktest.New(t)
			synctest.Test(t, func(t *testing.T) {
				tokyo := tokyoZone(t)
				at := func(s string) time.Time {
					v, err := time.ParseInLocation("2006-01-02T15:04", s, tokyo)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}
				opts := Options{DB: db, Teams: []TeamSchedule{{Name: "finance", Spec: "0 9 * * 1-5",
					Timezone: "Asia/Tokyo"}}, Post: slackPoster(fake, "C0FINANCE")}
				sleepUntil(at("2026-11-23T08:00"))
				opts.Holder = "first"
				stop := runScheduler(t, opts)
				sleepUntil(at(tt.downFrom).Add(30 * time.Second))
				synctest.Wait()
				stop()
				sleepUntil(at(tt.upAt))
				opts.Holder = "second"
				stop = runScheduler(t, opts)
				sleepUntil(at("2026-11-24T12:00"))
				synctest.Wait()
				stop()
			})
			if got := digestPosts(fake); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("posts = %q, want %q", got, tt.want)
			}
		})
	}
}

// A crash after the claim and before the post: the restarted process retries the slot once, so it is posted once.
func TestDigestCrashAfterClaimRetriedOnce(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	fake := slacktest.New(t)
	synctest.Test(t, func(t *testing.T) {
		tokyo := mondayMorningInTokyo(t)
		var crashes atomic.Int32
		crashing := func(ctx context.Context, req DigestRequest) (string, string, error) {
			crashes.Add(1)
			return "", "", errors.New("process killed before chat.postMessage")
		}
		teams := []TeamSchedule{{Name: "finance", Spec: "0 9 * * 1-5", Timezone: "Asia/Tokyo"}}
		stop := runScheduler(t, Options{DB: db, Holder: "first", Teams: teams, Post: crashing})
		sleepUntil(time.Date(2026, 11, 23, 9, 0, 30, 0, tokyo))
		synctest.Wait()
		stop()
		stop = runScheduler(t, Options{DB: db, Holder: "second", Teams: teams, Post: slackPoster(fake, "C0FIN")})
		sleepUntil(time.Date(2026, 11, 23, 12, 0, 0, 0, tokyo))
		synctest.Wait()
		stop()
		if crashes.Load() != 1 {
			t.Errorf("first process tried %d posts, want 1", crashes.Load())
		}
	})
	if got := digestPosts(fake); len(got) != 1 || got[0] != "digest finance 2026-11-23 09:00 JST" {
		t.Fatalf("posts = %q", got)
	}
	slots, err := Slots(context.Background(), db, "finance")
	if err != nil || len(slots) != 1 || slots[0].Attempts != 2 || !slots[0].Posted {
		t.Fatalf("slots = %+v %v", slots, err)
	}
}

// Two processes on one state: each syncs its own mirror, the minute tick runs once a minute in one of them — no
// minute twice, none missed — and a digest once a day; when one stops, the other goes on without a gap.
func TestTwoProcessesShareTheTick(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	fake := slacktest.New(t)
	synctest.Test(t, func(t *testing.T) {
		mondayMorningInTokyo(t)
		var mu sync.Mutex
		syncs := map[string]int{}
		ticks := map[time.Time][]string{} // minute → the processes that ran it
		run := func(holder string) (stop func()) {
			return runScheduler(t, Options{DB: db, Holder: holder, SyncInterval: 10 * time.Minute,
				Sync: func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					syncs[holder]++
					return nil
				},
				Teams: []TeamSchedule{{Name: "finance", Spec: "0 9 * * *", Timezone: "Asia/Tokyo"}},
				Post:  slackPoster(fake, "C0FIN")},
				func(_ context.Context, now time.Time) error {
					mu.Lock()
					defer mu.Unlock()
					ticks[now.Truncate(time.Minute)] = append(ticks[now.Truncate(time.Minute)], holder)
					return nil
				})
		}
		start := time.Now()
		stopA := run("a")
		time.Sleep(30 * time.Second)
		stopB := run("b")
		time.Sleep(2 * 24 * time.Hour)
		synctest.Wait()
		stopA()
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		stopB()
		end := time.Now()

		mu.Lock()
		defer mu.Unlock()
		if syncs["a"] < 2*24*6 || syncs["b"] < 3*24*6 {
			t.Errorf("syncs = %v: each process syncs its own mirror every 10 minutes", syncs)
		}
		byHolder := map[string]int{}
		for m := start.Truncate(time.Minute); !m.After(end); m = m.Add(time.Minute) {
			ran := ticks[m]
			if len(ran) != 1 {
				t.Fatalf("minute %s ran %d times (%v), want once", m.Format(time.DateTime), len(ran), ran)
			}
			byHolder[ran[0]]++
		}
		if byHolder["a"] == 0 || byHolder["b"] < 24*60 {
			t.Errorf("ticks by process = %v: both run ticks, b every minute after a stopped", byHolder)
		}
	})
	if got := digestPosts(fake); len(got) != 3 {
		t.Fatalf("posts = %q, want one per day", got)
	}
}

// TestProcessesShareTheSync: processes that share what their syncs read (Follow) read the warehouse once per sync
// period between them, each after catching up with the others, and follow on their own timer too; when the
// syncing one stops, the other syncs every period.
func TestProcessesShareTheSync(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	synctest.Test(t, func(t *testing.T) {
		mondayMorningInTokyo(t)
		var mu sync.Mutex
		syncs := map[time.Time][]string{} // sync period → the processes that read the warehouse in it
		follows := map[string]int{}
		followedBeforeSync := true
		watched := 0
		run := func(holder string) (stop func()) {
			caughtUp := false // whether this process followed since its last sync
			// Follow's own timer is slower than the sync here, so that a follow before each sync is the sync's own.
			return runScheduler(t, Options{DB: db, Holder: holder, SyncInterval: 10 * time.Minute,
				FollowInterval: time.Hour,
				Follow: func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					follows[holder]++
					caughtUp = true
					return nil
				},
				Sync: func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					period := time.Now().Truncate(10 * time.Minute)
					syncs[period] = append(syncs[period], holder)
					followedBeforeSync = followedBeforeSync && caughtUp
					caughtUp = false
					return nil
				},
				AfterSync: func(context.Context, time.Time) error { mu.Lock(); watched++; mu.Unlock(); return nil },
			})
		}
		start := time.Now()
		stopA := run("a")
		time.Sleep(3 * time.Minute)
		stopB := run("b")
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		stopA()
		time.Sleep(12 * time.Hour)
		synctest.Wait()
		stopB()
		end := time.Now()

		mu.Lock()
		defer mu.Unlock()
		byHolder := map[string]int{}
		total := 0
		for p := start.Truncate(10 * time.Minute); !p.After(end); p = p.Add(10 * time.Minute) {
			ran := syncs[p]
			if len(ran) > 1 {
				t.Fatalf("period %s read the warehouse %d times (%v), want at most once", p.Format(time.DateTime),
					len(ran), ran)
			}
			if len(ran) == 1 {
				byHolder[ran[0]]++
				total++
			}
		}
		if periods := int(end.Sub(start) / (10 * time.Minute)); total < periods-1 {
			t.Errorf("%d syncs in %d periods: a period went without a read", total, periods)
		}
		if byHolder["b"] < 12*6 {
			t.Errorf("syncs by process = %v: b syncs every period after a stopped", byHolder)
		}
		if !followedBeforeSync {
			t.Error("a process read the warehouse without catching up with the feed first")
		}
		if watched != total {
			t.Errorf("the watchers ran %d times for %d syncs: they run after each sync, in its process only", watched, total)
		}
		if follows["a"]+follows["b"] < total+36 {
			t.Errorf("follows = %v for %d syncs: every process follows on its own timer too", follows, total)
		}
	})
}

// TestSyncGivenBackWhenItFails: a process that cannot read the warehouse (its network, its credentials) gives its
// sync tick back, and the other process, whose timer fires later in the period, reads it.
func TestSyncGivenBackWhenItFails(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	synctest.Test(t, func(t *testing.T) {
		mondayMorningInTokyo(t)
		var mu sync.Mutex
		read := map[time.Time]int{} // sync period → successful reads
		failed := 0
		run := func(holder string, sync func() error) (stop func()) {
			return runScheduler(t, Options{DB: db, Holder: holder, SyncInterval: 10 * time.Minute,
				FollowInterval: time.Hour, Follow: func(context.Context) error { return nil },
				Sync: func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					return sync()
				}})
		}
		stopBroken := run("broken", func() error { failed++; return errors.New("warehouse unreachable") })
		time.Sleep(3 * time.Minute)
		stopGood := run("good", func() error { read[time.Now().Truncate(10*time.Minute)]++; return nil })
		start := time.Now()
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		stopGood()
		stopBroken()

		mu.Lock()
		defer mu.Unlock()
		if failed < 12 {
			t.Errorf("the broken process tried %d times, want it to claim each period first", failed)
		}
		for p := start.Truncate(10 * time.Minute).Add(10 * time.Minute); p.Before(start.Add(2 * time.Hour)); p = p.Add(10 * time.Minute) {
			if read[p] != 1 {
				t.Errorf("period %s read %d times, want once (by the process that can)", p.Format(time.TimeOnly), read[p])
			}
		}
	})
}

// TestMirrorGates: a process whose mirror never synced runs no tick and posts no digest (the slot is posted late
// once it has synced); after a sync, the watchers run only in a process whose mirror read the warehouse no earlier
// than another's.
func TestMirrorGates(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	fake := slacktest.New(t)
	synctest.Test(t, func(t *testing.T) {
		tokyo := mondayMorningInTokyo(t) // 08:00 JST
		var mu sync.Mutex
		var readAt time.Time // the mirror's last read; zero until it syncs
		var ticks, watched int
		stop := runScheduler(t, Options{DB: db, Holder: "a", SyncInterval: 10 * time.Minute,
			Sync: func(context.Context) error { return nil },
			MirrorRead: func(context.Context) (time.Time, error) {
				mu.Lock()
				defer mu.Unlock()
				return readAt, nil
			},
			AfterSync: func(context.Context, time.Time) error { mu.Lock(); watched++; mu.Unlock(); return nil },
			Teams:     []TeamSchedule{{Name: "finance", Spec: "0 9 * * *", Timezone: "Asia/Tokyo"}},
			Post:      slackPoster(fake, "C0FIN")},
			func(context.Context, time.Time) error { mu.Lock(); ticks++; mu.Unlock(); return nil })
		sleepUntil(time.Date(2026, 11, 23, 9, 10, 0, 0, tokyo))
		synctest.Wait()
		mu.Lock()
		if ticks != 0 || watched != 0 || len(digestPosts(fake)) != 0 {
			t.Errorf("before the first sync: %d ticks, %d watcher runs, digests %q; want none", ticks, watched, digestPosts(fake))
		}
		// Another process's mirror read the warehouse at 09:30; this one's syncs (every 10 minutes) read it at 09:20,
		// then, from 09:25, at 10:00.
		if _, err := db.Writer().ExecContext(context.Background(), `INSERT INTO scheduler_state (key, value) VALUES (?, ?)`,
			newestMirrorKey, localdb.FormatTime(time.Date(2026, 11, 23, 9, 30, 0, 0, tokyo))); err != nil {
			t.Fatal(err)
		}
		readAt = time.Date(2026, 11, 23, 9, 20, 0, 0, tokyo)
		mu.Unlock()
		sleepUntil(time.Date(2026, 11, 23, 9, 25, 0, 0, tokyo))
		synctest.Wait()
		mu.Lock()
		if ticks == 0 || len(digestPosts(fake)) != 1 || watched != 0 {
			t.Errorf("after syncing: %d ticks, digests %q, %d watcher runs; want ticks, the 09:00 digest late and no watchers (another mirror is newer)",
				ticks, digestPosts(fake), watched)
		}
		readAt = time.Date(2026, 11, 23, 10, 0, 0, 0, tokyo)
		mu.Unlock()
		sleepUntil(time.Date(2026, 11, 23, 9, 45, 0, 0, tokyo))
		synctest.Wait()
		stop()
		mu.Lock()
		defer mu.Unlock()
		if watched != 2 {
			t.Errorf("watcher runs = %d after this mirror became the newest, want 2 (the syncs of 09:30 and 09:40)", watched)
		}
	})
}

// A panicking job is recovered and keeps its schedule (Recover inside SkipIfStillRunning).
func TestPanicRecovered(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		s, err := New(Options{DB: db, Holder: "p", Logger: quiet(), SyncInterval: time.Minute,
			Sync: func(context.Context) error {
				runs.Add(1)
				panic("boom")
			}})
		if err != nil {
			t.Fatal(err)
		}
		var ticks atomic.Int32
		s.OnTick("count", func(context.Context, time.Time) error { ticks.Add(1); return nil })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(10*time.Minute + 30*time.Second)
		synctest.Wait()
		cancel()
		<-done
		if runs.Load() != 11 {
			t.Errorf("sync ran %d times, want 11 (at start and every minute)", runs.Load())
		}
		if ticks.Load() != 11 {
			t.Errorf("tick hook ran %d times, want 11", ticks.Load())
		}
	})
}

func TestPlan(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	s, err := New(Options{DB: db, Holder: "p", Sync: func(context.Context) error { return nil },
		Teams: []TeamSchedule{{Name: "finance", Spec: "0 9 * * 1-5", Timezone: "Asia/Tokyo"},
			{Name: "growth", Spec: "30 8 * * *", Timezone: "Europe/Berlin"}, {Name: "none"}}})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC) // Saturday 08:00 JST
	plan := s.Plan(from, 2)
	byJob := map[string]Planned{}
	for _, p := range plan {
		byJob[p.Job] = p
	}
	if len(plan) != 4 {
		t.Fatalf("plan = %+v", plan)
	}
	fin := byJob["digest finance"]
	if got := fin.Next[0].Format(time.RFC3339); got != "2026-11-30T09:00:00+09:00" {
		t.Errorf("finance next = %s", got)
	}
	if got := byJob["digest growth"].Next[1].Format(time.RFC3339); got != "2026-11-29T08:30:00+01:00" {
		t.Errorf("growth second = %s", got)
	}
	if got := byJob["sync"].Next[0]; !got.Equal(from.Add(10 * time.Minute)) {
		t.Errorf("sync next = %s", got)
	}
	if _, err := New(Options{DB: db, Holder: "p", Teams: []TeamSchedule{{Name: "x", Spec: "bad"}}}); err == nil {
		t.Error("a bad spec was accepted")
	}
}

// TestRunWaitsForItsFirstRuns: the first sync, started by Start itself rather than by cron, has finished when Run
// returns, so nothing of the scheduler outlives it.
func TestRunWaitsForItsFirstRuns(t *testing.T) {
	db := statedb.FromLocal(localdbtest.Open(t, ""))
	started := make(chan struct{})
	var finished atomic.Bool
	s, err := New(Options{DB: db, Holder: "p", Logger: quiet(), SyncInterval: time.Hour,
		Sync: func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // a sync winding down after the cancel
			finished.Store(true)
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first sync did not start")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Error("Run returned while its first sync was still running")
	}
}
