package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/todai-dev/todai/queries/localdb"
)

// definitionTables are the mirror tables whose change rebuilds nodes, node_edges and test_nodes.
var definitionTables = [...]string{"dbt_models", "dbt_snapshots", "dbt_seeds", "dbt_sources", "dbt_tests",
	"dbt_exposures", "dbt_groups"}

// historyTables feed the per-node state (last run, latest test results, latest freshness).
var historyTables = [...]string{"dbt_run_results", "elementary_test_results", "dbt_source_freshness_results"}

// Derived maintains the read model's derived tables (migrations/00002_derived.sql) from the mirror tables. The
// zero value is ready to use and holds no state: everything it needs is in the database.
type Derived struct{}

// Refresh brings the derived tables up to date inside tx, the sync's write transaction. changed names the mirror
// tables the sync changed. When a definition table changed (or the derived tables were never built) the nodes,
// edges and test links are rebuilt whole; new history rows (found by rowid watermark, so late or out-of-order rows
// are seen) update the latest run, test result and freshness of the nodes they touch; every node's health is then
// recomputed. With nothing changed it returns at once.
func (d *Derived) Refresh(ctx context.Context, tx *sql.Tx, changed map[string]bool) error {
	if len(changed) > 0 {
		if err := bumpState(ctx, tx, dataGeneration); err != nil {
			return err
		}
	}
	built, err := stateInt(ctx, tx, "definition_generation")
	if err != nil {
		return err
	}
	defChanged := built == 0
	histChanged := built == 0
	for _, t := range definitionTables {
		defChanged = defChanged || changed[t]
	}
	for _, t := range historyTables {
		histChanged = histChanged || changed[t]
	}
	if !defChanged && !histChanged {
		return nil
	}
	if defChanged {
		if err := rebuildDefinitions(ctx, tx); err != nil {
			return fmt.Errorf("refresh derived tables: %w", err)
		}
		if err := recordDefinitionChanges(ctx, tx, built == 0); err != nil {
			return fmt.Errorf("refresh derived tables: %w", err)
		}
		if err := setState(ctx, tx, "definition_generation", strconv.FormatInt(built+1, 10)); err != nil {
			return err
		}
	}
	newRows, err := updateHistory(ctx, tx)
	if err != nil {
		return fmt.Errorf("refresh derived tables: %w", err)
	}
	if !defChanged && !newRows {
		return nil
	}
	if _, err := tx.ExecContext(ctx, healthSQL); err != nil {
		return fmt.Errorf("refresh derived tables: node health: %w", err)
	}
	return nil
}

// RefreshAll rebuilds every derived table in its own write transaction, as if every table had changed. The sync
// calls Refresh inside its own transaction instead; RefreshAll serves tools, tests and recovery.
func RefreshAll(ctx context.Context, db *localdb.DB) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("refresh derived tables: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, q := range []string{`DELETE FROM node_last_run`, `DELETE FROM test_latest`, `DELETE FROM test_latest_ran`,
		`DELETE FROM source_freshness_latest`, `DELETE FROM derived_state WHERE key LIKE 'rowid:%'`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("refresh derived tables: reset: %w", err)
		}
	}
	all := map[string]bool{}
	for _, t := range definitionTables {
		all[t] = true
	}
	for _, t := range historyTables {
		all[t] = true
	}
	var d Derived
	if err := d.Refresh(ctx, tx, all); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("refresh derived tables: commit: %w", err)
	}
	return nil
}

func stateInt(ctx context.Context, q querier, key string) (int64, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM derived_state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read derived state %s: %w", key, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read derived state %s: %w", key, err)
	}
	return n, nil
}

// dataGeneration counts the syncs that changed the mirror: what is computed from the mirror's rows alone (the
// diagnosis) is remembered while it stays the same.
const dataGeneration = "data_generation"

// bumpState adds one to an integer of derived_state.
func bumpState(ctx context.Context, tx *sql.Tx, key string) error {
	n, err := stateInt(ctx, tx, key)
	if err != nil {
		return err
	}
	return setState(ctx, tx, key, strconv.FormatInt(n+1, 10))
}

func setState(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO derived_state(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write derived state %s: %w", key, err)
	}
	return nil
}

// isElementary says whether a node is Elementary's own.
func isElementary(uniqueID, pkg string) bool {
	return strings.EqualFold(pkg, "elementary") || strings.HasPrefix(strings.ToLower(uniqueID), "model.elementary.")
}

// nodeSelects reads each definition table in one shape: unique_id, resource_type, name, source_name, alias,
// schema, database, package, owner, meta, tags, group, path, original_path, materialization, description,
// exposure owner email, exposure owner name.
var nodeSelects = []string{
	`SELECT unique_id, 'model', name, NULL, alias, schema_name, database_name, package_name, owner, meta, tags,
		group_name, path, original_path, materialization, description, NULL, NULL FROM dbt_models`,
	`SELECT unique_id, 'snapshot', name, NULL, alias, schema_name, database_name, package_name, owner, meta, tags,
		group_name, path, original_path, materialization, description, NULL, NULL FROM dbt_snapshots`,
	`SELECT unique_id, 'seed', name, NULL, alias, schema_name, database_name, package_name, owner, meta, tags,
		group_name, path, original_path, 'seed', description, NULL, NULL FROM dbt_seeds`,
	`SELECT unique_id, 'source', name, source_name, identifier, schema_name, database_name, package_name, owner,
		meta, tags, NULL, path, original_path, NULL, coalesce(nullif(description, ''), source_description), NULL,
		NULL FROM dbt_sources`,
	`SELECT unique_id, 'exposure', name, NULL, NULL, NULL, NULL, package_name, NULL, meta, tags, NULL, path,
		original_path, NULL, description, owner_email, owner_name FROM dbt_exposures`,
}

func rebuildDefinitions(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{`DELETE FROM nodes`, `DELETE FROM node_edges`, `DELETE FROM test_nodes`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO nodes (unique_id, resource_type, name, name_key,
		alias_key, schema_key, qualified_key, package_name, database_name, schema_name, alias, owners, group_name,
		meta_team, tags, path, original_path, materialization, description, meta, criticality)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("prepare node insert: %w", err)
	}
	defer ins.Close()
	for _, q := range nodeSelects {
		if err := insertNodes(ctx, tx, ins, q); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, edgesSQL); err != nil {
		return fmt.Errorf("node edges: %w", err)
	}
	if _, err := tx.ExecContext(ctx, testNodesSQL); err != nil {
		return fmt.Errorf("test nodes: %w", err)
	}
	return nil
}

// insertNodes inserts the nodes of one definition query. Owners are the owner column ∪ meta.owner, as Elementary
// wrote them for its version: since 0.25.1 the owner column of models and snapshots already falls back to their dbt
// group's owner, while seeds, sources and older versions have no fallback — Todai adds none, so that it names the
// same owners as Elementary's alerts (the group stays in the owner answer).
func insertNodes(ctx context.Context, tx *sql.Tx, ins *sql.Stmt, q string) error {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("read definitions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, rtype, name string
		var sourceName, alias, schema, database, pkg, owner, meta, tags, group, path, origPath, mat, desc,
			expEmail, expName *string
		if err := rows.Scan(&id, &rtype, &name, &sourceName, &alias, &schema, &database, &pkg, &owner, &meta, &tags,
			&group, &path, &origPath, &mat, &desc, &expEmail, &expName); err != nil {
			return fmt.Errorf("read definitions: %w", err)
		}
		if isElementary(id, str(pkg)) {
			continue
		}
		m := parseMeta(str(meta))
		owners := mergeOwners(parseList(str(owner)), metaOwners(m))
		if rtype == "exposure" {
			owners = mergeOwners(splitComma(str(expEmail)), owners)
			if len(owners) == 0 {
				owners = mergeOwners(splitComma(str(expName)))
			}
		}
		display := name
		lowerName := strings.ToLower(name)
		var aliasKey, schemaKey, qualKey any
		if a := str(alias); a != "" {
			aliasKey = strings.ToLower(a)
		}
		rel := name
		if a := str(alias); a != "" {
			rel = a
		}
		if s := str(schema); s != "" {
			schemaKey = strings.ToLower(s + "." + rel)
			qualKey = strings.ToLower(s + "." + name)
		}
		if rtype == "source" && str(sourceName) != "" {
			display = str(sourceName) + "." + name
			qualKey = strings.ToLower(display)
		}
		crit, _ := metaCriticality(m)
		if _, err := ins.ExecContext(ctx, id, rtype, display, lowerName, aliasKey, schemaKey, qualKey, pkg, database,
			schema, alias, jsonList(owners), group, nullable(metaString(m, "team")), jsonList(parseList(str(tags))),
			path, origPath, mat, desc, meta, nullable(crit)); err != nil {
			return fmt.Errorf("insert node %s: %w", id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read definitions: %w", err)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// recordDefinitionChanges compares the models' and snapshots' definitions with those of the previous sync and
// records what changed in node_changes: the SQL (checksum) and the parents. The first build only records the
// definitions (a baseline, not a change).
func recordDefinitionChanges(ctx context.Context, tx *sql.Tx, first bool) error {
	if !first {
		for _, q := range []string{
			`INSERT INTO node_changes (unique_id, changed_at, what, old_value, new_value)
			SELECT c.unique_id, coalesce(c.generated_at, ''), 'sql', d.checksum, c.checksum
			FROM (SELECT unique_id, checksum, generated_at FROM dbt_models
			      UNION ALL SELECT unique_id, checksum, generated_at FROM dbt_snapshots) c
			JOIN node_definitions d ON d.unique_id = c.unique_id
			WHERE c.checksum IS NOT NULL AND d.checksum IS NOT NULL AND c.checksum <> d.checksum`,
			`INSERT INTO node_changes (unique_id, changed_at, what, old_value, new_value)
			SELECT c.unique_id, coalesce(c.generated_at, ''), 'parents', d.parents, c.parents
			FROM (SELECT unique_id, generated_at, ` + sortedParents + ` AS parents FROM dbt_models m
			      UNION ALL SELECT unique_id, generated_at, ` + sortedParents + ` FROM dbt_snapshots m) c
			JOIN node_definitions d ON d.unique_id = c.unique_id
			WHERE c.parents <> d.parents`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("record definition changes: %w", err)
			}
		}
	}
	for _, q := range []string{`DELETE FROM node_definitions`,
		`INSERT OR REPLACE INTO node_definitions (unique_id, checksum, parents)
		SELECT unique_id, checksum, ` + sortedParents + ` FROM dbt_models m
		UNION ALL SELECT unique_id, checksum, ` + sortedParents + ` FROM dbt_snapshots m`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("record definitions: %w", err)
		}
	}
	return nil
}

// sortedParents is a definition row m's parents as a sorted JSON list (malformed lists read as none).
const sortedParents = `(SELECT coalesce(json_group_array(value), '[]') FROM (SELECT j.value FROM json_each(
	CASE WHEN json_valid(m.depends_on_nodes) AND json_type(m.depends_on_nodes) = 'array' THEN m.depends_on_nodes
	ELSE '[]' END) j ORDER BY j.value))`

// edgesSQL links parents to children from depends_on_nodes; only nodes Todai shows (in nodes) are linked, and
// malformed lists are ignored.
const edgesSQL = `INSERT OR IGNORE INTO node_edges (parent, child)
SELECT j.value, d.unique_id
FROM (SELECT unique_id, depends_on_nodes FROM dbt_models
      UNION ALL SELECT unique_id, depends_on_nodes FROM dbt_snapshots
      UNION ALL SELECT unique_id, depends_on_nodes FROM dbt_exposures) d
JOIN nodes c ON c.unique_id = d.unique_id,
     json_each(CASE WHEN json_valid(d.depends_on_nodes) AND json_type(d.depends_on_nodes) = 'array'
                    THEN d.depends_on_nodes ELSE '[]' END) j
JOIN nodes p ON p.unique_id = j.value
WHERE j.value <> d.unique_id`

// testNodesSQL links every test to every node it touches.
const testNodesSQL = `INSERT OR IGNORE INTO test_nodes (node_unique_id, test_unique_id)
SELECT n.unique_id, x.test_unique_id
FROM (SELECT t.unique_id AS test_unique_id, j.value AS node_id
      FROM dbt_tests t,
           json_each(CASE WHEN json_valid(t.depends_on_nodes) AND json_type(t.depends_on_nodes) = 'array'
                          THEN t.depends_on_nodes ELSE '[]' END) j
      UNION
      SELECT unique_id, parent_model_unique_id FROM dbt_tests WHERE parent_model_unique_id IS NOT NULL) x
JOIN nodes n ON n.unique_id = x.node_id`

// runOrder is the order of a node's runs, newest first: execute_completed_at, else generated_at (the upload
// time), then the insert time.
const runOrder = `coalesce(execute_completed_at, generated_at) DESC, created_at DESC, model_execution_id DESC`

// statusRank orders test statuses worst first.
const statusRank = `CASE status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 WHEN 'warn' THEN 2 WHEN 'pass' THEN 3
	WHEN 'skipped' THEN 4 ELSE 5 END`

// testLatestRan keeps each test's newest result that was not skipped, for the tests new rows (rowid > ?1) touch: its
// time and the worst of its rows detected then (every row of one run of a test shares its detected_at). Health
// scores a test by it.
const testLatestRan = `INSERT OR REPLACE INTO test_latest_ran (test_unique_id, detected_at, status)
	SELECT a.test_unique_id, a.at, (SELECT w.status FROM elementary_test_results w
		WHERE w.test_unique_id = a.test_unique_id AND w.detected_at = a.at AND w.status != 'skipped'
		ORDER BY ` + "CASE w.status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 WHEN 'warn' THEN 2 WHEN 'pass' THEN 3 ELSE 5 END" + ` LIMIT 1)
	FROM (SELECT t.test_unique_id, (SELECT max(e.detected_at) FROM elementary_test_results e
			WHERE e.test_unique_id = t.test_unique_id AND e.status != 'skipped') AS at
		FROM (SELECT DISTINCT test_unique_id FROM elementary_test_results WHERE rowid > ?1) t) a
	WHERE a.at IS NOT NULL`

// updateHistory updates the latest run, test result and freshness of what new history rows touch, and reports
// whether there were any. A node's last run is of models, snapshots and seeds only: not of tests, sources, or dbt
// unit tests (resource_type unit_test, which dbt_run_results also holds since dbt 1.8).
func updateHistory(ctx context.Context, tx *sql.Tx) (bool, error) {
	steps := []struct{ table, sql, more string }{
		{"dbt_run_results", `INSERT OR REPLACE INTO node_last_run (unique_id, model_execution_id, status, completed_at,
				success_at)
			SELECT r.unique_id, r.model_execution_id, r.status, coalesce(r.execute_completed_at, r.generated_at),
				(SELECT coalesce(s.execute_completed_at, s.generated_at) FROM dbt_run_results s
				 WHERE s.unique_id = a.unique_id AND s.status = 'success' ORDER BY ` + runOrder + ` LIMIT 1)
			FROM (SELECT DISTINCT unique_id FROM dbt_run_results WHERE rowid > ?1
			      AND unique_id NOT LIKE 'test.%' AND unique_id NOT LIKE 'source.%'
			      AND unique_id NOT LIKE 'unit\_test.%' ESCAPE '\' AND coalesce(resource_type, '') <> 'unit_test') a
			JOIN dbt_run_results r ON r.model_execution_id = (
				SELECT model_execution_id FROM dbt_run_results x WHERE x.unique_id = a.unique_id
				ORDER BY ` + runOrder + ` LIMIT 1)`, ""},
		{"elementary_test_results", `INSERT OR REPLACE INTO test_latest (test_unique_id, result_id, invocation_id,
				detected_at, status, severity, failures, message, column_name)
			SELECT r.test_unique_id, r.id, r.invocation_id, r.detected_at, r.status, r.severity, r.failures,
				r.test_results_description, r.column_name
			FROM (SELECT a.test_unique_id, (SELECT n.rowid FROM elementary_test_results n
					WHERE n.test_unique_id = a.test_unique_id ORDER BY n.detected_at DESC, n.created_at DESC LIMIT 1) nr
			      FROM (SELECT DISTINCT test_unique_id FROM elementary_test_results WHERE rowid > ?1) a) a
			JOIN elementary_test_results n ON n.rowid = a.nr
			JOIN elementary_test_results r ON r.rowid = CASE WHEN n.invocation_id IS NOT NULL THEN (
				SELECT w.rowid FROM elementary_test_results w
				WHERE w.invocation_id = n.invocation_id AND w.test_unique_id = a.test_unique_id
				ORDER BY ` + strings.ReplaceAll(statusRank, "status", "w.status") + `, w.detected_at DESC LIMIT 1)
			ELSE (
				SELECT w.rowid FROM elementary_test_results w
				WHERE w.test_unique_id = a.test_unique_id AND w.invocation_id IS NULL AND w.detected_at = n.detected_at
				ORDER BY ` + strings.ReplaceAll(statusRank, "status", "w.status") + ` LIMIT 1) END`,
			testLatestRan},
		{"dbt_source_freshness_results", `INSERT OR REPLACE INTO source_freshness_latest (unique_id, execution_id, status)
			SELECT a.unique_id, r.source_freshness_execution_id, r.status
			FROM (SELECT DISTINCT unique_id FROM dbt_source_freshness_results WHERE rowid > ?1) a
			JOIN dbt_source_freshness_results r ON r.source_freshness_execution_id = (
				SELECT source_freshness_execution_id FROM dbt_source_freshness_results x
				WHERE x.unique_id = a.unique_id
				ORDER BY x.generated_at DESC, x.created_at DESC, x.source_freshness_execution_id DESC LIMIT 1)`, ""},
	}
	did := false
	for _, s := range steps {
		key := "rowid:" + s.table
		wm, err := stateInt(ctx, tx, key)
		if err != nil {
			return false, err
		}
		var max sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(rowid) FROM `+s.table).Scan(&max); err != nil {
			return false, fmt.Errorf("%s watermark: %w", s.table, err)
		}
		if !max.Valid || max.Int64 == wm {
			continue
		}
		if max.Int64 < wm {
			wm = 0 // rows were deleted and rowids reused: recompute all
		}
		for _, q := range []string{s.sql, s.more} {
			if q == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, q, wm); err != nil {
				return false, fmt.Errorf("latest of %s: %w", s.table, err)
			}
		}
		if err := setState(ctx, tx, key, strconv.FormatInt(max.Int64, 10)); err != nil {
			return false, err
		}
		did = true
	}
	return did, nil
}

// healthSQL sets every node's health from its last run, its tests' latest results and its latest freshness:
// error (run errored) > failing (test fail/error) > stale (freshness error or runtime error) > warn (test warn,
// run skipped or partial success, freshness warn) > ok > unknown (nothing known). Skipped tests count as no result.
const healthSQL = `UPDATE nodes SET health = CASE min(
	coalesce((SELECT CASE status WHEN 'error' THEN 0 WHEN 'skipped' THEN 3 WHEN 'partial success' THEN 3 ELSE 4 END
	          FROM node_last_run WHERE unique_id = nodes.unique_id), 5),
	coalesce((SELECT min(CASE tl.status WHEN 'error' THEN 1 WHEN 'fail' THEN 1 WHEN 'warn' THEN 3 WHEN 'pass' THEN 4
	                     ELSE 5 END)
	          FROM test_nodes tn JOIN test_latest tl ON tl.test_unique_id = tn.test_unique_id
	          WHERE tn.node_unique_id = nodes.unique_id), 5),
	coalesce((SELECT CASE status WHEN 'error' THEN 2 WHEN 'runtime error' THEN 2 WHEN 'warn' THEN 3 ELSE 4 END
	          FROM source_freshness_latest WHERE unique_id = nodes.unique_id), 5))
	WHEN 0 THEN 'error' WHEN 1 THEN 'failing' WHEN 2 THEN 'stale' WHEN 3 THEN 'warn' WHEN 4 THEN 'ok'
	ELSE 'unknown' END`
