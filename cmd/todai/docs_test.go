package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/mcpserver"
	"github.com/todai-dev/todai/queries"
)

// repoFile reads a file relative to the repository root.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// configKeys lists the YAML keys of a configuration type, as docs/configuration.md writes them
// ("teams[].digest.schedule").
func configKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := prefix + name
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keys = append(keys, configKeys(ft.Elem(), key+"[].")...)
		case ft.Kind() == reflect.Struct && ft.PkgPath() != "time" && !strings.HasSuffix(ft.Name(), "Duration"):
			keys = append(keys, configKeys(ft, key+".")...)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// undocumentedYet are keys known to lack a row in docs/configuration.md, which another change owns; each is
// reported so that it gets one. Remove an entry once its row exists.
var undocumentedYet = map[string]bool{}

// documented reports whether the reference names key: as itself, as "`parent.x`, `.leaf`", or inside the row of
// a list of objects written whole ("teams[].escalation.levels[].notify[]" covers its kind and id).
func documented(doc, key string) bool {
	if strings.Contains(doc, "`"+key+"`") {
		return true
	}
	parent, leaf := key[:strings.LastIndex(key, ".")+1], key[strings.LastIndex(key, ".")+1:]
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| `"+parent) && strings.Contains(line, "`."+leaf+"`") {
			return true
		}
		if strings.HasSuffix(parent, "[].") && strings.HasPrefix(line, "| `"+strings.TrimSuffix(parent, ".")+"`") &&
			strings.Contains(line, leaf+":") {
			return true
		}
	}
	return false
}

func TestConfigKeysDocumented(t *testing.T) {
	doc := repoFile(t, "docs/configuration.md")
	keys := configKeys(reflect.TypeOf(config.Config{}), "")
	if len(keys) < 30 {
		t.Fatalf("found only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		switch ok := documented(doc, k); {
		case !ok && undocumentedYet[k]:
			t.Logf("%s has no row in docs/configuration.md yet", k)
		case !ok:
			t.Errorf("config key %s is not documented in docs/configuration.md: add a row to its Keys table", k)
		}
	}
}

// TestCommandsDocumented checks that docs/commands.md names every subcommand and every flag.
func TestCommandsDocumented(t *testing.T) {
	doc := repoFile(t, "docs/commands.md")
	root := newRootCmd(io.Discard, io.Discard)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if !strings.Contains(doc, "`"+c.CommandPath()) {
			t.Errorf("docs/commands.md lacks the command `%s`", c.CommandPath())
		}
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !strings.Contains(doc, "--"+f.Name) {
				t.Errorf("docs/commands.md lacks the flag --%s of %s", f.Name, c.CommandPath())
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(doc, "--"+f.Name) {
			t.Errorf("docs/commands.md lacks the global flag --%s", f.Name)
		}
	})
	walk(root)
}

// TestDocsLinked checks that both READMEs link every document, and that every relative link resolves.
func TestDocsLinked(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) < 9 {
		t.Fatalf("docs: %v %v", docs, err)
	}
	link := regexp.MustCompile(`\]\(([^)#\s]+)`)
	for _, readme := range []string{"README.md", "README.ja.md"} {
		text := repoFile(t, readme)
		for _, d := range docs {
			rel := "docs/" + filepath.Base(d)
			if rel == "docs/decisions.md" {
				continue
			}
			if !strings.Contains(text, "("+rel+")") {
				t.Errorf("%s does not link %s", readme, rel)
			}
		}
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join("..", "..", filepath.FromSlash(target))); err != nil {
				t.Errorf("%s links %s, which does not exist", readme, target)
			}
		}
	}
	if !strings.Contains(repoFile(t, "README.ja.md"), "灯台") {
		t.Error("README.ja.md does not read like the Japanese README")
	}
}

func TestDockerfile(t *testing.T) {
	df := repoFile(t, "Dockerfile")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^FROM golang:1\.26\S* AS build$`),
		regexp.MustCompile(`(?m)^RUN make build\b`),
		regexp.MustCompile(`(?m)^FROM (debian:bookworm-slim|gcr\.io/distroless/base\S*)$`),
		regexp.MustCompile(`ca-certificates`),
		regexp.MustCompile(`(?m)^USER [1-9][0-9]*`),
		regexp.MustCompile(`(?m)^VOLUME \["/var/lib/todai"\]`),
		regexp.MustCompile(`(?m)^ENTRYPOINT \["todai"\]`),
		regexp.MustCompile(`(?m)^CMD \["serve"\]`),
	} {
		if !want.MatchString(df) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	// make build needs cgo for SQLite: the Makefile's target must keep it on.
	if mk := repoFile(t, "Makefile"); !strings.Contains(mk, "CGO_ENABLED=1") {
		t.Error("the Makefile's build target does not enable cgo")
	}
	ignore := repoFile(t, ".dockerignore")
	for _, want := range []string{".git", "*.db", "todai.yaml", "bin"} {
		if !strings.Contains(ignore, want+"\n") {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "deploy", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	kinds := map[string]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		kind, _ := m["kind"].(string)
		if kind == "" {
			t.Errorf("%s has no kind", f)
		}
		kinds[kind] = m
	}
	var dep struct {
		Spec struct {
			Replicas int `yaml:"replicas"`
			Strategy struct {
				Type string `yaml:"type"`
			} `yaml:"strategy"`
			Template struct {
				Spec struct {
					Containers []struct {
						EnvFrom []struct {
							SecretRef struct {
								Name string `yaml:"name"`
							} `yaml:"secretRef"`
						} `yaml:"envFrom"`
						Liveness struct {
							HTTPGet struct {
								Path string `yaml:"path"`
							} `yaml:"httpGet"`
						} `yaml:"livenessProbe"`
						Readiness struct {
							HTTPGet struct {
								Path string `yaml:"path"`
							} `yaml:"httpGet"`
						} `yaml:"readinessProbe"`
					} `yaml:"containers"`
					Volumes []struct {
						PVC *struct {
							ClaimName string `yaml:"claimName"`
						} `yaml:"persistentVolumeClaim"`
						ConfigMap *struct {
							Name string `yaml:"name"`
						} `yaml:"configMap"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	remarshal(t, kinds["Deployment"], &dep)
	if dep.Spec.Replicas != 1 || dep.Spec.Strategy.Type != "Recreate" {
		t.Errorf("deployment: replicas %d, strategy %q; want 1, Recreate", dep.Spec.Replicas, dep.Spec.Strategy.Type)
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("deployment: %d containers", len(dep.Spec.Template.Spec.Containers))
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.Liveness.HTTPGet.Path != "/healthz" || c.Readiness.HTTPGet.Path != "/readyz" {
		t.Errorf("probes: %q, %q", c.Liveness.HTTPGet.Path, c.Readiness.HTTPGet.Path)
	}
	if len(c.EnvFrom) == 0 || c.EnvFrom[0].SecretRef.Name != "todai-secrets" {
		t.Error("the container does not take its secrets from the todai-secrets Secret")
	}
	var pvc, cm bool
	for _, v := range dep.Spec.Template.Spec.Volumes {
		pvc = pvc || (v.PVC != nil && v.PVC.ClaimName == "todai-state")
		cm = cm || (v.ConfigMap != nil && v.ConfigMap.Name == "todai-config")
	}
	if !pvc || !cm {
		t.Errorf("volumes: state PVC %v, config map %v", pvc, cm)
	}
	for _, k := range []string{"PersistentVolumeClaim", "ConfigMap", "Secret", "Service", "Kustomization"} {
		if kinds[k] == nil {
			t.Errorf("no %s manifest", k)
		}
	}
	// The ConfigMap's todai.yaml is a valid configuration that serves the probes off loopback.
	data, _ := kinds["ConfigMap"]["data"].(map[string]any)
	text, _ := data["todai.yaml"].(string)
	t.Setenv("SNOWFLAKE_KEY_PASSPHRASE", "x")
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-x")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1-x")
	cfg, err := config.Parse("configmap todai.yaml", []byte(text))
	if err != nil {
		t.Fatalf("the ConfigMap's todai.yaml: %v", err)
	}
	if cfg.HTTP.Addr != ":9090" || cfg.State.Path != "/var/lib/todai/state.db" {
		t.Errorf("configmap: http.addr %q, state.path %q", cfg.HTTP.Addr, cfg.State.Path)
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := repoFile(t, "deploy/systemd/todai.service")
	for _, want := range []string{"[Service]", "ExecStart=/usr/local/bin/todai serve", "User=todai", "StateDirectory=todai",
		"EnvironmentFile=/etc/todai/todai.env", "[Install]"} {
		if !strings.Contains(unit, want) {
			t.Errorf("todai.service lacks %s", want)
		}
	}
	env := repoFile(t, "deploy/systemd/todai.env.example")
	for _, want := range []string{"SLACK_BOT_TOKEN=", "SLACK_APP_TOKEN="} {
		if !strings.Contains(env, want) {
			t.Errorf("todai.env.example lacks %s", want)
		}
	}
}

func remarshal(t *testing.T, in any, out any) {
	t.Helper()
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestCodesDocumented: docs/json.md names every value of the answers' typed codes (cause kinds, next actions,
// urgency reasons, chart subjects and series), so a new code cannot ship undocumented.
func TestCodesDocumented(t *testing.T) {
	doc := repoFile(t, "docs/json.md")
	var codes []string
	for _, k := range queries.CauseKinds() {
		codes = append(codes, string(k))
	}
	for _, a := range queries.NextActions() {
		codes = append(codes, string(a))
	}
	for _, r := range queries.Reasons() {
		codes = append(codes, string(r))
	}
	for _, s := range queries.AlertSinces() {
		codes = append(codes, string(s))
	}
	for _, sub := range queries.ChartSubjects() {
		codes = append(codes, string(sub))
	}
	for _, code := range queries.ChartSeriesCodes() {
		codes = append(codes, string(code))
	}
	for _, d := range queries.QualityDimensions() {
		codes = append(codes, string(d))
	}
	for _, v := range queries.NodeVerdicts() {
		codes = append(codes, string(v))
	}
	for _, h := range queries.HealthReasons() {
		codes = append(codes, string(h))
	}
	for _, c := range codes {
		if !strings.Contains(doc, "`"+c+"`") {
			t.Errorf("docs/json.md does not name the code %s", c)
		}
	}
}

// TestMCPToolsDocumented: docs/mcp.md's tool table is the registry's: one row per tool, as the registry describes it.
func TestMCPToolsDocumented(t *testing.T) {
	doc := repoFile(t, "docs/mcp.md")
	var rows int
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows++
		}
	}
	tools := mcpserver.Tools()
	if rows != len(tools)+2 { // and ask, search_nodes
		t.Errorf("docs/mcp.md lists %d tools, the registry %d (+ ask, search_nodes)", rows, len(tools))
	}
	for _, s := range tools {
		args := []string{}
		switch s.Node {
		case handlers.NeedsNode:
			args = append(args, "`node`")
		case handlers.OptionalNode:
			args = append(args, "`node`?")
		}
		for _, a := range []struct {
			arg  handlers.Args
			name string
		}{{handlers.ArgTeam, "`team`?"}, {handlers.ArgSince, "`since`?"}, {handlers.ArgLimit, "`limit`?"}, {handlers.ArgUpdated, "`updated`?"}} {
			if s.Args&a.arg != 0 {
				args = append(args, a.name)
			}
		}
		if s.Args&handlers.ArgLimit == 0 {
			args = append(args, "`limit`? (page)")
		}
		if s.AboutRun {
			args = append(args, "`at`?")
		}
		args = append(args, "`cursor`?", "`lang`?")
		row := fmt.Sprintf("| `%s` | %s | %s | `%s` |", s.Tool, s.Help[0].Description, strings.Join(args, ", "), s.Intent)
		if !strings.Contains(doc, row+"\n") {
			t.Errorf("docs/mcp.md lacks the row of %s:\n%s", s.Tool, row)
		}
	}
}
