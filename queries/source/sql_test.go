package source

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

func TestScanSQL(t *testing.T) {
	since := time.Date(2024, 5, 1, 13, 5, 22, 123456000, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name   string
		d      dialect
		schema string
		req    ScanRequest
		query  string
		args   []any
	}{
		{"sqlite whole table", dialectSQLite, "",
			ScanRequest{Table: "dbt_models", Columns: []string{"unique_id", "name"}},
			`SELECT [unique_id], [name] FROM [dbt_models]`, nil},
		{"sqlite watermark", dialectSQLite, "",
			ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"}, SinceColumn: "created_at", Since: since},
			`SELECT [model_execution_id] FROM [dbt_run_results] WHERE [created_at] >= ?`,
			[]any{"2024-05-01 11:05:22.123456"}},
		{"postgres watermark", dialectPostgres, "prod_elementary",
			ScanRequest{Table: "elementary_test_results", Columns: []string{"id", "detected_at"}, SinceColumn: "created_at", Since: since},
			`SELECT "id", "detected_at" FROM "prod_elementary"."elementary_test_results" WHERE "created_at" >= CAST($1 AS timestamp)`,
			[]any{"2024-05-01 11:05:22.123456"}},
		{"snowflake upper-cases identifiers", dialectSnowflake, "ANALYTICS.PROD_ELEMENTARY",
			ScanRequest{Table: "alerts_v2", Columns: []string{"alert_id", "status"}, SinceColumn: "updated_at", Since: since},
			`SELECT "ALERT_ID", "STATUS" FROM "ANALYTICS"."PROD_ELEMENTARY"."ALERTS_V2" WHERE "UPDATED_AT" >= CAST(? AS TIMESTAMP_NTZ)`,
			[]any{"2024-05-01 11:05:22.123456"}},
		{"snowflake count of a window", dialectSnowflake, "A.B",
			ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"}, SinceColumn: "created_at",
				Since: since, Before: since.Add(time.Hour), CountDistinct: true},
			`SELECT count(DISTINCT "MODEL_EXECUTION_ID") FROM "A"."B"."DBT_RUN_RESULTS" WHERE "CREATED_AT" >= CAST(? AS TIMESTAMP_NTZ) AND "CREATED_AT" < CAST(? AS TIMESTAMP_NTZ)`,
			[]any{"2024-05-01 11:05:22.123456", "2024-05-01 12:05:22.123456"}},
		{"postgres window", dialectPostgres, "s",
			ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"}, SinceColumn: "created_at",
				Since: since, Before: since.Add(2 * time.Hour)},
			`SELECT "model_execution_id" FROM "s"."dbt_run_results" WHERE "created_at" >= CAST($1 AS timestamp) AND "created_at" < CAST($2 AS timestamp)`,
			[]any{"2024-05-01 11:05:22.123456", "2024-05-01 13:05:22.123456"}},
		{"snowflake window", dialectSnowflake, "A.B",
			ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id"}, SinceColumn: "created_at",
				Since: since, Before: since.Add(time.Hour)},
			`SELECT "MODEL_EXECUTION_ID" FROM "A"."B"."DBT_RUN_RESULTS" WHERE "CREATED_AT" >= CAST(? AS TIMESTAMP_NTZ) AND "CREATED_AT" < CAST(? AS TIMESTAMP_NTZ)`,
			[]any{"2024-05-01 11:05:22.123456", "2024-05-01 12:05:22.123456"}},
		{"snowflake keeps only anomaly tests' rows", dialectSnowflake, "A.B",
			ScanRequest{Table: "test_result_rows", Columns: []string{"elementary_test_results_id", "row_index"},
				SinceColumn: "created_at", Since: since},
			`SELECT "ELEMENTARY_TEST_RESULTS_ID", "ROW_INDEX" FROM "A"."B"."TEST_RESULT_ROWS" WHERE lower("TEST_TYPE") = 'anomaly_detection' AND "CREATED_AT" >= CAST(? AS TIMESTAMP_NTZ)`,
			[]any{"2024-05-01 11:05:22.123456"}},
		{"postgres sends a test's rows only for anomaly tests", dialectPostgres, "s",
			ScanRequest{Table: "elementary_test_results", Columns: []string{"id", "result_rows"}},
			`SELECT "id", CASE WHEN lower("test_type") = 'anomaly_detection' THEN "result_rows" END AS "result_rows" FROM "s"."elementary_test_results"`,
			nil},
		{"sqlite count of a window by a key of two columns", dialectSQLite, "",
			ScanRequest{Table: "test_result_rows", Columns: []string{"elementary_test_results_id", "row_index"},
				SinceColumn: "created_at", Since: since, Before: since.Add(time.Hour), CountDistinct: true},
			`SELECT count(*) FROM (SELECT DISTINCT [elementary_test_results_id], [row_index] FROM [test_result_rows] WHERE lower([test_type]) = 'anomaly_detection' AND [created_at] >= ? AND [created_at] < ?) distinct_keys`,
			[]any{"2024-05-01 11:05:22.123456", "2024-05-01 12:05:22.123456"}},
		{"zero since ignores the column", dialectPostgres, "s",
			ScanRequest{Table: "dbt_invocations", Columns: []string{"invocation_id"}, SinceColumn: "created_at"},
			`SELECT "invocation_id" FROM "s"."dbt_invocations"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, args, cols, err := scanSQL(tt.d, tt.schema, nil, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if q != tt.query {
				t.Errorf("query\n got %s\nwant %s", q, tt.query)
			}
			if !reflect.DeepEqual(args, tt.args) {
				t.Errorf("args = %#v, want %#v", args, tt.args)
			}
			if len(cols) != len(tt.req.Columns) && !tt.req.CountDistinct {
				t.Errorf("got %d column specs, want %d", len(cols), len(tt.req.Columns))
			}
		})
	}
}

func TestScanSQLRejectsUnknownNames(t *testing.T) {
	evil := `x"; DROP TABLE dbt_models; --`
	since := time.Now()
	tests := []struct {
		name string
		req  ScanRequest
		want string
	}{
		{"evil table", ScanRequest{Table: evil, Columns: []string{"unique_id"}}, "not an Elementary table"},
		{"evil column", ScanRequest{Table: "dbt_models", Columns: []string{"unique_id", evil}}, "unknown column"},
		{"evil watermark", ScanRequest{Table: "dbt_run_results", Columns: []string{"unique_id"}, SinceColumn: evil, Since: since},
			"unknown watermark column"},
		{"text watermark", ScanRequest{Table: "dbt_run_results", Columns: []string{"unique_id"}, SinceColumn: "generated_at",
			Since: since}, "not timestamp"},
		{"no columns", ScanRequest{Table: "dbt_models"}, "no columns"},
		{"count of two columns", ScanRequest{Table: "dbt_models", Columns: []string{"name", "unique_id"}, CountDistinct: true},
			"one column or the table's key"},
		{"duplicate column", ScanRequest{Table: "dbt_models", Columns: []string{"name", "name"}}, "twice"},
		{"view, not a table Todai reads", ScanRequest{Table: "model_run_results", Columns: []string{"unique_id"}}, "not an Elementary"},
	}
	for _, tt := range tests {
		for _, d := range []dialect{dialectSQLite, dialectPostgres, dialectSnowflake} {
			q, _, _, err := scanSQL(d, "s", nil, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s/%d: err = %v, want %q", tt.name, d, err, tt.want)
			}
			if q != "" {
				t.Errorf("%s/%d: SQL built despite the error: %s", tt.name, d, q)
			}
		}
	}
}

func TestEveryTableBuildsOnEveryDialect(t *testing.T) {
	for _, tab := range elementary.Tables() {
		for _, d := range []dialect{dialectSQLite, dialectPostgres, dialectSnowflake} {
			req := ScanRequest{Table: tab.Name, Columns: tab.ColumnNames()}
			if tab.Watermark != "" {
				req.SinceColumn, req.Since = tab.Watermark, time.Unix(1, 0)
			}
			q, _, _, err := scanSQL(d, "a.b", nil, req)
			if err != nil {
				t.Fatalf("%s/%d: %v", tab.Name, d, err)
			}
			for _, m := range matchesOf(tab) { // our constants, the only literals
				q = strings.ReplaceAll(q, "'"+m.Value+"'", "")
			}
			if strings.ContainsAny(q, ";'") {
				t.Errorf("%s/%d: unexpected characters in %s", tab.Name, d, q)
			}
		}
	}
}

// matchesOf lists a table's matches: its row filter and its columns' conditions.
func matchesOf(tab elementary.Table) []*elementary.Match {
	var out []*elementary.Match
	if tab.Only != nil {
		out = append(out, tab.Only)
	}
	for _, c := range tab.Columns {
		if c.KeepWhen != nil {
			out = append(out, c.KeepWhen)
		}
	}
	return out
}

func TestMetadataSQL(t *testing.T) {
	q, args := discoverSQL(dialectSnowflake, "ANALYTICS.PROD_ELEMENTARY")
	if q != `SHOW COLUMNS IN SCHEMA "ANALYTICS"."PROD_ELEMENTARY"` || args != nil {
		t.Errorf("snowflake discover = %q %v", q, args)
	}
	q, args = discoverSQL(dialectPostgres, "prod")
	if !strings.Contains(q, "information_schema.columns WHERE table_schema = $1") || !reflect.DeepEqual(args, []any{"prod"}) {
		t.Errorf("postgres discover = %q %v", q, args)
	}
	if q, _ := discoverSQL(dialectSQLite, ""); !strings.Contains(q, "pragma_table_info") {
		t.Errorf("sqlite discover = %q", q)
	}
	if got := snowflakeFingerprintSQL("ANALYTICS.PROD_ELEMENTARY"); got != `SHOW TABLES IN SCHEMA "ANALYTICS"."PROD_ELEMENTARY"` {
		t.Errorf("snowflake fingerprints = %q", got)
	}
	want := `SELECT 'dbt_models', max(rowid), count(*), group_concat(rowid || ':' || [unique_id] || ':' || coalesce(generated_at, ''), ',') FROM [dbt_models] UNION ALL ` +
		`SELECT 'dbt_tests', max(rowid), count(*), group_concat(rowid || ':' || [unique_id], ',') FROM [dbt_tests] UNION ALL ` +
		`SELECT 'elementary_test_results', max(rowid), NULL, NULL FROM [elementary_test_results] UNION ALL ` +
		`SELECT 'alerts_v2', max(rowid), NULL, max([updated_at]) FROM [alerts_v2] UNION ALL ` +
		`SELECT '', NULL, NULL, (SELECT group_concat(name, ',') FROM sqlite_master WHERE type IN ('table', 'view'))`
	has := func(t, c string) bool { return c == "unique_id" || t == "dbt_models" && c == "generated_at" }
	if got := sqliteFingerprintSQL([]string{"dbt_models", "dbt_tests", "elementary_test_results", "alerts_v2"}, has); got != want {
		t.Errorf("sqlite fingerprints\n got %s\nwant %s", got, want)
	}
	// An old install's dbt_columns (a view without unique_id) is fingerprinted by rowid alone.
	if got := sqliteFingerprintSQL([]string{"dbt_columns"}, func(string, string) bool { return false }); got !=
		`SELECT 'dbt_columns', max(rowid), count(*), group_concat(rowid, ',') FROM [dbt_columns] UNION ALL `+
			`SELECT '', NULL, NULL, (SELECT group_concat(name, ',') FROM sqlite_master WHERE type IN ('table', 'view'))` {
		t.Errorf("sqlite fingerprint of a table without its key: %s", got)
	}
	if !strings.Contains(postgresFingerprintSQL, "n.nspname = $1") {
		t.Error("postgres fingerprints must filter the schema by parameter")
	}
}

func TestFormatWatermarkSortsLikeStoredText(t *testing.T) {
	base := time.Date(2024, 5, 1, 13, 5, 22, 0, time.UTC)
	tests := []struct {
		since  time.Time
		stored string
		ge     bool // stored >= since
	}{
		{base, "2024-05-01 13:05:22", true},
		{base, "2024-05-01 13:05:21.999999", false},
		{base, "2024-05-01 13:05:22+00:00", true},
		{base.Add(100 * time.Millisecond), "2024-05-01 13:05:22+00:00", false},
		{base.Add(100 * time.Millisecond), "2024-05-01 13:05:22.1", true},
		{base.Add(100 * time.Millisecond), "2024-05-01 13:05:22.15", true},
		{base.Add(100 * time.Millisecond), "2024-05-01 13:05:22.09", false},
		{base.Add(time.Nanosecond), "2024-05-01 13:05:22", true}, // truncated to microseconds: re-read, never missed
	}
	for _, tt := range tests {
		w := formatWatermark(tt.since)
		if got := tt.stored >= w; got != tt.ge {
			t.Errorf("%q >= %q = %v, want %v", tt.stored, w, got, tt.ge)
		}
	}
}
