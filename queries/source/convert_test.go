package source

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

func TestConvertValue(t *testing.T) {
	ts := time.Date(2024, 5, 1, 13, 5, 22, 250000000, time.UTC)
	bigInt, _ := new(big.Int).SetString("12345678901234567890", 10)
	tests := []struct {
		name string
		typ  elementary.Type
		in   any
		want any
	}{
		{"nil stays nil", elementary.Int, nil, nil},
		// gosnowflake: NUMBER(38,0) as text (JSON and Arrow paths), or big.Int by value with higher precision.
		{"snowflake NUMBER text", elementary.Int, "42", int64(42)},
		{"snowflake NUMBER scaled text", elementary.Int, "42.00", int64(42)},
		{"snowflake NUMBER big.Int value", elementary.Int, *big.NewInt(7), int64(7)},
		{"snowflake NUMBER *big.Int", elementary.Int, big.NewInt(-3), int64(-3)},
		{"snowflake NUMBER big.Float", elementary.Int, *big.NewFloat(9), int64(9)},
		{"sqlite/pgx int64", elementary.Int, int64(5), int64(5)},
		{"integral float", elementary.Int, float64(6), int64(6)},
		{"bytes", elementary.Int, []byte("11"), int64(11)},
		// FLOAT: float64 on Arrow, text on the JSON path.
		{"snowflake FLOAT float64", elementary.Float, 1.5, 1.5},
		{"snowflake FLOAT text", elementary.Float, "2.25", 2.25},
		{"float from int64", elementary.Float, int64(3), 3.0},
		{"float from big.Float", elementary.Float, *big.NewFloat(0.5), 0.5},
		{"bool", elementary.Bool, true, true},
		{"sqlite bool as int", elementary.Bool, int64(0), false},
		{"bool text", elementary.Bool, "true", true},
		{"postgres bool text t", elementary.Bool, "t", true},
		// TIMESTAMP_NTZ: time.Time in UTC; go-sqlite3 may hand back text.
		{"time UTC", elementary.Timestamp, ts, ts},
		{"time in zone becomes UTC", elementary.Timestamp, ts.In(time.FixedZone("X", 3600)), ts},
		{"sqlite text time", elementary.Timestamp, "2024-05-01 13:05:22.25", ts},
		{"sqlite text time with zone", elementary.Timestamp, "2024-05-01 15:05:22.25+02:00", ts},
		{"iso time", elementary.Timestamp, "2024-05-01T13:05:22.25Z", ts},
		{"string", elementary.String, "abc", "abc"},
		{"string bytes", elementary.Text, []byte(`{"a":1}`), `{"a":1}`},
		{"time text stays text", elementary.TimeText, "2024-05-01 13:05:22", "2024-05-01 13:05:22"},
		{"time text typed as timestamp", elementary.TimeText, time.Date(2024, 5, 1, 13, 5, 22, 0, time.UTC), "2024-05-01 13:05:22"},
		{"string from int", elementary.String, int64(12), "12"},
		{"string from big", elementary.String, *bigInt, "12345678901234567890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := convertValue(tt.typ, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if gt, ok := got.(time.Time); ok {
				wt, _ := tt.want.(time.Time)
				if !gt.Equal(wt) || gt.Location() != time.UTC {
					t.Fatalf("got %v (%v), want %v UTC", gt, gt.Location(), wt)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestConvertValueErrors(t *testing.T) {
	bigInt, _ := new(big.Int).SetString("12345678901234567890", 10)
	tests := []struct {
		name string
		typ  elementary.Type
		in   any
	}{
		{"text int", elementary.Int, "abc"},
		{"fraction int", elementary.Int, "1.5"},
		{"too big", elementary.Int, *bigInt},
		{"huge float", elementary.Int, math.Inf(1)},
		{"nan", elementary.Int, math.NaN()},
		{"text float", elementary.Float, "x"},
		{"text bool", elementary.Bool, "maybe"},
		{"text time", elementary.Timestamp, "yesterday"},
		{"struct time", elementary.Timestamp, struct{}{}},
		{"struct int", elementary.Int, struct{}{}},
	}
	for _, tt := range tests {
		if got, err := convertValue(tt.typ, tt.in); err == nil {
			t.Errorf("%s: got %#v, want an error", tt.name, got)
		}
	}
}

func BenchmarkConvertValue(b *testing.B) {
	ts := time.Now()
	for b.Loop() {
		_, _ = convertValue(elementary.Int, "123456")
		_, _ = convertValue(elementary.Float, 1.5)
		_, _ = convertValue(elementary.Timestamp, ts)
		_, _ = convertValue(elementary.String, "model.jaffle.orders")
	}
}

// TestZonedTimestamps: an account whose TIMESTAMP_TYPE_MAPPING is TZ stores Elementary's UTC text with the writer's
// offset; its wall clock is the UTC time. SHOW COLUMNS' data_type tells the column types apart.
func TestZonedTimestamps(t *testing.T) {
	for _, tc := range []struct {
		dataType, kind string
	}{
		{`{"type":"TIMESTAMP_NTZ","precision":0,"scale":9,"nullable":true}`, ""},
		{`{"type":"TIMESTAMP_LTZ","precision":0,"scale":9,"nullable":true}`, "LTZ"},
		{`{"type":"TIMESTAMP_TZ","precision":0,"scale":9,"nullable":true}`, "TZ"},
		{`{"type":"TEXT","length":16777216}`, ""},
		{`not json`, ""},
	} {
		if got := snowflakeTimestampKind(tc.dataType); got != tc.kind {
			t.Errorf("snowflakeTimestampKind(%s) = %q, want %q", tc.dataType, got, tc.kind)
		}
	}
	la := time.FixedZone("PDT", -7*3600)
	written := time.Date(2024, 5, 1, 13, 5, 22, 0, la) // Elementary wrote "2024-05-01 13:05:22" (UTC) in LA
	if got := wallClockUTC(written, written.UTC()); got != time.Date(2024, 5, 1, 13, 5, 22, 0, time.UTC) {
		t.Errorf("wallClockUTC = %v, want 2024-05-01 13:05:22 UTC", got)
	}
	if got := wallClockUTC("text", "text"); got != "text" {
		t.Errorf("wallClockUTC of text = %v", got)
	}
	for col, want := range map[string]bool{"created_at": true, "updated_at": true, "detected_at": false, "generated_at": false} {
		if InsertTime(col) != want {
			t.Errorf("InsertTime(%s) = %v", col, !want)
		}
	}
}
