package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/todai-dev/todai/queries/checkup"
	"github.com/todai-dev/todai/queries/localdb"
)

// StateFacts is what doctor's state check learned that its warehouse check needs.
type StateFacts struct {
	// LastSuccess is when the last successful sync finished; zero when none did (or it is unknown).
	LastSuccess time.Time
	// Synced lists, sorted, the Elementary tables synced at least once.
	Synced []string
}

// CheckState is doctor's state database check: the file's directory is writable, the file (when it exists) is
// writable and a SQLite database at the schema version of this todai, and a sync has succeeded. It changes
// nothing: no migration is applied.
func CheckState(ctx context.Context, statePath string) (checkup.Findings, StateFacts) {
	var out checkup.Findings
	path, err := filepath.Abs(statePath)
	if err != nil {
		out.Fail(fmt.Sprintf("state path %s: %v", statePath, err), "set state.path to a file path")
		return out, StateFacts{}
	}
	dir := filepath.Dir(path)
	if err := dirWritable(dir); err != nil {
		out.Fail(fmt.Sprintf("%s is not writable: %v", dir, err),
			"make the directory writable by the user running todai (SQLite also writes -wal and -shm files beside the database), or set state.path / --state / TODAI_STATE elsewhere")
		return out, StateFacts{}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		out.Warn(fmt.Sprintf("%s does not exist yet", path), "it is created by the first `todai sync` or `todai serve`")
		return out, StateFacts{}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		out.Fail(fmt.Sprintf("%s is not writable: %v", path, err), "give the user running todai write access to the file")
		return out, StateFacts{}
	}
	f.Close()
	db, err := localdb.OpenReadOnly(ctx, path)
	if err != nil {
		out.Fail(err.Error(), "check the file is a SQLite database written by todai")
		return out, StateFacts{}
	}
	defer db.Close()
	current, target, err := db.Versions(ctx)
	switch {
	case err != nil:
		out.Fail(fmt.Sprintf("%s: cannot read the schema version: %v", path, err),
			"check the file is a SQLite database written by todai; move it away to start a fresh mirror")
		return out, StateFacts{}
	default:
		out = append(out, checkup.SchemaVersion(path, current, target))
	}
	runs, err := Runs(ctx, db)
	if err != nil || runs.LastSuccess.IsZero() {
		out.Warn("no successful sync yet", "run `todai sync` (serve syncs every sync.interval)")
		return out, StateFacts{}
	}
	facts := StateFacts{LastSuccess: runs.LastSuccess}
	st, err := Status(ctx, db)
	if err != nil {
		out.Warn(fmt.Sprintf("cannot read which tables were synced: %v", err), "")
		return out, facts
	}
	for _, t := range st.Tables {
		if !t.LastSuccess.IsZero() {
			facts.Synced = append(facts.Synced, t.Table)
		}
	}
	slices.Sort(facts.Synced)
	return out, facts
}

// CheckSyncAge is doctor's check of how old the mirror's newest data is: a warning past maxAge (the readiness
// probe's limit) or when it never synced.
func CheckSyncAge(lastSuccess, now time.Time, maxAge time.Duration) checkup.Finding {
	switch age := now.Sub(lastSuccess); {
	case lastSuccess.IsZero():
		return checkup.Finding{Outcome: checkup.Warn, What: "the mirror has never synced", Fix: "run `todai sync`"}
	case age > maxAge:
		return checkup.Finding{Outcome: checkup.Warn,
			What: fmt.Sprintf("newest data is %s old (last successful sync), older than http.ready_max_sync_age %s",
				age.Round(time.Second), maxAge),
			Fix: "run `todai sync` and look at `todai sync --status` for per-table errors"}
	default:
		return checkup.Finding{Outcome: checkup.Pass,
			What: fmt.Sprintf("newest data is %s old (last successful sync)", age.Round(time.Second))}
	}
}

// dirWritable creates the directory when missing and proves a file can be created in it.
func dirWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".todai-doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
