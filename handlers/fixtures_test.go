package handlers

import (
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
)

// The real read model and the test fixture both satisfy Reader.
var (
	_ Reader = (*queries.Reader)(nil)
	_ Reader = (*handlerstest.Fake)(nil)
)

var testNow = handlerstest.Now

func newFake() *handlerstest.Fake { return handlerstest.NewFake() }
