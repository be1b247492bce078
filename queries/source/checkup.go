package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/todai-dev/todai/queries/checkup"
)

// Check is doctor's warehouse check over an open Source: the Elementary tables and the columns Todai uses, the
// tables synced before that the warehouse no longer shows (synced lists them, from the state), Snowflake's zoned
// timestamp columns and the change markers. reached is false when the warehouse could not be read at all (doctor
// then skips the checks that need it).
func Check(ctx context.Context, src Source, synced []string) (out checkup.Findings, reached bool) {
	cat, err := src.Discover(ctx)
	var se *SchemaError
	// A table synced before that the warehouse no longer shows: on Snowflake most often a `create or replace`
	// (a full refresh, Elementary's replace upload) that dropped the table's grant.
	var vanished []string
	if err == nil || errors.As(err, &se) {
		for _, t := range synced {
			if _, ok := cat[t]; !ok {
				vanished = append(vanished, t)
			}
		}
	}
	for _, t := range vanished {
		out.Fail(fmt.Sprintf("%s was synced before, but %s no longer shows it to Todai (a `create or replace` "+
			"dropped its grant, or it was dropped)", t, src.Describe()), src.GrantFix(t))
	}
	switch {
	case se != nil:
		if se.NoTables {
			out.Fail(fmt.Sprintf("%s: no Elementary tables found", src.Describe()),
				"point the URL's schema at the one the Elementary package writes (e.g. <target schema>_elementary) and grant the role SELECT on it")
			return out, false
		}
		fix := "run `dbt run --select elementary` with an up-to-date Elementary package, and point the URL at the Elementary schema"
		for _, m := range se.Missing {
			out.Fail(fmt.Sprintf("%s lacks column %s (Todai skips the table)", m.Table, m.Column), fix)
		}
		if absent := slices.DeleteFunc(slices.Clone(se.AbsentTables), func(t string) bool {
			return slices.Contains(vanished, t)
		}); len(absent) > 0 {
			out.Fail("Elementary tables not found: "+strings.Join(absent, ", "), fix)
		}
	case err != nil:
		out.Fail(fmt.Sprintf("%s: %v", src.Describe(), err),
			"check the host, credentials and network, and that the role may read the schema's metadata")
		return out, false
	default:
		out.Pass(fmt.Sprintf("%s: connected, %d Elementary tables with every column Todai uses", src.Describe(), len(cat)))
	}
	if _, ok := cat["alerts_v2"]; !ok && cat != nil && !slices.Contains(vanished, "alerts_v2") {
		out.Pass("alerts_v2 is not there yet: edr monitor creates it on its first run, and Todai picks it up at the " +
			"next sync (replies under edr's alerts need it)")
	}
	ltz, tz := zonedTimestamps(src.ZonedColumns())
	if len(ltz) > 0 {
		out.Warn("TIMESTAMP_LTZ columns hold Elementary's UTC times shifted by each writer's session offset, which "+
			"Snowflake does not keep: "+strings.Join(ltz, ", "),
			"set TIMESTAMP_TYPE_MAPPING = 'TIMESTAMP_NTZ' for the user dbt runs as (ALTER USER … SET …) and rebuild "+
				"Elementary's tables (dbt run --select elementary --full-refresh)")
	}
	if len(tz) > 0 {
		out.Pass("TIMESTAMP_TZ columns read by their wall clock (Elementary wrote UTC): " + strings.Join(tz, ", "))
	}
	fps, err := src.Fingerprints(ctx)
	if err != nil {
		out.Fail(fmt.Sprintf("change markers: %v", err), "the role needs to see table metadata (SHOW TABLES / information_schema)")
	} else {
		out.Pass(fmt.Sprintf("change markers readable for every table (%d; metadata only, no warehouse compute)", len(fps)))
	}
	return out, true
}

// zonedTimestamps splits the zoned timestamp columns that hold Elementary's UTC text (not its insert times) into
// TIMESTAMP_LTZ ones (shifted beyond recovery) and TIMESTAMP_TZ ones (read by their wall clock), each sorted.
func zonedTimestamps(zoned map[string]string) (ltz, tz []string) {
	for col, kind := range zoned {
		_, name, _ := strings.Cut(col, ".")
		if InsertTime(name) {
			continue
		}
		switch kind {
		case "LTZ":
			ltz = append(ltz, col)
		case "TZ":
			tz = append(tz, col)
		}
	}
	slices.Sort(ltz)
	slices.Sort(tz)
	return ltz, tz
}
