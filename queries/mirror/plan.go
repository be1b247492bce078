package mirror

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/source"
)

// maxParams bounds the host parameters of one multi-row INSERT (SQLite's default limit is 32,766).
const maxParams = 32000

// maxRowsPerInsert bounds the rows of one multi-row INSERT: beyond a few hundred rows the statement text grows
// without making the insert faster.
const maxRowsPerInsert = 400

// plan is how one table is read and written, computed once per discovery so the hot loop does no lookups.
type plan struct {
	table elementary.Table
	// cols are the columns selected from the warehouse: those Todai reads that the warehouse has, in table order.
	cols []string
	// convs[i] normalises cols[i].
	convs []conv
	// wm is the index of the watermark column in cols, or -1 for definition tables.
	wm int
	// missing lists the Required columns the warehouse lacks; a non-empty list makes the table fail.
	missing []string
	// rowsPerInsert is how many rows one prepared INSERT carries.
	rowsPerInsert int
}

// conv is the normalisation of one column.
type conv struct {
	typ  elementary.Type
	kase elementary.Case
}

// newPlan builds the plan of t for the columns the warehouse has (present).
func newPlan(t elementary.Table, present map[string]bool) *plan {
	p := &plan{table: t, wm: -1}
	for _, c := range t.Mirrored() {
		if !present[c.Name] {
			if c.Required {
				p.missing = append(p.missing, c.Name)
			}
			continue
		}
		if c.Name == t.Watermark {
			p.wm = len(p.cols)
		}
		p.cols = append(p.cols, c.Name)
		p.convs = append(p.convs, conv{typ: c.Type, kase: c.Case})
	}
	if len(p.cols) > 0 {
		p.rowsPerInsert = min(maxRowsPerInsert, maxParams/len(p.cols))
	}
	return p
}

// insertSQL returns the INSERT of n rows. Column and table names come from elementary.Tables(), never from input.
//   - History tables: duplicates of the natural key are dropped (ON CONFLICT DO NOTHING), except those read by
//     their update time (alerts_v2, whose rows change status; data_monitoring_metrics, whose buckets are computed
//     again): the newest updated_at wins.
//   - Definition tables: the newest generated_at wins among duplicates of unique_id (defensive dedup).
func (p *plan) insertSQL(n int) string {
	t := p.table
	var b strings.Builder
	b.Grow(64 + n*(2*len(p.cols)+3) + 40*len(p.cols))
	b.WriteString("INSERT INTO ")
	b.WriteString(t.Name)
	b.WriteString(" (")
	b.WriteString(strings.Join(p.cols, ", "))
	b.WriteString(") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range p.cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT(")
	b.WriteString(strings.Join(t.Key, ", "))
	b.WriteString(") ")
	newest := ""
	switch {
	case t.Kind == elementary.Definition:
		newest = "generated_at"
	case t.Watermark != "created_at": // rows changed in place and read by their update time
		newest = t.Watermark
	}
	var sets []string
	for _, c := range p.cols {
		if !t.IsKey(c) {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	if newest == "" || len(sets) == 0 {
		b.WriteString("DO NOTHING")
		return b.String()
	}
	b.WriteString("DO UPDATE SET ")
	b.WriteString(strings.Join(sets, ", "))
	if p.has(newest) {
		fmt.Fprintf(&b, " WHERE excluded.%[1]s >= %[2]s.%[1]s OR %[2]s.%[1]s IS NULL", newest, t.Name)
	}
	return b.String()
}

func (p *plan) has(col string) bool {
	for _, c := range p.cols {
		if c == col {
			return true
		}
	}
	return false
}

// normalise rewrites row in place to the mirror's representation and returns the row's watermark value (zero when
// the table has none or the value is not a time).
func (p *plan) normalise(row source.Row) time.Time {
	var wm time.Time
	n := min(len(row), len(p.convs))
	for i := range n {
		c := p.convs[i]
		if i == p.wm {
			v, t := normTime(row[i])
			row[i] = v
			wm = t
			continue
		}
		row[i] = c.apply(row[i])
	}
	return wm
}

// apply normalises one value by the column's logical type.
func (c conv) apply(v any) any {
	if v == nil {
		return nil
	}
	switch c.typ {
	case elementary.Timestamp, elementary.TimeText:
		out, _ := normTime(v)
		return out
	case elementary.Bool:
		return normBool(v)
	case elementary.Int:
		return normInt(v)
	case elementary.Float:
		return normFloat(v)
	default:
		return normString(v, c.kase)
	}
}

func normString(v any, k elementary.Case) any {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		return localdb.FormatTime(x)
	default:
		return fmt.Sprint(x)
	}
	switch k {
	case elementary.Lower:
		// strings.ToLower returns s itself, without allocating, when it is already lower case ASCII.
		return strings.ToLower(s)
	case elementary.Upper:
		return strings.ToUpper(s)
	}
	return s
}

func normBool(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int64:
		if x != 0 {
			return int64(1)
		}
		return int64(0)
	case float64:
		if x != 0 {
			return int64(1)
		}
		return int64(0)
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "t", "1", "yes", "y":
			return int64(1)
		case "false", "f", "0", "no", "n":
			return int64(0)
		}
		return x
	}
	return v
}

func normInt(v any) any {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		s := strings.TrimSpace(x)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return normInt(f)
		}
		return x
	}
	return v
}

func normFloat(v any) any {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f
		}
		return x
	}
	return v
}

// normTime renders a time value in the mirror's layout (UTC) and returns the time; text that is not a time is kept
// as it was (with a zero time).
func normTime(v any) (any, time.Time) {
	switch x := v.(type) {
	case time.Time:
		return localdb.FormatTime(x), x.UTC()
	case string:
		if t, ok := parseTimeText(x); ok {
			return localdb.FormatTime(t), t
		}
		return x, time.Time{}
	case []byte:
		return normTime(string(x))
	}
	return v, time.Time{}
}

// parseTimeText reads a text value as a time when it has a timestamp's shape (a date, then a time to the second:
// a text column that only holds a date or a number stays text), in any form elementary.ParseTimestamp reads.
func parseTimeText(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' {
		return time.Time{}, false
	}
	return elementary.ParseTimestamp(s)
}
