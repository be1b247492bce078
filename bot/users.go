package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
)

// Defaults for Users.
const (
	// DefaultUsersTTL is how long resolved owners, the user index and locales are trusted.
	DefaultUsersTTL = time.Hour
	// DefaultLookupRate is how many Slack lookups per second Users makes at most (users.* are Tier 2–4).
	DefaultLookupRate = 5.0
	// DefaultLookupBurst is how many lookups may go out at once before the rate applies.
	DefaultLookupBurst = 10
	// usersIndexRetry is how long a failed users.list is not tried again.
	usersIndexRetry = time.Minute
	// usersListPage is the users.list page size.
	usersListPage = 200
)

// UsersOptions configure Users. Zero values take the defaults.
type UsersOptions struct {
	// TTL is how long lookups, negative ones included, are cached (DefaultUsersTTL).
	TTL time.Duration
	// Overrides map an owner string as found in the data ("@alice", "finance-team", "bob@example.com") to the
	// mention to use ("<@U123>", "<!subteam^S123>"); they win over every lookup. Keys match case-insensitively and
	// with or without a leading "@".
	Overrides map[string]string
	// LookupRate and LookupBurst bound Slack lookups (a token bucket; DefaultLookupRate, DefaultLookupBurst).
	LookupRate  float64
	LookupBurst int
	// DefaultLang is the language for a user whose locale Slack does not tell (handlers.LangEN when empty).
	DefaultLang handlers.Lang
	// Logger receives lookup failures (discarded when nil).
	Logger *slog.Logger
	// Now is the clock of the caches (time.Now when nil); the lookup rate limit waits on real time.
	Now func() time.Time
}

// Users turns owner strings into Slack mentions and users into languages, through the Slack Web API, with caches.
// Safe for concurrent use.
type Users struct {
	now       func() time.Time
	api       *slack.Client
	ttl       time.Duration
	overrides map[string]string // owner key → mention
	deflang   handlers.Lang
	log       *slog.Logger
	limit     *tokenBucket

	mu      sync.Mutex
	emails  map[string]cachedValue[string] // lower-case email → mention ("" when unknown)
	infos   map[string]cachedValue[*slack.User]
	index   *userIndex
	indexAt time.Time  // when index was built, or when building it last failed
	indexMu sync.Mutex // held while building the index, so one caller builds it
}

type cachedValue[T any] struct {
	v       T
	expires time.Time
}

// userIndex maps handles to mentions: user names and display names, and user-group handles.
type userIndex struct {
	names    map[string]string // lower-case name → <@U…>
	display  map[string]string // lower-case display name → <@U…>, "" when two users share it
	groups   map[string]string // lower-case handle → <!subteam^S…>
	complete bool              // false when users.list failed part way
}

// NewUsers returns Users resolving through api.
func NewUsers(api *slack.Client, opts UsersOptions) *Users {
	if opts.TTL <= 0 {
		opts.TTL = DefaultUsersTTL
	}
	if opts.LookupRate <= 0 {
		opts.LookupRate = DefaultLookupRate
	}
	if opts.LookupBurst <= 0 {
		opts.LookupBurst = DefaultLookupBurst
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lang := opts.DefaultLang
	if lang != handlers.LangJA {
		lang = handlers.LangEN
	}
	over := make(map[string]string, len(opts.Overrides))
	for k, v := range opts.Overrides {
		if key := ownerMatchKey(k); key != "" && strings.TrimSpace(v) != "" {
			over[key] = strings.TrimSpace(v)
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Users{
		api: api, ttl: opts.TTL, overrides: over, deflang: lang, log: log, now: now,
		limit:  newTokenBucket(opts.LookupRate, opts.LookupBurst),
		emails: map[string]cachedValue[string]{}, infos: map[string]cachedValue[*slack.User]{},
	}
}

// ownerMatchKey normalizes an owner for matching: trimmed, lower-case, without a leading "@".
func ownerMatchKey(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
}

// looksLikeEmail reports whether an owner string looks like an email address (something@domain).
func looksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t<>,") && strings.Contains(s[at+1:], ".")
}

// Mentions resolves owners as found in the data to mentions: overrides first, then emails through
// users.lookupByEmail, then handles ("@alice", "alice") against the workspace's user names and display names and
// user-group handles ("@data-eng" → "<!subteam^S…>"). Owners that cannot be resolved, for any reason, are absent
// from the map (the renderer shows them as text); failures are logged, never returned.
func (u *Users) Mentions(ctx context.Context, owners []string) map[string]string {
	out := make(map[string]string, len(owners))
	var handles []string
	for _, o := range owners {
		if _, done := out[o]; done || strings.TrimSpace(o) == "" {
			continue
		}
		key := ownerMatchKey(o)
		if m, ok := u.overrides[key]; ok {
			out[o] = m
			continue
		}
		if looksLikeEmail(strings.TrimSpace(o)) {
			if m := u.byEmail(ctx, strings.ToLower(strings.TrimSpace(o))); m != "" {
				out[o] = m
			}
			continue
		}
		handles = append(handles, o)
	}
	if len(handles) == 0 {
		return out
	}
	idx := u.userIndex(ctx)
	if idx == nil {
		return out
	}
	for _, o := range handles {
		key := ownerMatchKey(o)
		switch {
		case idx.names[key] != "":
			out[o] = idx.names[key]
		case idx.display[key] != "":
			out[o] = idx.display[key]
		case idx.groups[key] != "":
			out[o] = idx.groups[key]
		}
	}
	return out
}

// byEmail resolves one lower-case email, through the cache.
func (u *Users) byEmail(ctx context.Context, email string) string {
	now := u.now()
	u.mu.Lock()
	c, ok := u.emails[email]
	u.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.v
	}
	var user *slack.User
	err := u.lookup(ctx, "users.lookupByEmail", func(ctx context.Context) error {
		var err error
		user, err = u.api.GetUserByEmailContext(ctx, email)
		return err
	})
	mention := ""
	switch {
	case err == nil && user != nil && !user.Deleted && user.ID != "":
		mention = "<@" + user.ID + ">"
	case err == nil, isSlackError(err, "users_not_found"):
	default:
		u.log.LogAttrs(ctx, slog.LevelWarn, "owner lookup failed", slog.String("method", "users.lookupByEmail"),
			slog.String("error", err.Error()))
		return "" // not cached: try again next time
	}
	u.mu.Lock()
	u.emails[email] = cachedValue[string]{v: mention, expires: u.now().Add(u.ttl)}
	u.mu.Unlock()
	return mention
}

// userIndex returns the handle index, building it when missing or older than the TTL; nil when it cannot be built.
func (u *Users) userIndex(ctx context.Context) *userIndex {
	fresh := func() (*userIndex, bool) {
		u.mu.Lock()
		defer u.mu.Unlock()
		age := time.Since(u.indexAt)
		if u.index == nil || !u.index.complete {
			return u.index, !u.indexAt.IsZero() && age < usersIndexRetry
		}
		return u.index, age < u.ttl
	}
	if idx, ok := fresh(); ok {
		return idx
	}
	u.indexMu.Lock()
	defer u.indexMu.Unlock()
	if idx, ok := fresh(); ok { // built while we waited
		return idx
	}
	idx, err := u.buildIndex(ctx)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.indexAt = u.now()
	if err != nil {
		u.log.LogAttrs(ctx, slog.LevelWarn, "user index incomplete", slog.String("error", err.Error()))
		if u.index != nil && u.index.complete && (idx == nil || !idx.complete) {
			return u.index // keep the stale complete index rather than a partial one
		}
	}
	if idx != nil {
		u.index = idx
	}
	return u.index
}

// buildIndex reads users.list (every page) and usergroups.list. A failed usergroups.list only leaves groups out.
func (u *Users) buildIndex(ctx context.Context) (*userIndex, error) {
	idx := &userIndex{names: map[string]string{}, display: map[string]string{}, groups: map[string]string{}}
	p := u.api.GetUsersPaginated(slack.GetUsersOptionLimit(usersListPage), slack.GetUsersOptionIncludeLocale(false))
	var listErr error
	for {
		err := u.lookup(ctx, "users.list", func(ctx context.Context) error {
			next, err := p.Next(ctx)
			if err == nil || p.Done(err) {
				p = next
			}
			return err
		})
		if p.Done(err) {
			break
		}
		if err != nil {
			listErr = fmt.Errorf("users.list: %w", err)
			break
		}
		for _, user := range p.Users {
			if user.Deleted || user.IsBot || user.ID == "" {
				continue
			}
			mention := "<@" + user.ID + ">"
			if n := strings.ToLower(user.Name); n != "" {
				idx.names[n] = mention
			}
			if d := ownerMatchKey(user.Profile.DisplayName); d != "" {
				if prev, seen := idx.display[d]; seen && prev != mention {
					idx.display[d] = "" // ambiguous: two people, no guess
				} else {
					idx.display[d] = mention
				}
			}
		}
	}
	if listErr != nil && len(idx.names) == 0 {
		return nil, listErr
	}
	var groups []slack.UserGroup
	gerr := u.lookup(ctx, "usergroups.list", func(ctx context.Context) error {
		var err error
		groups, err = u.api.GetUserGroupsContext(ctx)
		return err
	})
	if gerr != nil {
		u.log.LogAttrs(ctx, slog.LevelWarn, "user groups not read", slog.String("error", gerr.Error()))
	}
	for _, g := range groups {
		if h := ownerMatchKey(g.Handle); h != "" && g.ID != "" && g.DateDelete == 0 {
			idx.groups[h] = "<!subteam^" + g.ID + ">"
		}
	}
	idx.complete = listErr == nil
	return idx, listErr
}

// Locale returns the language to answer user in: the first non-empty override (e.g. the channel's, then the
// team's configured locale), else the user's Slack locale (users.info, cached; "ja-JP" → ja, others → en), else
// the default language.
func (u *Users) Locale(ctx context.Context, userID string, overrides ...handlers.Lang) handlers.Lang {
	for _, o := range overrides {
		if l := slackLocaleLang(string(o)); l != "" {
			return l
		}
	}
	if info := u.info(ctx, userID); info != nil {
		if l := slackLocaleLang(info.Locale); l != "" {
			return l
		}
	}
	return u.deflang
}

// Zone returns the user's time zone as Slack's users.info tells it (tz, else tz_offset), cached with the locale;
// nil when Slack does not tell.
func (u *Users) Zone(ctx context.Context, userID string) *time.Location {
	info := u.info(ctx, userID)
	if info == nil {
		return nil
	}
	if info.TZ != "" {
		if loc, err := time.LoadLocation(info.TZ); err == nil {
			return loc
		}
	}
	if info.TZOffset != 0 {
		return time.FixedZone(info.TZLabel, info.TZOffset)
	}
	return nil
}

// slackLocaleLang maps a locale ("ja", "ja-JP", "en-US") to a language, or "" for an empty one.
func slackLocaleLang(locale string) handlers.Lang {
	l := strings.ToLower(strings.TrimSpace(locale))
	switch {
	case l == "":
		return ""
	case l == "ja" || strings.HasPrefix(l, "ja-") || strings.HasPrefix(l, "ja_"):
		return handlers.LangJA
	}
	return handlers.LangEN
}

// info returns users.info for userID (with its locale), cached with the TTL; nil when Slack cannot tell.
func (u *Users) info(ctx context.Context, userID string) *slack.User {
	if userID == "" {
		return nil
	}
	u.mu.Lock()
	c, ok := u.infos[userID]
	u.mu.Unlock()
	if ok && u.now().Before(c.expires) {
		return c.v
	}
	var user *slack.User
	err := u.lookup(ctx, "users.info", func(ctx context.Context) error {
		var err error
		user, err = u.api.GetUserInfoContext(ctx, userID, slack.GetUserInfoOptionIncludeLocale(true))
		return err
	})
	if err != nil && !isSlackError(err, "user_not_found") {
		u.log.LogAttrs(ctx, slog.LevelWarn, "user lookup failed", slog.String("method", "users.info"),
			slog.String("user", userID), slog.String("error", err.Error()))
		return nil
	}
	u.mu.Lock()
	u.infos[userID] = cachedValue[*slack.User]{v: user, expires: u.now().Add(u.ttl)}
	u.mu.Unlock()
	return user
}

// lookup runs one Slack read after the rate limiter, retrying once after a 429's Retry-After (bounded by ctx).
func (u *Users) lookup(ctx context.Context, method string, call func(context.Context) error) error {
	if err := u.limit.wait(ctx); err != nil {
		return fmt.Errorf("%s: waiting for the lookup rate limit: %w", method, err)
	}
	return retryRateLimited(ctx, 1, time.Minute, u.log, method, call)
}

// isSlackError reports whether err is Slack's {"ok":false,"error":code}.
func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == code
	}
	return err != nil && err.Error() == code
}

// tokenBucket is a small ctx-aware rate limiter: rate tokens a second, up to burst saved.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64 // may go negative: waiters reserve tokens ahead
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// wait takes a token, sleeping until one is due or ctx ends (a cancelled wait gives its token back).
func (b *tokenBucket) wait(ctx context.Context) error {
	b.mu.Lock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens--
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	b.mu.Unlock()
	if d == 0 {
		return ctx.Err()
	}
	if err := sleepUntil(ctx, now.Add(d)); err != nil {
		b.mu.Lock()
		b.tokens++
		b.mu.Unlock()
		return err
	}
	return nil
}
