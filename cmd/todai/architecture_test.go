package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/todai-dev/todai/"

// importRule forbids packages matching from to import packages matching to (../shared/architecture.md, "Never").
type importRule struct {
	why      string
	from, to func(pkg string) bool
}

func under(prefix string) func(string) bool {
	return func(p string) bool { return p == module+prefix || strings.HasPrefix(p, module+prefix+"/") }
}

func is(path string) func(string) bool { return func(p string) bool { return p == path } }

func anyOf(fs ...func(string) bool) func(string) bool {
	return func(p string) bool { return slices.ContainsFunc(fs, func(f func(string) bool) bool { return f(p) }) }
}

var slackGo = func(p string) bool {
	return p == "github.com/slack-go/slack" || strings.HasPrefix(p, "github.com/slack-go/slack/")
}

var importRules = []importRule{
	{"queries imports none of handlers, bot, scheduler", under("queries"), anyOf(under("handlers"), under("bot"), under("scheduler"))},
	{"handlers imports neither bot nor scheduler", under("handlers"), anyOf(under("bot"), under("scheduler"))},
	{"handlers does not import slack-go", under("handlers"), slackGo},
	{"scheduler never imports bot", under("scheduler"), under("bot")},
	{"bot may import scheduler/escalation's domain types, never scheduler", under("bot"), is(module + "scheduler")},
	{"only packages under bot/ import slack-go", func(p string) bool { return !under("bot")(p) }, slackGo},
	{"cmd imports neither slack-go nor database/sql", under("cmd"), anyOf(slackGo, is("database/sql"))},
}

// TestArchitecture keeps the import rules of ../shared/architecture.md true, over `go list` of the whole module.
func TestArchitecture(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(out)))
	packages := 0
	for dec.More() {
		var pkg struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		packages++
		for _, imp := range pkg.Imports {
			for _, r := range importRules {
				if !r.from(pkg.ImportPath) || !r.to(imp) {
					continue
				}
				t.Errorf("%s -> %s breaks %q", pkg.ImportPath, imp, r.why)
			}
		}
	}
	if packages < 10 {
		t.Fatalf("go list named %d packages: the rules were not checked", packages)
	}
}

// mirrorSQL matches a statement reading or writing a table of Elementary's or of the mirror's derived tables.
var mirrorSQL = regexp.MustCompile(`(?i)\b(FROM|JOIN|INTO|UPDATE)\s+"?(test_latest|node_last_run|source_freshness_latest|nodes|node_edges|test_nodes|node_definitions|node_changes|alerts_v2|dbt_[a-z_]+|elementary_test_results|data_monitoring_metrics|schema_columns_snapshot)\b`)

// TestNoMirrorSQLOutsideQueries keeps Elementary's facts in queries/ (../shared/architecture.md, "Never"): no
// non-test Go file outside it holds a statement on Elementary's or the mirror's tables.
func TestNoMirrorSQLOutsideQueries(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "queries" || rel == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if m := mirrorSQL.Find(b); m != nil {
			t.Errorf("%s holds SQL on a mirror table (%q): move the read into queries/", rel, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d Go files checked", checked)
	}
}
