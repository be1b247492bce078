package demo

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestWorkspaceReuse: `todai demo` builds the warehouse once and reuses it for six hours with the same options;
// other options, a later hour past six or a missing warehouse build it again, and a rebuild drops the old state.
func TestWorkspaceReuse(t *testing.T) {
	ws, err := OpenWorkspace(t.TempDir() + "/nested/demo")
	if err != nil {
		t.Fatal(err)
	}
	built := Options{Now: testNow, Models: 20, Days: 2}
	if ws.Fresh(built) {
		t.Fatal("an empty workspace is fresh")
	}
	if err := os.WriteFile(ws.State, []byte("old mirror"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ws.Rebuild(context.Background(), built); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ws.State); !os.IsNotExist(err) {
		t.Errorf("the old state survived the rebuild: %v", err)
	}
	later := func(d time.Duration) Options { o := built; o.Now = testNow.Add(d); return o }
	other := built
	other.Seed = 7
	for _, tc := range []struct {
		name string
		opts Options
		want bool
	}{
		{"same options", built, true},
		{"nine minutes later", later(9 * time.Minute), true},
		{"ten minutes later: its pipeline would look stopped soon", later(10 * time.Minute), false},
		{"other seed", other, false},
	} {
		if got := ws.Fresh(tc.opts); got != tc.want {
			t.Errorf("%s: Fresh = %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := os.Remove(ws.Warehouse); err != nil {
		t.Fatal(err)
	}
	if ws.Fresh(built) {
		t.Error("fresh without its warehouse")
	}
}
