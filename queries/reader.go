package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/todai-dev/todai/queries/localdb"
)

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// Teams maps nodes to teams.
	Teams Teams
	// Now is the clock (time.Now when nil); "why" and "failures" measure from it.
	Now func() time.Time
	// RepositoryURL is the dbt project's repository (GitHub or GitLab): "why" links the compare view of the commits
	// between a node's last good run and its first bad one ("" links nothing).
	RepositoryURL string
	// Location is the project's zone: where a node's team has no zone of its own, its cadence (hourly, daily, on
	// weekdays) is learned and judged in it. UTC when nil.
	Location *time.Location
	// OpenIncidents, when set, lists the incidents Todai's escalation has open on the given nodes (the state
	// store's; the mirror does not hold them): "safe" names them.
	OpenIncidents func(ctx context.Context, nodeIDs []string) ([]OpenIncident, error)
	// IncidentHistory, when set, says how the incidents of tests and nodes ended lately (the state store's):
	// "urgent" and "why" say when people dismissed a test's alerts often, and judge its failure less likely real.
	IncidentHistory IncidentHistories
	// IncidentStats, when set, reads how a team's incidents were handled (the state store's): "incidents stats" and
	// the digest's weekly figures.
	IncidentStats IncidentStatsSource
	// Runbooks are the playbooks configured per test type and per tag: next steps and incident notices link them.
	Runbooks Runbooks
	// HealthWeights are the weights of the quality dimensions in a health total (1 for those not given).
	HealthWeights map[QualityDimension]float64
}

// Reader answers questions from the local mirror and its derived tables. It is safe for concurrent use. It keeps
// an in-memory catalog of the nodes (names, owners, teams), reloaded when Refresh rebuilt the definitions.
//
// Every answer reads one snapshot of the mirror: each exported method runs in one read transaction (Snapshot), so
// that a sync landing meanwhile is seen whole or not at all — the mirror's rows and the derived tables they imply
// together (a sync commits both at once).
type Reader struct {
	db    *localdb.DB
	teams Teams
	now   func() time.Time
	repo  string
	loc   *time.Location
	// openIncidents is ReaderOptions.OpenIncidents.
	openIncidents func(ctx context.Context, nodeIDs []string) ([]OpenIncident, error)
	// incidentHistories is ReaderOptions.IncidentHistory.
	incidentHistories IncidentHistories
	// incidentStats is ReaderOptions.IncidentStats.
	incidentStats IncidentStatsSource
	runbooks      Runbooks
	healthWeights map[QualityDimension]float64

	// q reads the mirror: the pool of readers, or a snapshot's read transaction (tx).
	q  querier
	tx *sql.Tx
	// shared is what a Reader and its snapshots keep in memory together.
	shared *readerCache
}

// querier runs the read model's statements: the pool of readers (*sql.DB), or one read transaction (*sql.Tx).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// readerCache is the in-memory state a Reader shares with its snapshots: the catalog of one definition generation,
// the diagnoses and the pipeline's state of one data generation.
type readerCache struct {
	mu  sync.Mutex
	cat *catalog
	// diag, urgency and downstream are each node's diagnosis, urgency (as the mirror says it) and downstream.
	diag       byNode[Diagnosis]
	urgency    byNode[mirrorUrgency]
	downstream byNode[downstreamOf]
	trouble    remembered[map[string]trouble]
	data       remembered[dataGraph]
	pipeline   remembered[*PipelineStop]
	// health remembers the results health scores are computed from, for one data generation; past, the results
	// of past windows (resultsAsOf).
	health *healthMemo
	past   map[pastKey]*resultSet
	// successTimes are nodes' success times, kept while their last success stays (successTimes).
	successTimes map[string]learnedTimes
	// invocations are what each invocation did, as skip walks read it, for the data generation invocationsGen.
	invocations    map[string]*invocationRuns
	invocationsGen int64
}

// remembered is one value the read model computed from the mirror's rows, kept for the data generation (and the
// time) it was computed at.
type remembered[T any] struct {
	set        bool
	generation int64
	at         time.Time
	value      T
}

// recall returns m's value when it was computed at generation gen and, when fresh is given, fresh says it still
// holds for when it was computed.
func recall[T any](c *readerCache, m *remembered[T], gen int64, fresh func(at time.Time) bool) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !m.set || m.generation != gen || (fresh != nil && !fresh(m.at)) {
		var zero T
		return zero, false
	}
	return m.value, true
}

// remember keeps v as m's value for generation gen, computed at at.
func remember[T any](c *readerCache, m *remembered[T], gen int64, at time.Time, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*m = remembered[T]{set: true, generation: gen, at: at, value: v}
}

// NewReader returns a Reader over db.
func NewReader(db *localdb.DB, opts ReaderOptions) *Reader {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Reader{db: db, teams: opts.Teams, now: now, repo: opts.RepositoryURL, loc: loc,
		openIncidents: opts.OpenIncidents, incidentHistories: opts.IncidentHistory,
		incidentStats: opts.IncidentStats, runbooks: opts.Runbooks, healthWeights: opts.HealthWeights, q: db.Read, shared: &readerCache{}}
}

// Snapshot returns a Reader that reads one consistent state of the mirror: every statement it runs sees the same
// sync, however many syncs land meanwhile (SQLite's WAL keeps a read transaction's snapshot). A digest, a sweep or
// any caller asking several questions that must agree takes one; release ends it (it holds one of the pool's
// connections until then). A snapshot's snapshot is itself.
func (r *Reader) Snapshot(ctx context.Context) (snap *Reader, release func(), err error) {
	if r.tx != nil {
		return r, func() {}, nil
	}
	tx, err := r.db.Read.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read the mirror: %w", err)
	}
	s := *r
	s.q, s.tx = tx, tx
	return &s, func() { _ = tx.Rollback() }, nil
}

// inSnapshot runs read on one snapshot of the mirror: r's own when r is one, else a new one.
func inSnapshot[T any](ctx context.Context, r *Reader, read func(s *Reader) (T, error)) (T, error) {
	s, release, err := r.Snapshot(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return read(s)
}

// nodeInfo is one node of the catalog.
type nodeInfo struct {
	Node
	nameKey, aliasKey, schemaKey, qualifiedKey string
	pkg, database, schema, alias               string
	group, metaTeam, criticality               string
	tags                                       []string
	path, originalPath, materialization        string
	label                                      string // an exposure's label ("Revenue dashboard")
	// description and meta are a test's (the catalog leaves other nodes' out: texts, read when asked, nodeTexts).
	description, meta string
	// test is set for a dbt test (see extranodes.go).
	test *testFacts
}

type catalog struct {
	generation int64
	nodes      []*nodeInfo
	byID       map[string]*nodeInfo
	byIDLower  map[string]*nodeInfo
	byName     map[string][]*nodeInfo
	byAlias    map[string][]*nodeInfo
	bySchema   map[string][]*nodeInfo
	byQual     map[string][]*nodeInfo
	byTeam     map[string][]string // lower(team) → unique_ids
	teamNames  []string
	// parents are each node's parents in the lineage (node_edges), sorted: edges are rebuilt with the definitions,
	// so they live as long as the catalog's generation.
	parents map[string][]string
	// children are each node's children, sorted: parents turned around.
	children map[string][]string
	tests    testDefCache // test definitions read by Failures, loaded on demand
	// extra indexes tests and Elementary's own nodes, read on first use (extranodes.go).
	extraMu sync.Mutex
	// coverage is what health's coverage needs of the definitions (coverageOf), guarded by coverageMu.
	coverageMu sync.Mutex
	coverage   *coverageIndex
	extra      *extraIndex
}

// dataGeneration is the mirror's data generation: it changes with every sync that changed a row.
func (r *Reader) dataGeneration(ctx context.Context) (int64, error) {
	return stateInt(ctx, r.q, dataGeneration)
}

// zoneOf is the zone n's schedules live in: its team's, else the project's.
func (r *Reader) zoneOf(n *nodeInfo) *time.Location {
	if rule, ok := r.teams.Rule(n.Team); ok && rule.Location != nil {
		return rule.Location
	}
	return r.loc
}

// catalog returns the current node catalog, reloading it when the definitions changed, or an *UnavailableError
// when no sync has landed yet (succeeded, or committed with some tables failed).
func (r *Reader) catalog(ctx context.Context) (*catalog, error) {
	var gen sql.NullString
	var ok int
	err := r.q.QueryRowContext(ctx, `SELECT
		(SELECT value FROM derived_state WHERE key = 'definition_generation'),
		EXISTS (SELECT 1 FROM sync_runs WHERE ok = 1 OR committed = 1)`).Scan(&gen, &ok)
	if err != nil {
		return nil, fmt.Errorf("read mirror state: %w", err)
	}
	if ok == 0 {
		return nil, &UnavailableError{Reason: "no successful sync of the Elementary tables yet"}
	}
	var g int64
	if gen.Valid {
		if _, err := fmt.Sscan(gen.String, &g); err != nil {
			return nil, fmt.Errorf("read mirror state: %w", err)
		}
	}
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	if r.shared.cat != nil && r.shared.cat.generation == g {
		return r.shared.cat, nil
	}
	c, err := r.loadCatalog(ctx, g)
	if err != nil {
		return nil, err
	}
	r.shared.cat = c
	return c, nil
}

func (r *Reader) loadCatalog(ctx context.Context, gen int64) (*catalog, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT unique_id, resource_type, name, name_key, alias_key, schema_key,
		qualified_key, package_name, database_name, schema_name, alias, owners, group_name, meta_team, tags, path,
		original_path, materialization, criticality,
		CASE resource_type WHEN 'exposure' THEN (SELECT label FROM dbt_exposures e WHERE e.unique_id = nodes.unique_id) END
		FROM nodes ORDER BY unique_id`)
	if err != nil {
		return nil, fmt.Errorf("load nodes: %w", err)
	}
	defer rows.Close()
	c := &catalog{generation: gen, byID: map[string]*nodeInfo{}, byIDLower: map[string]*nodeInfo{},
		byName: map[string][]*nodeInfo{}, byAlias: map[string][]*nodeInfo{}, bySchema: map[string][]*nodeInfo{},
		byQual: map[string][]*nodeInfo{}, byTeam: map[string][]string{}}
	teamSpelling := map[string]string{}
	for rows.Next() {
		n := &nodeInfo{}
		var aliasKey, schemaKey, qualKey, pkg, database, schema, alias, group, metaTeam, path, origPath, mat,
			crit, label *string
		var owners, tags string
		if err := rows.Scan(&n.UniqueID, &n.ResourceType, &n.Name, &n.nameKey, &aliasKey, &schemaKey, &qualKey, &pkg,
			&database, &schema, &alias, &owners, &group, &metaTeam, &tags, &path, &origPath, &mat,
			&crit, &label); err != nil {
			return nil, fmt.Errorf("load nodes: %w", err)
		}
		n.aliasKey, n.schemaKey, n.qualifiedKey = str(aliasKey), str(schemaKey), str(qualKey)
		n.pkg, n.database, n.schema, n.alias = str(pkg), str(database), str(schema), str(alias)
		n.group, n.metaTeam, n.criticality = str(group), str(metaTeam), str(crit)
		n.path, n.originalPath, n.materialization, n.label = str(path), str(origPath), str(mat), str(label)
		n.Owners = decodeJSONList(owners)
		if n.Owners == nil {
			n.Owners = []string{}
		}
		n.tags = decodeJSONList(tags)
		n.Team = r.teams.TeamOf(NodeFacts{Owners: n.Owners, Group: n.group, Tags: n.tags, Path: n.path,
			OriginalPath: n.originalPath, MetaTeam: n.metaTeam})
		c.nodes = append(c.nodes, n)
		c.byID[n.UniqueID] = n
		c.byIDLower[strings.ToLower(n.UniqueID)] = n
		c.byName[n.nameKey] = append(c.byName[n.nameKey], n)
		if n.aliasKey != "" {
			c.byAlias[n.aliasKey] = append(c.byAlias[n.aliasKey], n)
		}
		if n.schemaKey != "" {
			c.bySchema[n.schemaKey] = append(c.bySchema[n.schemaKey], n)
		}
		if n.qualifiedKey != "" && n.qualifiedKey != n.schemaKey {
			c.byQual[n.qualifiedKey] = append(c.byQual[n.qualifiedKey], n)
		}
		if n.Team != "" {
			k := strings.ToLower(n.Team)
			c.byTeam[k] = append(c.byTeam[k], n.UniqueID)
			if _, ok := teamSpelling[k]; !ok {
				teamSpelling[k] = n.Team
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load nodes: %w", err)
	}
	rows.Close()
	for _, t := range teamSpelling {
		c.teamNames = append(c.teamNames, t)
	}
	sort.Strings(c.teamNames)
	if c.parents, err = r.loadParents(ctx); err != nil {
		return nil, err
	}
	c.children = map[string][]string{}
	for _, child := range slices.Sorted(maps.Keys(c.parents)) {
		for _, p := range c.parents[child] {
			c.children[p] = append(c.children[p], child)
		}
	}
	return c, nil
}

// descendants are the nodes downstream of id, each at its least depth (1 for a child), to maxLineageDepth: a walk of
// the catalog's lineage in memory.
func (c *catalog) descendants(id string) map[string]int {
	depth := map[string]int{id: 0}
	queue := []string{id}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if depth[n] == maxLineageDepth {
			continue
		}
		for _, ch := range c.children[n] {
			if _, seen := depth[ch]; !seen {
				depth[ch] = depth[n] + 1
				queue = append(queue, ch)
			}
		}
	}
	delete(depth, id)
	return depth
}

// nodeTexts returns n's description and raw meta JSON: a test's from the catalog, another node's read from the
// mirror (the catalog does not keep them: they are the bulk of a node's text, and only describe and urgency read
// them).
func (r *Reader) nodeTexts(ctx context.Context, n *nodeInfo) (description, meta string, err error) {
	if n.test != nil {
		return n.description, n.meta, nil
	}
	var desc, m *string
	err = r.q.QueryRowContext(ctx, `SELECT description, meta FROM nodes WHERE unique_id = ?`, n.UniqueID).Scan(&desc, &m)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("description of %s: %w", n.UniqueID, err)
	}
	return str(desc), str(m), nil
}

// loadParents reads the lineage's edges: each node's parents, sorted.
func (r *Reader) loadParents(ctx context.Context) (map[string][]string, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT child, parent FROM node_edges ORDER BY child, parent`)
	if err != nil {
		return nil, fmt.Errorf("load lineage: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, fmt.Errorf("load lineage: %w", err)
		}
		out[child] = append(out[child], parent)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load lineage: %w", err)
	}
	return out, nil
}

// Resolve finds the node a user means by name: a unique_id, a name, an alias, "schema.name" (or "schema.alias"),
// or "source_name.name" for sources, all case-insensitively; a dbt test by unique_id or name; one of Elementary's
// own models by its exact unique_id only.
//
// Matches are tried in tiers and the first tier with a match decides: exact unique_id, then qualified names
// (source_name.name before schema.name), then name, then alias, then a test's unique_id or Elementary's, then a
// test's name. Within a tier, when a source and non-source nodes share the name, the non-source nodes win (a bare
// name usually means the model; the source stays reachable as source_name.name); several remaining matches are an
// *AmbiguousError listing their unique_ids. No match is a *NotFoundError with up to three near misses among
// models, sources, seeds, snapshots, exposures and tests (prefix, substring or small edit distance; Elementary's
// own nodes are never suggested). The name is only ever compared in memory or passed as a parameter.
func (r *Reader) Resolve(ctx context.Context, name string) (Node, error) {
	return inSnapshot(ctx, r, func(r *Reader) (Node, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return Node{}, err
		}
		n, err := r.resolve(ctx, c, name)
		if err != nil {
			return Node{}, err
		}
		return n.Node, nil
	})
}

// resolve looks name up among the listed nodes only; a miss is a *NotFoundError without suggestions (Reader.resolve
// adds them).
func (c *catalog) resolve(name string) (*nodeInfo, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	key = strings.Trim(key, "`")
	if key == "" {
		return nil, &NotFoundError{Name: name}
	}
	if n, ok := c.byIDLower[key]; ok {
		return n, nil
	}
	for _, tier := range [][]*nodeInfo{c.byQual[key], c.bySchema[key], c.byName[key], c.byAlias[key]} {
		if len(tier) == 0 {
			continue
		}
		cands := dedupNodes(tier)
		if len(cands) > 1 {
			var nonSource []*nodeInfo
			for _, n := range cands {
				if n.ResourceType != "source" {
					nonSource = append(nonSource, n)
				}
			}
			if len(nonSource) > 0 {
				cands = nonSource
			}
		}
		if len(cands) == 1 {
			return cands[0], nil
		}
		ids := make([]string, len(cands))
		for i, n := range cands {
			ids[i] = n.UniqueID
		}
		sort.Strings(ids)
		return nil, &AmbiguousError{Name: name, Candidates: ids}
	}
	return nil, &NotFoundError{Name: name}
}

func dedupNodes(l []*nodeInfo) []*nodeInfo {
	seen := map[string]bool{}
	var out []*nodeInfo
	for _, n := range l {
		if !seen[n.UniqueID] {
			seen[n.UniqueID] = true
			out = append(out, n)
		}
	}
	return out
}

// suggest returns up to three unique_ids whose name (or source_name.name) is near key: a prefix or substring match
// first, then names within a small edit distance, closest first; among tests (through their index, which a
// project's many tests need), a name starting with key, then one within the edit distance.
//
// It reads the lower-cased keys kept by the catalog, looks at each distinct key of a node once, and runs the edit
// distance only where the length difference and the letters the two strings share (a lower bound of the
// distance) leave it within reach, with buffers reused across keys.
func suggest(key string, nodes []*nodeInfo, tests *testIndex) []string {
	maxDist := min(1+len(key)/4, 3)
	ed := newEditDistance(key, maxDist)
	var cands []scoredID
	for _, n := range nodes {
		if score := nodeScore(n, key, ed); score >= 0 {
			cands = append(cands, scoredID{n.UniqueID, score})
		}
	}
	if tests != nil {
		cands = append(cands, tests.near(key, ed, maxDist)...)
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score < cands[j].score
		}
		return cands[i].id < cands[j].id
	})
	var out []string
	for i := 0; i < len(cands) && i < 3; i++ {
		out = append(out, cands[i].id)
	}
	return out
}

// nodeScore is how near key is to one of n's keys (its name, schema-qualified name, alias), -1 when none is within
// ed's reach: 0 for a prefix either way, 1 for a substring, 1+distance otherwise. Each distinct key is looked at once.
func nodeScore(n *nodeInfo, key string, ed *editDistance) int {
	best := -1
	keys := [...]string{n.nameKey, n.qualifiedKey, n.aliasKey}
	for i, k := range keys {
		if k == "" || (i > 0 && k == keys[0]) || (i == 2 && k == keys[1]) {
			continue // empty, or the same key again (alias = name is common)
		}
		s := -1
		switch {
		case strings.HasPrefix(k, key) || strings.HasPrefix(key, k):
			s = 0
		case strings.Contains(k, key) || (len(k) > 3 && strings.Contains(key, k)):
			s = 1
		case best >= 0 && best <= 1:
			// a prefix or substring match already beats any distance
		default:
			if d := ed.to(k); d >= 0 {
				s = 1 + d
			}
		}
		if s >= 0 && (best < 0 || s < best) {
			best = s
		}
	}
	return best
}

// scoredID is a suggestion and its score: lower is nearer.
type scoredID struct {
	id    string
	score int
}

// editDistance computes bounded Levenshtein distances from one string to many, reusing its buffers. It is not
// safe for concurrent use; suggest makes one per call.
type editDistance struct {
	a         string
	max       int
	hist      [256]int16 // a's byte counts
	prev, cur []int
}

func newEditDistance(a string, max int) *editDistance {
	e := &editDistance{a: a, max: max}
	for i := 0; i < len(a); i++ {
		e.hist[a[i]]++
	}
	return e
}

// to returns the Levenshtein distance from a to b, or -1 when it exceeds max. Two cheap lower bounds are checked
// first: the length difference, and the bag distance (the bytes of one string that the other cannot match).
func (e *editDistance) to(b string) int {
	a, max := e.a, e.max
	if d := len(a) - len(b); d > max || -d > max {
		return -1
	}
	h := e.hist
	extra := 0 // bytes of b that a lacks
	for i := 0; i < len(b); i++ {
		if h[b[i]] > 0 {
			h[b[i]]--
		} else {
			extra++
		}
	}
	if extra > max || len(a)-(len(b)-extra) > max {
		return -1
	}
	return boundedDistance(a, b, max, &e.prev, &e.cur)
}

// boundedDistance is the Levenshtein distance of a and b, or -1 when it exceeds max (checked cheaply first).
// prev and cur are scratch buffers, grown as needed.
func boundedDistance(a, b string, max int, prevBuf, curBuf *[]int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return -1
	}
	if cap(*prevBuf) < len(b)+1 {
		*prevBuf, *curBuf = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	prev, cur := (*prevBuf)[:len(b)+1], (*curBuf)[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > max {
			return -1
		}
		prev, cur = cur, prev
	}
	if prev[len(b)] > max {
		return -1
	}
	return prev[len(b)]
}

// Teams lists the teams that own at least one node, sorted.
func (r *Reader) Teams(ctx context.Context) ([]string, error) {
	return inSnapshot(ctx, r, func(r *Reader) ([]string, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return nil, err
		}
		return append([]string(nil), c.teamNames...), nil
	})
}

// TeamNodes lists the nodes of a team (case-insensitively), sorted by unique_id.
func (r *Reader) TeamNodes(ctx context.Context, team string) ([]Node, error) {
	return inSnapshot(ctx, r, func(r *Reader) ([]Node, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return nil, err
		}
		var out []Node
		for _, id := range c.byTeam[strings.ToLower(strings.TrimSpace(team))] {
			out = append(out, c.byID[id].Node)
		}
		return out, nil
	})
}

// SyncInfo reports how fresh the mirror is, from sync_runs: when the last successful sync finished, when the last
// attempt finished (or started, while unfinished) and that attempt's error if it failed. It works on an empty
// mirror (zero values).
func (r *Reader) SyncInfo(ctx context.Context) (SyncInfo, error) {
	return inSnapshot(ctx, r, func(r *Reader) (SyncInfo, error) {
		var info SyncInfo
		var okAt, readAt sql.NullString
		if err := r.q.QueryRowContext(ctx,
			`SELECT (SELECT max(finished_at) FROM sync_runs WHERE ok = 1),
				(SELECT max(started_at) FROM sync_runs WHERE ok = 1 OR committed = 1)`).Scan(&okAt, &readAt); err != nil {
			return info, fmt.Errorf("read sync runs: %w", err)
		}
		if okAt.Valid {
			if t, ok := parseTime(okAt.String); ok {
				info.LastSuccess = t
			}
		}
		if readAt.Valid {
			if t, ok := parseTime(readAt.String); ok {
				info.ReadAt = t
			}
		}
		var started string
		var finished, errText sql.NullString
		var ok int
		err := r.q.QueryRowContext(ctx, `SELECT started_at, finished_at, ok, error FROM sync_runs
			ORDER BY id DESC LIMIT 1`).Scan(&started, &finished, &ok, &errText)
		if errors.Is(err, sql.ErrNoRows) {
			return info, nil
		}
		if err != nil {
			return info, fmt.Errorf("read sync runs: %w", err)
		}
		at := started
		if finished.Valid {
			at = finished.String
		}
		if t, ok := parseTime(at); ok {
			info.LastAttempt = t
		}
		if ok == 0 {
			info.LastError = errText.String
		}
		return info, nil
	})
}

// NodeIn finds the node a question's text names in words rather than as one identifier: an exposure's label ("the
// Revenue dashboard", 「売上ダッシュボード」) or a node's name with its underscores read as spaces ("revenue
// dashboard"), case-insensitively, the longest the text holds (a word of Latin letters must stand as a whole word).
// Only keys of several words, or in a script without spaces, count: a one-word name is the parser's to pick. When
// picked (the word the parser picked) is given, only a key that holds it counts ("revenue" picked out of "the revenue
// dashboard"). A text that names none is a *NotFoundError.
func (r *Reader) NodeIn(ctx context.Context, text, picked string) (Node, error) {
	return inSnapshot(ctx, r, func(r *Reader) (Node, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return Node{}, err
		}
		lower, pick := strings.ToLower(text), strings.ToLower(picked)
		var best *nodeInfo
		bestLen := 0
		for _, n := range c.nodes {
			for _, key := range []string{strings.ToLower(n.label), strings.ReplaceAll(n.nameKey, "_", " ")} {
				if len(key) <= bestLen || !wordsKey(key) || !strings.Contains(key, pick) || !containsWords(lower, key) {
					continue
				}
				best, bestLen = n, len(key)
			}
		}
		if best == nil {
			return Node{}, &NotFoundError{Name: text}
		}
		return best.Node, nil
	})
}

// wordsKey says whether key names a node in words: several words, or a script written without spaces.
func wordsKey(key string) bool {
	if utf8.RuneCountInString(key) < 4 {
		return false
	}
	if strings.Contains(strings.TrimSpace(key), " ") {
		return true
	}
	for _, r := range key {
		if r > unicode.MaxLatin1 && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// containsWords says whether text holds key, not as a piece of a longer Latin word.
func containsWords(text, key string) bool {
	for from := 0; ; {
		i := strings.Index(text[from:], key)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(key)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if !isLatinWordRune(before) && !isLatinWordRune(after) {
			return true
		}
		from = start + 1
	}
}

// isLatinWordRune says whether r continues a word of Latin letters or digits (utf8.RuneError at either end of the
// text does not).
func isLatinWordRune(r rune) bool {
	return r < unicode.MaxLatin1 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}
