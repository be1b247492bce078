// Package scheduler runs Todai's scheduled work inside `todai serve` on robfig/cron v3: the periodic sync, each
// team's daily digest (a cron spec in the team's IANA zone), and a one-minute tick other jobs hook into (the
// escalation sweep). Every job is wrapped in SkipIfStillRunning(Recover(…)) — Recover inside Skip, so that a panic
// neither crashes the process nor leaves the job skipped forever (robfig/cron v3.0.1). There is no leader: several
// processes sharing one state (replicas over PostgreSQL) each run every timer, and what must happen once is claimed
// in the state — the minute tick per minute (Claims), each digest per slot (digest_slots, exactly once; a slot
// missed while Todai was down is posted once, late, within a grace period), each escalation notice per send. The
// sync fills this process's own mirror: every process runs it, unless the processes share what their syncs read
// (Options.Follow), in which case one process per period reads the warehouse and the others follow.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/todai-dev/todai/queries/statedb"
)

// DefaultSyncInterval is the sync's period when Options.SyncInterval is zero.
const DefaultSyncInterval = 10 * time.Minute

// DefaultFollowInterval is Follow's period when Options.FollowInterval is zero: how soon a process's mirror holds
// what another process's sync read.
const DefaultFollowInterval = 5 * time.Second

// tickSpec is the minute tick's schedule: the top of every minute, so that every process's timer fires together
// and the tick's claim, not the timers' phases, decides which runs it.
const tickSpec = "* * * * *"

// Options configure a Scheduler.
type Options struct {
	// DB is Todai's own state (the SQLite file, or PostgreSQL): the tick claims and the digest slots live there.
	DB *statedb.DB
	// Holder identifies this process in the claims (host, pid and a random part, say). Required.
	Holder string
	// ClaimTTL is how long a tick's claim lasts unrenewed (DefaultClaimTTL when zero).
	ClaimTTL time.Duration
	// Sync syncs the mirror; nil means no sync job. It runs at Start and every SyncInterval.
	Sync func(ctx context.Context) error
	// AfterSync runs after each successful sync (the escalation job); nil means nothing.
	AfterSync TickFunc
	// MirrorRead says when this process's mirror last read the warehouse (zero: never). Until it has, the minute
	// tick and the digests are left to the other processes (a new replica's empty mirror would post empty digests)
	// and a slot missed meanwhile is caught up by a later tick; after a sync, AfterSync runs only when no process's
	// mirror read the warehouse later (its watchers would undo what a newer mirror's did). Nil: always, and always.
	MirrorRead func(ctx context.Context) (time.Time, error)
	// SyncInterval is the sync's period (DefaultSyncInterval when zero).
	SyncInterval time.Duration
	// Follow, when set, brings this process's mirror up to date with what the other processes' syncs read (the
	// mirror's feed, over a shared state). It runs at Start and every FollowInterval in every process, and the sync
	// then runs in one process per SyncInterval — the one that claims the period's tick — after a Follow, so that
	// the warehouse is read once per period whatever the number of processes. AfterSync runs after that sync only.
	// Nil: every process syncs on its own.
	Follow func(ctx context.Context) error
	// FollowInterval is Follow's period (DefaultFollowInterval when zero).
	FollowInterval time.Duration
	// Teams are the digest schedules; a team with an empty Spec gets none.
	Teams []TeamSchedule
	// Post builds and posts a digest. Required when any team has a schedule.
	Post PostFunc
	// Grace is how late a missed slot is still posted (DefaultGrace when zero).
	Grace time.Duration
	// LateAfter is when a digest counts as late (DefaultLateAfter when zero).
	LateAfter time.Duration
	// Logger receives the scheduler's logs (slog.Default when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil). Cron itself waits on real time (or on testing/synctest's).
	Now func() time.Time
}

// TickFunc is a job run every minute, by one of the processes sharing the state, with the tick's time.
type TickFunc func(ctx context.Context, now time.Time) error

// Scheduler runs the scheduled jobs. Create it with New, hook extra minute jobs with OnTick, then Run.
type Scheduler struct {
	opts    Options
	logger  *slog.Logger
	claims  *Claims
	digests *digests
	teams   []teamEntry
	sync    cron.Schedule
	minute  cron.Schedule // the top of every minute

	mu    sync.Mutex
	ticks []namedTick
	ctx   context.Context
	cron  *cron.Cron
	// started tracks the runs Start launches itself (the first sync and tick), which cron's Stop does not wait for.
	started sync.WaitGroup
}

type namedTick struct {
	name string
	f    TickFunc
}

// New validates the options and the teams' schedules and returns a Scheduler.
func New(opts Options) (*Scheduler, error) {
	if opts.DB == nil {
		return nil, errors.New("scheduler: no state database")
	}
	if opts.Holder == "" {
		return nil, errors.New("scheduler: no holder id")
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = DefaultSyncInterval
	}
	if opts.FollowInterval <= 0 {
		opts.FollowInterval = DefaultFollowInterval
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.LateAfter <= 0 {
		opts.LateAfter = DefaultLateAfter
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Scheduler{opts: opts, logger: logger, claims: NewClaims(opts.DB, opts.Holder, opts.ClaimTTL),
		sync: cron.Every(opts.SyncInterval)}
	minute, err := parser().Parse(tickSpec)
	if err != nil {
		return nil, fmt.Errorf("scheduler: tick: %w", err)
	}
	s.minute = minute
	for _, t := range opts.Teams {
		if t.Spec == "" {
			continue
		}
		sched, loc, err := ParseSpec(t.Spec, t.Timezone)
		if err != nil {
			return nil, fmt.Errorf("scheduler: team %s: %w", t.Name, err)
		}
		s.teams = append(s.teams, teamEntry{TeamSchedule: t, sched: sched, loc: loc})
	}
	post := opts.Post
	if post == nil {
		post = func(context.Context, DigestRequest) (string, string, error) { return "", "", errNoPost }
	}
	s.digests = &digests{db: opts.DB, holder: opts.Holder, grace: opts.Grace, lateAfter: opts.LateAfter,
		claimTimeout: DefaultClaimTimeout, post: post, logger: logger, now: opts.Now}
	return s, nil
}

// OnTick adds a job to the one-minute tick. Call it before Run.
func (s *Scheduler) OnTick(name string, f TickFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ticks = append(s.ticks, namedTick{name, f})
}

// Claims returns the scheduler's tick claims.
func (s *Scheduler) Claims() *Claims { return s.claims }

// job wraps a function as a cron job that runs with the scheduler's context, in this process whatever the others do.
func (s *Scheduler) job(name string, f func(ctx context.Context) error) cron.Job {
	return cron.FuncJob(func() {
		ctx := s.runCtx()
		if ctx.Err() != nil {
			return
		}
		if err := f(ctx); err != nil {
			s.logger.Error("scheduler: job failed", "job", name, "err", err)
		}
	})
}

// claimedJob wraps a function as a cron job run once per period across the processes sharing the state: the
// process that claims the period's tick runs it, renewing its claim while it runs, and marks it done; the others
// skip it. With giveBack, a tick whose run failed (or panicked) is given back instead, so that a process whose timer
// fires later in the period runs it: a process that cannot do the job does not keep it from the others.
func (s *Scheduler) claimedJob(name string, period time.Duration, giveBack bool,
	f func(ctx context.Context) error) cron.Job {
	return cron.FuncJob(func() {
		ctx := s.runCtx()
		if ctx.Err() != nil || !s.mirrorReady(ctx, name) {
			return
		}
		now := s.opts.Now()
		cl := Claim{Job: name, Tick: now.Truncate(period)}
		ok, err := s.claims.Take(ctx, cl.Job, cl.Tick, now)
		if err != nil {
			s.logger.Error("scheduler: claim", "job", name, "err", err)
			return
		}
		if !ok {
			s.logger.Debug("scheduler: tick run already or by another process", "job", name, "tick", cl.Tick)
			return
		}
		stopRenewing := statedb.KeepRenewing(ctx, s.claims.ttl/3, func(ctx context.Context) error {
			return s.claims.Renew(ctx, cl, s.opts.Now())
		}, func(err error) { s.logger.Error("scheduler: claim", "job", cl.Job, "err", err) })
		failed := true
		defer func() { // also when f panics (cron's Recover is outside): the claim is done, its renewal stopped
			stopRenewing()
			finish := s.claims.Done
			if failed && giveBack {
				finish = s.claims.GiveBack
			}
			if err := finish(context.WithoutCancel(ctx), cl, s.opts.Now()); err != nil {
				s.logger.Error("scheduler: claim", "job", name, "err", err)
			}
		}()
		if err := f(ctx); err != nil {
			s.logger.Error("scheduler: job failed", "job", name, "err", err)
			return
		}
		failed = false
	})
}

// mirrorReady says whether job may run from this process's mirror: whether it has read the warehouse (MirrorRead).
func (s *Scheduler) mirrorReady(ctx context.Context, job string) bool {
	if s.opts.MirrorRead == nil {
		return true
	}
	if at, err := s.opts.MirrorRead(ctx); err == nil && !at.IsZero() {
		return true
	}
	s.logger.Debug("scheduler: the mirror has not synced yet; left to later or to another process", "job", job)
	return false
}

// newestMirrorKey is the scheduler_state key of the latest warehouse read any process's mirror holds.
const newestMirrorKey = "mirror.newest_read_at"

// newestMirror records this process's mirror's read time and says whether no process's mirror read the warehouse
// later (a tie counts). One atomic statement.
func (s *Scheduler) newestMirror(ctx context.Context) (bool, error) {
	if s.opts.MirrorRead == nil {
		return true, nil
	}
	at, err := s.opts.MirrorRead(ctx)
	if err != nil || at.IsZero() {
		return false, err
	}
	return statedb.RecordLatest(ctx, s.opts.DB.Single(), newestMirrorKey, at)
}

func (s *Scheduler) runCtx() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// ReconcileDigests posts every team's due digest slot that is not posted yet (on time, late within the grace
// period, or its one retry). The minute tick calls it; it is exported for `todai digest` and tests. Each slot is
// claimed, so any process may call it.
func (s *Scheduler) ReconcileDigests(ctx context.Context, now time.Time) error {
	var errs []error
	for _, t := range s.teams {
		if err := s.digests.reconcile(ctx, t, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tick is the one-minute job: the digests' reconciliation and the hooked jobs.
func (s *Scheduler) tick(ctx context.Context) error {
	now := s.opts.Now()
	errs := []error{s.ReconcileDigests(ctx, now)}
	s.mu.Lock()
	ticks := append([]namedTick(nil), s.ticks...)
	s.mu.Unlock()
	for _, t := range ticks {
		if err := t.f(ctx, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.name, err))
		}
	}
	return errors.Join(errs...)
}

// Start starts the cron in the background (jobs get ctx) and runs the sync and the digests' reconciliation once
// at once. Stop it with Stop.
func (s *Scheduler) Start(ctx context.Context) {
	logger := cronLogger{s.logger}
	chain := cron.NewChain(cron.SkipIfStillRunning(logger), cron.Recover(logger))
	c := cron.New(cron.WithParser(parser()), cron.WithLogger(logger), cron.WithLocation(time.UTC))
	s.mu.Lock()
	s.ctx, s.cron = ctx, c
	s.mu.Unlock()
	// The teams' digests are looked after from this start on, whether or not the mirror can post them yet: a slot
	// due while it syncs for the first time is posted late, not forgotten.
	for _, t := range s.teams {
		if _, err := s.digests.since(ctx, t.Name, s.opts.Now()); err != nil {
			s.logger.Error("scheduler: digest", "team", t.Name, "err", err)
		}
	}
	var first []cron.Job
	switch {
	case s.opts.Sync != nil && s.opts.Follow != nil:
		follow := chain.Then(s.job("follow", s.opts.Follow))
		c.Schedule(cron.Every(s.opts.FollowInterval), follow)
		sync := chain.Then(s.claimedJob("sync", s.opts.SyncInterval, true, s.followThenSync))
		c.Schedule(s.sync, sync)
		first = append(first, follow, sync)
	case s.opts.Sync != nil:
		j := chain.Then(s.job("sync", s.syncThen))
		c.Schedule(s.sync, j)
		first = append(first, j)
	}
	for _, t := range s.teams {
		c.Schedule(t.sched, chain.Then(s.job("digest "+t.Name, func(ctx context.Context) error {
			if !s.mirrorReady(ctx, "digest "+t.Name) {
				return nil
			}
			return s.digests.reconcile(ctx, t, s.opts.Now())
		})))
	}
	// The tick fires at the top of every minute, in every process alike, and runs in the one that claims it.
	tick := chain.Then(s.claimedJob("tick", time.Minute, false, s.tick))
	c.Schedule(s.minute, tick)
	first = append(first, tick)
	c.Start()
	for _, j := range first {
		s.started.Go(j.Run)
	}
}

// syncThen syncs, then runs AfterSync when the sync succeeded.
func (s *Scheduler) syncThen(ctx context.Context) error {
	if err := s.opts.Sync(ctx); err != nil {
		return err
	}
	return s.afterSync(ctx)
}

// afterSync runs AfterSync, after a sync of this process, unless another process's mirror read the warehouse later.
func (s *Scheduler) afterSync(ctx context.Context) error {
	if s.opts.AfterSync == nil {
		return nil
	}
	newest, err := s.newestMirror(ctx)
	if err != nil {
		return fmt.Errorf("after sync: %w", err)
	}
	if !newest {
		s.logger.Debug("scheduler: another process's mirror read the warehouse later; its watchers decide")
		return nil
	}
	if err := s.opts.AfterSync(ctx, s.opts.Now()); err != nil {
		return fmt.Errorf("after sync: %w", err)
	}
	return nil
}

// followThenSync is the sync tick of processes that share what their syncs read: catch up with the others' reads
// first, so that this read starts where they left off, then sync, then AfterSync. Only a failed sync fails it (its
// tick is given back for another process to read the warehouse); AfterSync's failure is logged.
func (s *Scheduler) followThenSync(ctx context.Context) error {
	if err := s.opts.Follow(ctx); err != nil {
		s.logger.Error("scheduler: job failed", "job", "follow", "err", err)
	}
	if err := s.opts.Sync(ctx); err != nil {
		return err
	}
	if err := s.afterSync(ctx); err != nil {
		s.logger.Error("scheduler: job failed", "job", "sync", "err", err)
	}
	return nil
}

// Stop stops the cron; the returned context is done when running jobs have finished.
func (s *Scheduler) Stop() context.Context {
	s.mu.Lock()
	c := s.cron
	s.mu.Unlock()
	if c == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	return c.Stop()
}

// Run starts the scheduler, waits for ctx to end, stops it and waits for running jobs (their claims marked done).
func (s *Scheduler) Run(ctx context.Context) error {
	s.Start(ctx)
	<-ctx.Done()
	<-s.Stop().Done()
	s.started.Wait() // the first runs too: nothing of the scheduler outlives Run
	return nil
}

// Planned is a job's upcoming runs, for `todai schedule`.
type Planned struct {
	Job      string
	Spec     string
	Location *time.Location
	Next     []time.Time // in Location
}

// Plan lists each job's next n runs after from, digests in their team's zone; sorted by the first run.
func (s *Scheduler) Plan(from time.Time, n int) []Planned {
	var out []Planned
	nexts := func(sched cron.Schedule, loc *time.Location) []time.Time {
		var ts []time.Time
		t := from
		for range n {
			t = sched.Next(t)
			if t.IsZero() {
				break
			}
			ts = append(ts, t.In(loc))
		}
		return ts
	}
	if s.opts.Sync != nil {
		job := "sync"
		if s.opts.Follow != nil {
			job = "sync (one replica per period; the others follow every " + s.opts.FollowInterval.String() + ")"
		}
		out = append(out, Planned{Job: job, Spec: "@every " + s.opts.SyncInterval.String(), Location: time.UTC,
			Next: nexts(cron.Every(s.opts.SyncInterval), time.UTC)})
	}
	for _, t := range s.teams {
		out = append(out, Planned{Job: "digest " + t.Name, Spec: t.Spec, Location: t.loc, Next: nexts(t.sched, t.loc)})
	}
	out = append(out, Planned{Job: "tick (digest catch-up, escalation sweep)", Spec: tickSpec, Location: time.UTC,
		Next: nexts(s.minute, time.UTC)})
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Next) == 0 || len(out[j].Next) == 0 {
			return len(out[j].Next) == 0 && len(out[i].Next) > 0
		}
		return out[i].Next[0].Before(out[j].Next[0])
	})
	return out
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

// Info logs cron's routine messages at debug level.
func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

// Error logs cron's errors (recovered panics among them).
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
