package source

import (
	"strings"
	"testing"
)

// TestDoctorZonedTimestamps: doctor warns about TIMESTAMP_LTZ columns holding Elementary's UTC text (shifted beyond
// recovery), reports TIMESTAMP_TZ ones as read by their wall clock, and ignores zoned insert times (right as they are).
func TestDoctorZonedTimestamps(t *testing.T) {
	ltz, tz := zonedTimestamps(map[string]string{
		"elementary_test_results.detected_at": "LTZ", "elementary_test_results.created_at": "LTZ",
		"dbt_source_freshness_results.max_loaded_at": "TZ", "alerts_v2.updated_at": "TZ",
		"dbt_run_results.generated_at": "LTZ",
	})
	if strings.Join(ltz, ",") != "dbt_run_results.generated_at,elementary_test_results.detected_at" ||
		strings.Join(tz, ",") != "dbt_source_freshness_results.max_loaded_at" {
		t.Errorf("zonedTimestamps = %v, %v", ltz, tz)
	}
}
