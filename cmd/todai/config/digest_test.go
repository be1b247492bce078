package config

import (
	"strings"
	"testing"
)

func TestTeamDigestConfig(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"valid", "teams:\n  - name: finance\n    digest: {schedule: \"0 9 * * 1-5\", timezone: Asia/Tokyo}\n", ""},
		{"bad spec", "teams:\n  - name: finance\n    digest: {schedule: \"0 0 9 * * *\"}\n", "digest.schedule"},
		{"bad zone", "teams:\n  - name: finance\n    digest: {schedule: \"0 9 * * *\", timezone: Mars/Olympus}\n", "digest.timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("todai.yaml", []byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Teams[0].Digest.Schedule != "0 9 * * 1-5" || c.Teams[0].Location().String() != "Asia/Tokyo" {
					t.Errorf("team = %+v", c.Teams[0])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one about %s", err, tt.wantErr)
			}
		})
	}
}
