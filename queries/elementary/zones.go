package elementary

import "time"

// Elementary stamps created_at (the watermark of its history tables) with the warehouse clock in the writer's
// session time zone, not UTC: Snowflake's default is America/Los_Angeles, and writers (a dbt Cloud job, a local
// build, edr) can differ. Zones run from UTC−12 to UTC+14, so rows written at the same instant can be up to
// MaxZoneSkew apart in created_at. Windows on created_at are widened by these bounds so that no row is lost, none
// is pruned early and none is counted in the wrong window, whatever the writers' zones; a UTC column
// (generated_at, detected_at, execute_completed_at) then places each row.
const (
	MaxZoneBehindUTC = 12 * time.Hour
	MaxZoneAheadUTC  = 14 * time.Hour
	MaxZoneSkew      = MaxZoneBehindUTC + MaxZoneAheadUTC
)
