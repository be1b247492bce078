package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestTwoBotsOneStateAnswerOnce: two bots, each with its own mirror and its own Socket Mode connection to the same
// Slack, share Todai's state in PostgreSQL; a mention Slack delivers five times (its retries, to either connection)
// is answered once, and each new mention once too. A first step toward several replicas: the envelope dedupe is the
// shared store's.
func TestTwoBotsOneStateAnswerOnce(t *testing.T) {
	one := oneFailingTest(t)
	fake := slacktest.New(t)
	seedWorkspace(fake)
	pg := statedbtest.URL(t)
	var stacks []*serveStack
	for i := range 2 {
		a := configuredApp(t, fake, one.wh.path, t.TempDir(), workflowConfig, one.clock.Now, one.logs, -4)
		a.cfg.State.URL = pg
		st := startStack(t, a, fake, i+1)
		defer st.close(t)
		if err := a.syncOnce(one.ctx, st.db); err != nil {
			t.Fatal(err)
		}
		stacks = append(stacks, st)
	}
	ctx, cancel := context.WithTimeout(one.ctx, 30*time.Second)
	defer cancel()
	replies := func(thread string) int {
		n := 0
		for _, p := range channelPosts(fake, "C0FINANCE") {
			if p.ThreadTS == thread {
				n++
			}
		}
		return n
	}
	for q, question := range []string{"who owns orders?", "status orders"} {
		text := "<@" + fake.BotUserID() + "> " + question
		ts := fake.AddMessage("C0FINANCE", slacktest.Message{User: "U0ANA", Text: text})
		event := slacktest.AppMention{User: "U0ANA", Text: text, TS: ts, Channel: "C0FINANCE"}
		id := fmt.Sprintf("EvQ%d", q) // one event, delivered five times: its first delivery and four retries
		for retry := range 5 {
			fake.SendEvent(event, id, retry)
		}
		if _, err := fake.WaitPost(ctx, func(p slacktest.Post) bool { return p.ThreadTS == ts }); err != nil {
			t.Fatalf("question %d: no answer: %v", q, err)
		}
		if err := fake.WaitFor(ctx, func() bool { return len(fake.Acks()) >= 5*(q+1) }); err != nil {
			t.Fatalf("question %d: %d acks: %v", q, len(fake.Acks()), err)
		}
		// Every delivery has been handled once the four repeats were skipped (by whichever bot got them).
		if err := fake.WaitFor(ctx, func() bool {
			return strings.Count(one.logs.String(), "duplicate delivery skipped") >= 4*(q+1)
		}); err != nil {
			t.Fatalf("question %d: the repeats were not all skipped: %v", q, err)
		}
		if n := replies(ts); n != 1 {
			t.Errorf("question %d %q: answered %d times", q, question, n)
		}
		if answer := channelPosts(fake, "C0FINANCE"); !strings.Contains(answer[len(answer)-1].AllText(), "orders") {
			t.Errorf("question %d: the answer is not about orders: %s", q, answer[len(answer)-1].AllText())
		}
	}
	if len(stacks) != 2 || fake.Connections() != 2 {
		t.Errorf("%d stacks, %d connections", len(stacks), fake.Connections())
	}
}
