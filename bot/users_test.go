package bot

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/handlers"
)

func TestUsersMentions(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "U1", Name: "alice", DisplayName: "Alice A", Email: "alice@example.com"})
	fake.AddUser(slacktest.User{ID: "U2", Name: "bob", DisplayName: "bobby", Email: "Bob@Example.com"})
	fake.AddUser(slacktest.User{ID: "U3", Name: "gone", Email: "gone@example.com", Deleted: true})
	fake.AddUser(slacktest.User{ID: "U4", Name: "sam1", DisplayName: "sam"})
	fake.AddUser(slacktest.User{ID: "U5", Name: "sam2", DisplayName: "Sam"})
	fake.AddUser(slacktest.User{ID: "U6", Name: "robot", IsBot: true})
	fake.AddUserGroup(slacktest.UserGroup{ID: "S1", Handle: "data-eng", Name: "Data engineering", Users: []string{"U1"}})
	fake.AddUserGroup(slacktest.UserGroup{ID: "S2", Handle: "old-team", Disabled: true})

	u := NewUsers(api, UsersOptions{Overrides: map[string]string{
		"@Finance-Team": "<!subteam^SFIN>",
		"alice":         "<@UOVERRIDE>",
	}})
	ctx := webTestCtx(t)
	owners := []string{
		"alice@example.com", "BOB@example.com", "nobody@example.com", "gone@example.com",
		"@bob", "bobby", "@data-eng", "finance-team", "@alice", "sam", "robot", "@old-team", "@ghost", "", "  ",
	}
	want := map[string]string{
		"alice@example.com": "<@U1>",
		"BOB@example.com":   "<@U2>",
		"@bob":              "<@U2>",
		"bobby":             "<@U2>",
		"@data-eng":         "<!subteam^S1>",
		"finance-team":      "<!subteam^SFIN>",
		"@alice":            "<@UOVERRIDE>",
	}
	got := u.Mentions(ctx, owners)
	if !maps.Equal(got, want) {
		t.Errorf("Mentions =\n%v\nwant\n%v", got, want)
	}
	lookups := len(fake.Calls("users.lookupByEmail"))
	if lookups != 4 {
		t.Errorf("users.lookupByEmail called %d times, want 4 (one per email)", lookups)
	}

	// Everything, hits and misses, comes from the caches the second time.
	before := len(fake.Calls(""))
	if again := u.Mentions(ctx, owners); !maps.Equal(again, want) {
		t.Errorf("second Mentions = %v, want %v", again, want)
	}
	if after := len(fake.Calls("")); after != before {
		t.Errorf("second Mentions made %d Slack calls, want 0: %v", after-before, fake.Calls("")[before:])
	}
}

func TestUsersHandlesPaginate(t *testing.T) {
	fake, api := newWebFake(t)
	for i := range 450 {
		fake.AddUser(slacktest.User{ID: fmt.Sprintf("U%04d", i), Name: fmt.Sprintf("user%d", i),
			DisplayName: fmt.Sprintf("Display %d", i)})
	}
	u := NewUsers(api, UsersOptions{})
	ctx := webTestCtx(t)
	got := u.Mentions(ctx, []string{"@user7", "USER449", "display 300"})
	want := map[string]string{"@user7": "<@U0007>", "USER449": "<@U0449>", "display 300": "<@U0300>"}
	if !maps.Equal(got, want) {
		t.Errorf("Mentions = %v, want %v", got, want)
	}
	calls := fake.Calls("users.list")
	if len(calls) != 3 {
		t.Fatalf("users.list called %d times, want 3 pages of %d", len(calls), usersListPage)
	}
	for i, wantCursor := range []string{"", "200", "400"} {
		if c := calls[i].Form.Get("cursor"); c != wantCursor {
			t.Errorf("page %d cursor = %q, want %q", i, c, wantCursor)
		}
	}
	u.Mentions(ctx, []string{"@user8"})
	if n := len(fake.Calls("users.list")); n != 3 {
		t.Errorf("users.list called again (%d) within the TTL", n)
	}
}

func TestUsersTTL(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "U1", Name: "alice", Email: "alice@example.com"})
	u := NewUsers(api, UsersOptions{TTL: time.Millisecond})
	ctx := webTestCtx(t)
	owners := []string{"alice@example.com", "@alice"}
	u.Mentions(ctx, owners)
	time.Sleep(5 * time.Millisecond) // past the TTL
	fake.AddUser(slacktest.User{ID: "U1", Name: "alice2", Email: "alice@example.com"})
	got := u.Mentions(ctx, owners)
	if want := map[string]string{"alice@example.com": "<@U1>"}; !maps.Equal(got, want) {
		t.Errorf("Mentions after the TTL = %v, want %v (the renamed handle is gone)", got, want)
	}
	if n := len(fake.Calls("users.lookupByEmail")); n != 2 {
		t.Errorf("users.lookupByEmail called %d times, want 2", n)
	}
	if n := len(fake.Calls("users.list")); n != 2 {
		t.Errorf("users.list called %d times, want 2", n)
	}
}

func TestUsersLookupFailures(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "U1", Name: "alice", Email: "alice@example.com"})
	u := NewUsers(api, UsersOptions{})
	ctx := webTestCtx(t)

	// A 429 is retried after its Retry-After.
	fake.RateLimitNext("users.lookupByEmail", 1, time.Second)
	if got := u.Mentions(ctx, []string{"alice@example.com"}); got["alice@example.com"] != "<@U1>" {
		t.Errorf("after a 429: %v", got)
	}
	// Other failures: absent, not an error, and not cached.
	fake.FailNext("users.lookupByEmail", "internal_error")
	fake.AddUser(slacktest.User{ID: "U2", Name: "bob", Email: "bob@example.com"})
	if got := u.Mentions(ctx, []string{"bob@example.com"}); len(got) != 0 {
		t.Errorf("on internal_error: %v, want nothing", got)
	}
	if got := u.Mentions(ctx, []string{"bob@example.com"}); got["bob@example.com"] != "<@U2>" {
		t.Errorf("retry after internal_error: %v", got)
	}
	// users.list failing leaves handles unresolved, and is not retried at once.
	fake.FailNext("users.list", "ratelimited_but_not_429")
	if got := u.Mentions(ctx, []string{"@alice"}); len(got) != 0 {
		t.Errorf("with users.list failing: %v, want nothing", got)
	}
	u.Mentions(ctx, []string{"@alice"})
	if n := len(fake.Calls("users.list")); n != 1 {
		t.Errorf("users.list called %d times right after a failure, want 1", n)
	}
}

func TestUsersLookupsRateLimited(t *testing.T) {
	fake, api := newWebFake(t)
	const rate = 10.0 // a lookup every 100 ms after the first
	u := NewUsers(api, UsersOptions{LookupRate: rate, LookupBurst: 1})
	ctx := webTestCtx(t)
	owners := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"}
	start := time.Now()
	if got := u.Mentions(ctx, owners); len(got) != 0 {
		t.Errorf("Mentions = %v, want nothing", got)
	}
	elapsed := time.Since(start)
	calls := fake.Calls("users.lookupByEmail")
	if len(calls) != len(owners) {
		t.Fatalf("users.lookupByEmail called %d times, want %d", len(calls), len(owners))
	}
	// Four waits of 1/rate each: the limiter cannot let five lookups through faster.
	if minWait := time.Duration(float64(len(owners)-1) / rate * float64(time.Second)); elapsed < minWait {
		t.Errorf("%d lookups took %s, want ≥ %s", len(owners), elapsed, minWait)
	}
	for i := 1; i < len(calls); i++ {
		if !calls[i].Time.After(calls[i-1].Time) {
			t.Errorf("lookup %d not after lookup %d", i, i-1)
		}
	}
}

func TestUsersLocale(t *testing.T) {
	fake, api := newWebFake(t)
	fake.AddUser(slacktest.User{ID: "UJA", Name: "hanako", Locale: "ja-JP"})
	fake.AddUser(slacktest.User{ID: "UEN", Name: "ann", Locale: "en-GB"})
	fake.AddUser(slacktest.User{ID: "UNONE", Name: "nolocale"})
	ctx := webTestCtx(t)

	tests := []struct {
		name      string
		deflang   handlers.Lang
		user      string
		overrides []handlers.Lang
		want      handlers.Lang
	}{
		{name: "ja-JP", user: "UJA", want: handlers.LangJA},
		{name: "en-GB", user: "UEN", deflang: handlers.LangJA, want: handlers.LangEN},
		{name: "no locale takes the default", user: "UNONE", deflang: handlers.LangJA, want: handlers.LangJA},
		{name: "unknown user takes the default", user: "UMISSING", want: handlers.LangEN},
		{name: "channel override", user: "UJA", overrides: []handlers.Lang{"en"}, want: handlers.LangEN},
		{name: "empty override skipped", user: "UEN", overrides: []handlers.Lang{"", "ja"}, want: handlers.LangJA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUsers(api, UsersOptions{DefaultLang: tt.deflang})
			if got := u.Locale(ctx, tt.user, tt.overrides...); got != tt.want {
				t.Errorf("Locale = %q, want %q", got, tt.want)
			}
		})
	}

	u := NewUsers(api, UsersOptions{})
	before := len(fake.Calls("users.info"))
	for range 3 {
		if got := u.Locale(ctx, "UJA"); got != handlers.LangJA {
			t.Fatalf("Locale = %q", got)
		}
	}
	calls := fake.Calls("users.info")[before:]
	if len(calls) != 1 {
		t.Fatalf("users.info called %d times for one user, want 1 (cached)", len(calls))
	}
	if calls[0].Form.Get("include_locale") != "true" {
		t.Errorf("users.info without include_locale: %v", calls[0].Form)
	}
}

func TestTokenBucketCancel(t *testing.T) {
	b := newTokenBucket(0.001, 1)
	ctx := webTestCtx(t)
	if err := b.wait(ctx); err != nil {
		t.Fatalf("first token: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if err := b.wait(short); err == nil {
		t.Fatal("second token came at once, want a wait ended by the context")
	}
}

// BenchmarkUsersMentionsCached measures resolving a failures answer's owners once the caches are warm (the
// common case: every answer resolves its owners).
func BenchmarkUsersMentionsCached(b *testing.B) {
	fake := slacktest.New(b)
	for i := range 300 {
		fake.AddUser(slacktest.User{ID: fmt.Sprintf("U%04d", i), Name: fmt.Sprintf("user%d", i),
			Email: fmt.Sprintf("user%d@example.com", i)})
	}
	api := newWebClient(fake)
	u := NewUsers(api, UsersOptions{})
	owners := make([]string, 0, 20)
	for i := range 10 {
		owners = append(owners, fmt.Sprintf("@user%d", i*7), fmt.Sprintf("user%d@example.com", i*11))
	}
	ctx := context.Background()
	u.Mentions(ctx, owners)
	b.ReportAllocs()
	for b.Loop() {
		if m := u.Mentions(ctx, owners); len(m) != len(owners) {
			b.Fatalf("resolved %d of %d", len(m), len(owners))
		}
	}
}
