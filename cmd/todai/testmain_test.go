package main

import (
	"context"
	"os"
	"testing"
)

// runMainEnv, set to 1, makes the test binary run todai's main with its arguments instead of the tests: a test
// starts it as a subprocess (todai mcp) as a client would.
const runMainEnv = "TODAI_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
