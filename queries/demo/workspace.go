package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Tour lists the questions `todai demo` asks, in order: one per thing Todai knows, in both languages, told by
// the demo warehouse's stories.
func Tour() []string {
	return []string{
		"status " + StoryFailingModel,
		"who owns " + StoryFailingModel + "?",
		"why is " + StoryFailingModel + " stale?",
		"is " + StoryFailingModel + " urgent?",
		"is " + StoryAnomalyTest + " urgent?",
		"tests " + StoryFlakyTest,
		"upstream " + StoryFailingModel,
		"downstream " + StoryHealthyModel,
		"describe " + StoryHealthyModel,
		"last-run " + StoryErroredModel,
		"failures since 1d",
		"freshness",
		"how healthy is finance's data?",
		StoryFailingModel + "のオーナーは誰?",
		StoryFailingModel + "が更新されていないのはなぜ?",
		"昨日からのテスト失敗",
		"status " + StoryAmbiguousName,
		"status fct_ordrs",
	}
}

// Workspace is the folder `todai demo` works in: the demo warehouse, Todai's state and the stamp that says what
// the warehouse was built from.
type Workspace struct {
	// Dir is the folder, absolute.
	Dir string
	// Warehouse is the demo warehouse's SQLite file.
	Warehouse string
	// State is Todai's state file for the demo.
	State string
}

// reuseFor is how long a built demo warehouse is reused before `todai demo` builds it again: its jobs' runs end
// when it is built, so an older one would look like a pipeline that stopped (which Todai says).
const reuseFor = 10 * time.Minute

// stamp records what a demo warehouse was built from, so that `todai demo` builds it once.
type stamp struct {
	Models int       `json:"models"`
	Days   int       `json:"days"`
	Seed   int64     `json:"seed"`
	Now    time.Time `json:"now"`
}

func stampOf(o Options) stamp { return stamp{Models: o.Models, Days: o.Days, Seed: o.Seed, Now: o.Now} }

// OpenWorkspace creates dir when missing and names the files in it.
func OpenWorkspace(dir string) (Workspace, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Workspace{}, fmt.Errorf("demo dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return Workspace{}, fmt.Errorf("demo dir: %w", err)
	}
	return Workspace{Dir: abs, Warehouse: filepath.Join(abs, "elementary.db"), State: filepath.Join(abs, "state.db")}, nil
}

func (w Workspace) stampFile() string { return filepath.Join(w.Dir, "stamp.json") }

// Fresh tells whether the workspace's warehouse was built from the same options less than reuseFor before
// opts.Now.
func (w Workspace) Fresh(opts Options) bool {
	data, err := os.ReadFile(w.stampFile())
	if err != nil {
		return false
	}
	var have stamp
	if json.Unmarshal(data, &have) != nil {
		return false
	}
	if _, err := os.Stat(w.Warehouse); err != nil {
		return false
	}
	want := stampOf(opts)
	return have.Models == want.Models && have.Days == want.Days && have.Seed == want.Seed &&
		want.Now.Sub(have.Now) < reuseFor
}

// Rebuild removes the workspace's state (it mirrored the old warehouse), builds the warehouse for opts and
// stamps it.
func (w Workspace) Rebuild(ctx context.Context, opts Options) error {
	for _, f := range []string{w.State, w.State + "-wal", w.State + "-shm", w.stampFile()} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reset demo: %w", err)
		}
	}
	if err := Build(ctx, w.Warehouse, opts); err != nil {
		return err
	}
	data, err := json.Marshal(stampOf(opts))
	if err != nil {
		return fmt.Errorf("demo stamp: %w", err)
	}
	if err := os.WriteFile(w.stampFile(), data, 0o644); err != nil {
		return fmt.Errorf("demo stamp: %w", err)
	}
	return nil
}
