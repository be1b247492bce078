package source

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestScanTimeoutIsPerBatch: the query timeout bounds each wait for rows, not the whole streaming read, so a long
// first sync that keeps receiving rows finishes, while a scan whose consumer or warehouse stalls is cut off.
func TestScanTimeoutIsPerBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps")
	}
	path := benchSQLite(t)
	ctx := context.Background()
	req := runResultsRequest()

	cases := []struct {
		name    string
		timeout time.Duration
		pause   func(n int) time.Duration
		wantErr string
	}{
		// 3 pauses of 250 ms, each well inside the 600 ms timeout, add up to more than it.
		{name: "steady", timeout: 600 * time.Millisecond, wantErr: "",
			pause: func(n int) time.Duration {
				if n%1024 == 500 && n < 3500 {
					return 250 * time.Millisecond
				}
				return 0
			}},
		{name: "stalled", timeout: 100 * time.Millisecond, wantErr: "no rows from dbt_run_results",
			pause: func(n int) time.Duration {
				if n == 10 {
					return 400 * time.Millisecond
				}
				return 0
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := Open(ctx, "sqlite://"+path, Options{QueryTimeout: c.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			n := 0
			err = src.Scan(ctx, req, func(Row) error {
				n++
				time.Sleep(c.pause(n))
				return nil
			})
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("scan: %v", err)
			case c.wantErr == "" && n != benchRows:
				t.Fatalf("scanned %d rows, want %d", n, benchRows)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}
