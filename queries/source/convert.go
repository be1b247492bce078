package source

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

// convertValue turns a driver value into the Row type of logical type t: nil, string, int64, float64, bool or
// time.Time (UTC). It accepts what go-sqlite3, pgx (database/sql) and gosnowflake return, including NUMBER as
// text and big numbers; a value that cannot be read as t is an error (never a panic).
func convertValue(t elementary.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch t {
	case elementary.Int:
		return toInt(v)
	case elementary.Float:
		return toFloat(v)
	case elementary.Bool:
		return toBool(v)
	case elementary.Timestamp:
		return toTime(v)
	default:
		return toText(v)
	}
}

func toInt(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d out of range", x)
		}
		return int64(x), nil
	case float64:
		return floatToInt(x)
	case float32:
		return floatToInt(float64(x))
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		// NUMBER with a scale comes back as "12.00".
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return floatToInt(f)
		}
		return nil, fmt.Errorf("text %.40q is not an integer", x)
	case big.Int:
		return bigIntToInt(&x)
	case *big.Int:
		return bigIntToInt(x)
	case big.Float:
		return bigFloatToInt(&x)
	case *big.Float:
		return bigFloatToInt(x)
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return nil, fmt.Errorf("cannot read %T as an integer", v)
}

func floatToInt(f float64) (any, error) {
	if f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 || math.IsNaN(f) {
		return nil, fmt.Errorf("number %v is not an integer", f)
	}
	return int64(f), nil
}

func bigIntToInt(b *big.Int) (any, error) {
	if b == nil {
		return nil, nil
	}
	if !b.IsInt64() {
		return nil, fmt.Errorf("integer %s out of range", b.String())
	}
	return b.Int64(), nil
}

func bigFloatToInt(b *big.Float) (any, error) {
	if b == nil {
		return nil, nil
	}
	if !b.IsInt() {
		return nil, fmt.Errorf("number %s is not an integer", b.String())
	}
	n, acc := b.Int64()
	if acc != big.Exact {
		return nil, fmt.Errorf("integer %s out of range", b.String())
	}
	return n, nil
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("text %.40q is not a number", x)
		}
		return f, nil
	case big.Float:
		f, _ := x.Float64()
		return f, nil
	case *big.Float:
		if x == nil {
			return nil, nil
		}
		f, _ := x.Float64()
		return f, nil
	case big.Int:
		f, _ := new(big.Float).SetInt(&x).Float64()
		return f, nil
	case *big.Int:
		if x == nil {
			return nil, nil
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, nil
	}
	return nil, fmt.Errorf("cannot read %T as a number", v)
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case int:
		return x != 0, nil
	case float64:
		return x != 0, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err != nil {
			return nil, fmt.Errorf("text %.40q is not a boolean", x)
		}
		return b, nil
	}
	return nil, fmt.Errorf("cannot read %T as a boolean", v)
}

func toTime(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		t, ok := elementary.ParseTimestamp(x)
		if !ok {
			return nil, fmt.Errorf("text %.40q is not a timestamp", x)
		}
		return t, nil
	}
	return nil, fmt.Errorf("cannot read %T as a timestamp", v)
}

func toText(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case time.Time:
		// A text time column that the warehouse typed as a timestamp: Elementary's own UTC text form.
		return x.UTC().Format(watermarkLayout), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case big.Int:
		return x.String(), nil
	case *big.Int:
		return x.String(), nil
	case big.Float:
		return x.Text('g', -1), nil
	case *big.Float:
		return x.Text('g', -1), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	return fmt.Sprint(v), nil
}

// metaText renders a metadata value (SHOW output, catalog statistics) for a fingerprint.
func metaText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	s, _ := toText(v)
	return s.(string)
}

// snowflakeTimestampKind reads SHOW COLUMNS' data_type JSON ({"type":"TIMESTAMP_TZ",…}) and returns "LTZ" or "TZ"
// for a zoned timestamp column, "" for anything else (TIMESTAMP_NTZ included).
func snowflakeTimestampKind(dataType string) string {
	var d struct {
		Type string `json:"type"`
	}
	if json.Unmarshal([]byte(dataType), &d) != nil {
		return ""
	}
	switch strings.ToUpper(d.Type) {
	case "TIMESTAMP_LTZ":
		return "LTZ"
	case "TIMESTAMP_TZ":
		return "TZ"
	}
	return ""
}

// InsertTime reports whether a timestamp column is an insert time Elementary takes from the warehouse clock
// (created_at, updated_at): a zoned column holds its instant rightly. Its other timestamps are UTC text cast to a
// timestamp, which a zoned column shifts by the writer's session offset.
func InsertTime(column string) bool {
	return column == "created_at" || column == "updated_at"
}

// wallClockUTC reads a TIMESTAMP_TZ value that holds Elementary's UTC text shifted into the writer's session zone:
// its wall clock is the UTC time ("2024-05-01 13:05:22 -0700" was written as "2024-05-01 13:05:22"). converted is
// the value convertValue made of it, kept when raw is not a time.
func wallClockUTC(raw, converted any) any {
	t, ok := raw.(time.Time)
	if !ok {
		return converted
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
