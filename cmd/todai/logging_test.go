package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/handlers/handlerstest"
)

// TestSecretsNeverLogged runs sync, doctor and serve at debug level with secrets in the configuration and checks
// that none appears in the output, the log or the errors.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		botToken = "xoxb-1111-2222-SECRETBOTTOKEN"
		appToken = "xapp-1-A1-3333-SECRETAPPTOKEN"
		password = "SecretPgPassw0rd"
	)
	fake := slacktest.New(t, slacktest.WithTokens(botToken, appToken))
	s := newDoctorSetup(t, demoWarehouse(t))
	s.apiURL, s.botToken, s.appToken = fake.APIURL(), botToken, appToken
	s.warehouse = "postgres://todai:" + password + "@127.0.0.1:1/analytics?connect_timeout=1&schema=prod_elementary"
	cfgFile := s.write(t)
	y, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	y = append(y, []byte("log:\n  level: debug\n  format: json\nhttp:\n  addr: \"127.0.0.1:0\"\n")...)
	if err := os.WriteFile(cfgFile, y, 0o600); err != nil {
		t.Fatal(err)
	}
	runs := [][]string{
		{"--config", cfgFile, "sync"},
		{"--config", cfgFile, "doctor"},
		{"--config", cfgFile, "--log-level", "debug", "serve"},
		{"--config", cfgFile, "sync", "--status"},
	}
	for _, args := range runs {
		var out, errOut handlerstest.LogBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		code := run(ctx, args, &out, &errOut)
		cancel()
		all := out.String() + errOut.String()
		t.Logf("%v exit %d, %d bytes of output", args, code, len(all))
		for _, secret := range []string{botToken, appToken, password, "SECRETBOTTOKEN", "SECRETAPPTOKEN"} {
			if strings.Contains(all, secret) {
				t.Errorf("%v: output holds the secret %q:\n%s", args, secret, all)
			}
		}
	}
	// The state file is outside the temp dir's secrets; make sure it was used (the runs did something).
	if _, err := os.Stat(filepath.Clean(s.state)); err != nil {
		t.Errorf("state file: %v", err)
	}
}
