// Package elementary describes the Elementary warehouse tables Todai reads: their names, the columns Todai uses,
// their logical types, natural keys and how each table is synced. It is the one place that knows Elementary's
// layout; the warehouse sources, the mirror and the demo generator all read it.
package elementary

import (
	"slices"
	"strings"
	"sync"
)

// Type is the logical type of a column, independent of the warehouse.
type Type int

// Logical column types.
const (
	// String is a short VARCHAR.
	String Type = iota
	// Text is a long string; JSON held in a string column is Text too.
	Text
	// Timestamp is a real TIMESTAMP (NTZ) column, such as detected_at or created_at.
	Timestamp
	// TimeText is a time written as text: Elementary's UTC "YYYY-MM-DD HH:MM:SS" or dbt's ISO-8601.
	TimeText
	// Bool is a BOOLEAN.
	Bool
	// Int is an integer (int or bigint).
	Int
	// Float is a floating point number.
	Float
)

// String names the type as it appears in docs and errors.
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Text:
		return "long_string"
	case Timestamp:
		return "timestamp"
	case TimeText:
		return "timestamp_text"
	case Bool:
		return "boolean"
	case Int:
		return "bigint"
	case Float:
		return "float"
	}
	return "unknown"
}

// Case says how the mirror normalises a string column's case.
type Case int

// Case normalisations.
const (
	// KeepCase leaves the value as the warehouse stored it.
	KeepCase Case = iota
	// Lower lower-cases the value (statuses, resource types).
	Lower
	// Upper upper-cases the value (severities).
	Upper
)

// Column is one column Todai reads.
type Column struct {
	Name string
	Type Type
	// Required columns must exist in the warehouse for the table to be read; the others are discovered at start
	// and read as NULL where an older Elementary version lacks them.
	Required bool
	Case     Case
	// WarehouseOnly columns are Elementary's but not mirrored: nothing Todai answers reads them, and leaving them
	// out keeps the mirror a third smaller (the demo warehouse still has them).
	WarehouseOnly bool
	// KeepWhen, when set, keeps the column's value only in rows that match it, NULL in the others, as the warehouse
	// sends it: a test result's rows are kept for anomaly tests (their buckets) and never for dbt tests (samples of
	// failing rows, which may hold personal data).
	KeepWhen *Match
}

// Match is a condition on a column's value, compared without case: a constant of ours (lower-case letters and
// underscores), never user input.
type Match struct {
	Column string
	Value  string
}

// Kind tells how a table is synced.
type Kind int

// Table kinds.
const (
	// Definition tables (dbt artifacts) hold the current state only: re-read whole when they changed, deletions
	// propagate.
	Definition Kind = iota
	// History tables are append-only logs with real duplicates: read by watermark, deduplicated on their key.
	History
)

// Table is one Elementary table Todai mirrors.
type Table struct {
	Name string
	Kind Kind
	// Key is the natural key the mirror deduplicates on: one column, or several (test_result_rows).
	Key []string
	// Watermark is the column a History table is read incrementally by (the warehouse insert time).
	Watermark string
	// Optional tables may be missing (alerts_v2 exists only where `edr monitor` ran).
	Optional bool
	// Only, when set, keeps only the warehouse's rows that match it (test_result_rows: the buckets of anomaly
	// tests).
	Only    *Match
	Columns []Column
}

// Holds reports whether a row whose Column holds v matches: v's text, lower-cased, is Value.
func (m *Match) Holds(v any) bool {
	s, ok := v.(string)
	return ok && strings.ToLower(s) == m.Value
}

// IsKey reports whether the column is (part of) the table's key.
func (t Table) IsKey(column string) bool { return slices.Contains(t.Key, column) }

// Column returns the named column and whether the table has it.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Mirrored returns the columns the local mirror keeps: all but the warehouse-only ones.
func (t Table) Mirrored() []Column {
	out := make([]Column, 0, len(t.Columns))
	for _, c := range t.Columns {
		if !c.WarehouseOnly {
			out = append(out, c)
		}
	}
	return out
}

// ColumnNames lists the table's column names in order.
func (t Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

func cols(spec string) []Column {
	// spec is "name:type[:req][:lower|:upper][:w] ..." separated by spaces (w: warehouse only, not mirrored); a
	// compact way to keep the tables readable.
	var out []Column
	for _, f := range strings.Fields(spec) {
		parts := strings.Split(f, ":")
		c := Column{Name: parts[0]}
		for _, p := range parts[1:] {
			switch p {
			case "s":
				c.Type = String
			case "t":
				c.Type = Text
			case "ts":
				c.Type = Timestamp
			case "tt":
				c.Type = TimeText
			case "b":
				c.Type = Bool
			case "i":
				c.Type = Int
			case "f":
				c.Type = Float
			case "req":
				c.Required = true
			case "lower":
				c.Case = Lower
			case "upper":
				c.Case = Upper
			case "w":
				c.WarehouseOnly = true
			default:
				panic("elementary: bad column spec " + f)
			}
		}
		out = append(out, c)
	}
	return out
}

const modelColumns = `unique_id:s:req alias:s checksum:s materialization:s:lower tags:t meta:t owner:t database_name:s schema_name:s
	depends_on_nodes:t description:t name:s:req package_name:s original_path:t path:s patch_path:s generated_at:tt
	metadata_hash:s group_name:s access:s`

// Tables returns the Elementary tables Todai mirrors, definition tables first. The slice is new on every call; the
// tables' column lists are shared and must not be modified.
func Tables() []Table { return slices.Clone(tables()) }

// tables parses the specs once: every scan, fingerprint and fixture row looks tables up, and parsing them each time
// was most of the cost of building a scan's SQL. The result is never written after it is built.
var tables = sync.OnceValue(func() []Table {
	return []Table{
		{Name: "dbt_models", Kind: Definition, Key: []string{"unique_id"}, Columns: cols(modelColumns)},
		{Name: "dbt_snapshots", Kind: Definition, Key: []string{"unique_id"}, Columns: cols(modelColumns)},
		{Name: "dbt_seeds", Kind: Definition, Key: []string{"unique_id"}, Columns: cols(`unique_id:s:req alias:s checksum:s tags:t meta:t
			owner:t database_name:s schema_name:s description:t name:s:req package_name:s original_path:t path:s
			generated_at:tt metadata_hash:s group_name:s`)},
		{Name: "dbt_sources", Kind: Definition, Key: []string{"unique_id"}, Columns: cols(`unique_id:s:req database_name:s schema_name:s
			source_name:s:req name:s:req identifier:s loaded_at_field:s freshness_warn_after:s freshness_error_after:s
			freshness_filter:t relation_name:s tags:t meta:t owner:t package_name:s original_path:t path:s
			source_description:t description:t generated_at:tt metadata_hash:s`)},
		{Name: "dbt_tests", Kind: Definition, Key: []string{"unique_id"}, Columns: cols(`unique_id:s:req database_name:s schema_name:s
			name:s:req short_name:s alias:s test_column_name:s severity:s:upper warn_if:s error_if:s test_params:t
			test_namespace:s test_original_name:s tags:t model_tags:t model_owners:t meta:t depends_on_nodes:t
			parent_model_unique_id:s description:t package_name:s type:s original_path:t path:s generated_at:tt
			metadata_hash:s quality_dimension:s group_name:s`)},
		{Name: "dbt_exposures", Kind: Definition, Key: []string{"unique_id"}, Columns: cols(`unique_id:s:req name:s:req label:s
			maturity:s type:s owner_email:s owner_name:s url:t depends_on_nodes:t description:t tags:t meta:t
			package_name:s original_path:t path:s generated_at:tt metadata_hash:s`)},
		{Name: "dbt_groups", Kind: Definition, Key: []string{"unique_id"}, Optional: true, Columns: cols(`unique_id:s:req name:s:req
			owner_email:s owner_name:s generated_at:tt metadata_hash:s`)},
		// dbt_columns holds, by default (columns_upload_strategy: enriched_only), only the documented, tagged or
		// meta-carrying columns of models, sources, seeds and snapshots; unique_id is column.<parent>.<name>.
		{Name: "dbt_columns", Kind: Definition, Key: []string{"unique_id"}, Optional: true, Columns: cols(`unique_id:s:req
			parent_unique_id:s:req name:s:req data_type:s tags:t meta:t database_name:s schema_name:s table_name:s
			description:t resource_type:s:lower generated_at:tt metadata_hash:s`)},
		{Name: "dbt_invocations", Kind: History, Key: []string{"invocation_id"}, Watermark: "created_at", Columns: cols(`
			invocation_id:s:req job_id:s job_name:s job_run_id:s run_started_at:tt run_completed_at:tt generated_at:tt
			created_at:ts:req command:s:lower dbt_version:s elementary_version:s full_refresh:b target_name:s
			target_database:s target_schema:s target_profile_name:s threads:i selected:t project_name:s env:s
			orchestrator:s dbt_user:s job_url:s job_run_url:s git_sha:s cause_category:s cause:t pull_request_id:s`)},
		{Name: "dbt_run_results", Kind: History, Key: []string{"model_execution_id"}, Watermark: "created_at", Columns: cols(`
			model_execution_id:s:req unique_id:s:req invocation_id:s:req generated_at:tt created_at:ts:req name:s
			message:t status:s:req:lower resource_type:s:lower execution_time:f execute_started_at:tt:w
			execute_completed_at:tt compile_started_at:tt:w compile_completed_at:tt:w rows_affected:i:w full_refresh:b:w
			failures:i query_id:s thread_id:s:w materialization:s:lower group_name:s`)},
		{Name: "elementary_test_results", Kind: History, Key: []string{"id"}, Watermark: "created_at", Columns: keepWhen(cols(`
			id:s:req data_issue_id:s:w test_execution_id:s:w test_unique_id:s:req model_unique_id:s invocation_id:s
			detected_at:ts:req created_at:ts:req database_name:s:w schema_name:s:w table_name:s:w column_name:s
			test_type:s:lower test_sub_type:s test_results_description:t owners:t:w tags:t:w other:s:w test_name:t
			severity:s:upper status:s:req:lower failures:i test_short_name:s test_alias:s:w failed_row_count:i:w
			result_rows:t`), anomalyOnly, "result_rows")},
		// test_result_rows holds a test result's rows (store_result_rows_in_own_table, the default since 0.13): for
		// an anomaly test, one row per time bucket of its metric with its expected range. Only those are mirrored.
		{Name: "test_result_rows", Kind: History, Key: []string{"elementary_test_results_id", "row_index"},
			Watermark: "created_at", Optional: true, Only: anomalyOnly, Columns: cols(`elementary_test_results_id:s:req
			result_row:t detected_at:ts created_at:ts:req row_index:i:req test_type:s:lower`)},
		{Name: "dbt_source_freshness_results", Kind: History, Key: []string{"source_freshness_execution_id"}, Watermark: "created_at",
			Columns: cols(`source_freshness_execution_id:s:req unique_id:s:req max_loaded_at:tt snapshotted_at:tt
			generated_at:tt created_at:ts:req max_loaded_at_time_ago_in_s:f status:s:req:lower error:t
			compile_started_at:tt compile_completed_at:tt execute_started_at:tt execute_completed_at:tt
			invocation_id:s warn_after:s error_after:s filter:t`)},
		{Name: "alerts_v2", Kind: History, Key: []string{"alert_id"}, Watermark: "updated_at", Optional: true, Columns: cols(`
			alert_id:s:req alert_class_id:s:req type:s:lower detected_at:ts created_at:ts updated_at:ts:req
			status:s:lower data:t sent_at:ts`)},
		// data_monitoring_metrics is the metric history of Elementary's monitors (anomaly tests): a bucket computed
		// again keeps its id, the newest updated_at wins. Read for an anomaly test whose result has no rows.
		{Name: "data_monitoring_metrics", Kind: History, Key: []string{"id"}, Watermark: "updated_at", Optional: true,
			Columns: cols(`id:s:req full_table_name:s column_name:s metric_name:s metric_type:s:w metric_value:f
			source_value:s:w bucket_start:ts bucket_end:ts bucket_duration_hours:i:w updated_at:ts:req dimension:s
			dimension_value:s metric_properties:t:w created_at:ts`)},
	}
})

// anomalyOnly matches the rows of Elementary's anomaly tests.
var anomalyOnly = &Match{Column: "test_type", Value: "anomaly_detection"}

// keepWhen sets the named columns' KeepWhen.
func keepWhen(cs []Column, m *Match, names ...string) []Column {
	for _, v := range []string{m.Column, m.Value} {
		if strings.Trim(v, "abcdefghijklmnopqrstuvwxyz_") != "" {
			panic("elementary: a match is a constant of lower-case letters and underscores: " + v)
		}
	}
	for i := range cs {
		if slices.Contains(names, cs[i].Name) {
			cs[i].KeepWhen = m
		}
	}
	return cs
}

// Lookup returns the named table's description.
func Lookup(name string) (Table, bool) {
	for _, t := range tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}
