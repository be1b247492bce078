package source

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake/v2"
)

const (
	testPassword   = "s3cr3t/PW:@x"
	testPassphrase = "PHRASE-xyz 123"
	testToken      = "tok-abc.def"
)

// secrets are the strings no error or description may contain.
var testSecrets = []string{testPassword, "s3cr3t", testPassphrase, "PHRASE-xyz", testToken, "tok-abc"}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range testSecrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret %q: %s", what, sec, s)
		}
	}
	if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "MII") {
		t.Errorf("%s leaks key material: %s", what, s)
	}
}

// testKeys writes an RSA key as plain and encrypted PKCS#8 files and returns the key and the file paths by name.
func testKeys(t *testing.T) (*rsa.PrivateKey, map[string]string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	write("plain.p8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	write("pkcs1.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	write("go-aes256-sha256.p8", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY",
		Bytes: encryptPKCS8ForTest(t, der, testPassphrase)}))
	if _, err := exec.LookPath("openssl"); err == nil {
		for name, args := range map[string][]string{
			"openssl-aes256-sha256.p8": {"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"},
			"openssl-aes128-sha1.p8":   {"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"},
			"openssl-des3-sha512.p8":   {"-v2", "des3", "-v2prf", "hmacWithSHA512"},
			"openssl-scrypt.p8":        {"-scrypt"},
		} {
			out := filepath.Join(dir, name)
			cmd := exec.Command("openssl", append([]string{"pkcs8", "-topk8", "-in", files["plain.p8"], "-out", out,
				"-passout", "pass:" + testPassphrase}, args...)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Logf("openssl %v: %v %s (case skipped)", args, err, b)
				continue
			}
			files[name] = out
		}
	} else {
		t.Log("openssl not found: encrypted keys from openssl not tested")
	}
	return key, files
}

// encryptPKCS8ForTest writes PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) as RFC 8018 describes, independently of the
// decoder's structs.
func encryptPKCS8ForTest(t *testing.T, der []byte, pass string) []byte {
	t.Helper()
	salt, iv := make([]byte, 16), make([]byte, 16)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(iv)
	key, err := pbkdf2.Key(sha256.New, pass, salt, 2048, 32)
	if err != nil {
		t.Fatal(err)
	}
	pad := 16 - len(der)%16
	plain := append(append([]byte{}, der...), make([]byte, pad)...)
	for i := len(der); i < len(plain); i++ {
		plain[i] = byte(pad)
	}
	block, _ := aes.NewCipher(key)
	enc := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, plain)
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type prfT struct {
		Algo asn1.ObjectIdentifier
		Null asn1.RawValue
	}
	kdf := mustMarshal(struct {
		Salt []byte
		Iter int
		PRF  prfT
	}{salt, 2048, prfT{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, asn1.NullRawValue}})
	params := mustMarshal(struct {
		KDF pkix.AlgorithmIdentifier
		Enc pkix.AlgorithmIdentifier
	}{
		pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}, Parameters: asn1.RawValue{FullBytes: kdf}},
		pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42},
			Parameters: asn1.RawValue{FullBytes: mustMarshal(iv)}},
	})
	return mustMarshal(struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13},
		Parameters: asn1.RawValue{FullBytes: params}}, enc})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSnowflakeConfig(t *testing.T) {
	key, files := testKeys(t)
	pw := url.UserPassword("todai", testPassword).String() // percent-encoded
	pass := url.QueryEscape(testPassphrase)
	opts := Options{QueryTimeout: 45 * time.Second}.withDefaults()

	type want struct {
		auth     sf.AuthType
		password string
		token    string
		key      bool
		timeout  string
		tag      string
		describe string
	}
	tests := []struct {
		name string
		url  string
		want want
	}{
		{"password", "snowflake://" + pw + "@xy12345.eu-central-1/analytics/prod_elementary?warehouse=TODAI_WH&role=TODAI",
			want{auth: sf.AuthTypeSnowflake, password: testPassword, timeout: "45", tag: "todai",
				describe: "snowflake account xy12345.eu-central-1 ANALYTICS.PROD_ELEMENTARY (user todai, password)"}},
		{"explicit snowflake authenticator, tag and timeout", "snowflake://" + pw + "@org-acct/A/B?authenticator=SNOWFLAKE&query_tag=bot&statement_timeout=90s",
			want{auth: sf.AuthTypeSnowflake, password: testPassword, timeout: "90", tag: "bot",
				describe: "snowflake account org-acct A.B (user todai, password)"}},
		{"timeout in plain seconds", "snowflake://" + pw + "@org-acct/A/B?statement_timeout=120",
			want{auth: sf.AuthTypeSnowflake, password: testPassword, timeout: "120", tag: "todai",
				describe: "snowflake account org-acct A.B (user todai, password)"}},
		{"oauth", "snowflake://todai@org-acct/A/B?authenticator=oauth&token=" + url.QueryEscape(testToken),
			want{auth: sf.AuthTypeOAuth, token: testToken, timeout: "45", tag: "todai",
				describe: "snowflake account org-acct A.B (user todai, oauth)"}},
	}
	for name, path := range files {
		if name == "pkcs1.pem" || strings.Contains(name, "scrypt") {
			continue
		}
		u := "snowflake://todai@org-acct/A/B?authenticator=snowflake_jwt&private_key_file=" + url.QueryEscape(path)
		if name != "plain.p8" {
			u += "&private_key_passphrase=" + pass
		}
		tests = append(tests, struct {
			name string
			url  string
			want want
		}{"jwt " + name, u, want{auth: sf.AuthTypeJwt, key: true, timeout: "45", tag: "todai",
			describe: "snowflake account org-acct A.B (user todai, key pair)"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := snowflakeConfig(mustURL(t, tt.url), opts, os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			c := got.cfg
			if c.Authenticator != tt.want.auth || c.Password != tt.want.password || c.Token != tt.want.token {
				t.Errorf("auth = %v password set %v token %q", c.Authenticator, c.Password != "", c.Token)
			}
			if tt.want.key {
				if c.PrivateKey == nil || !c.PrivateKey.Equal(key) {
					t.Error("private key not loaded or different")
				}
			} else if c.PrivateKey != nil {
				t.Error("unexpected private key")
			}
			if c.Application != "todai" || c.User != "todai" {
				t.Errorf("application %q user %q", c.Application, c.User)
			}
			for k, v := range map[string]string{"QUERY_TAG": tt.want.tag, "STATEMENT_TIMEOUT_IN_SECONDS": tt.want.timeout,
				"TIMEZONE": "UTC"} {
				if c.Params[k] == nil || *c.Params[k] != v {
					t.Errorf("param %s = %v, want %s", k, c.Params[k], v)
				}
			}
			if got.describe != tt.want.describe {
				t.Errorf("describe = %q, want %q", got.describe, tt.want.describe)
			}
			assertNoSecret(t, "describe", got.describe)
			if got.schema != c.Database+"."+c.Schema || strings.ToUpper(got.schema) != got.schema {
				t.Errorf("schema %q, database %q, schema %q", got.schema, c.Database, c.Schema)
			}
		})
	}
	// Warehouse and role reach the config verbatim.
	got, err := snowflakeConfig(mustURL(t, tests[0].url), opts, os.ReadFile)
	if err != nil || got.cfg.Warehouse != "TODAI_WH" || got.cfg.Role != "TODAI" || got.cfg.Account != "xy12345.eu-central-1" {
		t.Errorf("warehouse/role/account = %q %q %q (%v)", got.cfg.Warehouse, got.cfg.Role, got.cfg.Account, err)
	}
}

func TestSnowflakeConfigErrors(t *testing.T) {
	_, files := testKeys(t)
	pw := url.UserPassword("todai", testPassword).String()
	pass := url.QueryEscape(testPassphrase)
	jwt := "snowflake://todai@acct/A/B?authenticator=snowflake_jwt&private_key_file="
	tests := []struct {
		name, url, want string
	}{
		{"no password", "snowflake://todai@acct/A/B", "password authentication needs"},
		{"no user", "snowflake://acct/A/B", "user is required"},
		{"path too short", "snowflake://" + pw + "@acct/A", "path must be /DATABASE/SCHEMA"},
		{"path too long", "snowflake://" + pw + "@acct/A/B/C", "path must be /DATABASE/SCHEMA"},
		{"quote in schema", "snowflake://" + pw + "@acct/A/B%22%3B%20DROP", "plain identifiers"},
		{"port", "snowflake://" + pw + "@acct:443/A/B", "account identifier"},
		{"unknown parameter with a secret value", "snowflake://" + pw + "@acct/A/B?pasword=" + pass, "unknown parameters pasword"},
		{"repeated parameter", "snowflake://" + pw + "@acct/A/B?role=a&role=b", "given twice"},
		{"bad warehouse", "snowflake://" + pw + "@acct/A/B?warehouse=a%20b", "warehouse must be"},
		{"bad authenticator", "snowflake://" + pw + "@acct/A/B?authenticator=externalbrowser", "authenticator must be"},
		{"bad timeout", "snowflake://" + pw + "@acct/A/B?statement_timeout=-3s", "not positive"},
		{"oauth without token", "snowflake://todai@acct/A/B?authenticator=oauth", "needs token"},
		{"jwt without file", "snowflake://todai@acct/A/B?authenticator=snowflake_jwt", "needs private_key_file"},
		{"jwt missing file", jwt + "/nonexistent/key.p8", "no such file"},
		{"jwt pkcs1", jwt + url.QueryEscape(files["pkcs1.pem"]), "PKCS#1"},
		{"jwt encrypted without passphrase", jwt + url.QueryEscape(files["go-aes256-sha256.p8"]), "set private_key_passphrase"},
		{"jwt wrong passphrase", jwt + url.QueryEscape(files["go-aes256-sha256.p8"]) + "&private_key_passphrase=" +
			url.QueryEscape(testPassphrase+"!"), "wrong passphrase"},
	}
	if p, ok := files["openssl-aes256-sha256.p8"]; ok {
		tests = append(tests, struct{ name, url, want string }{"openssl wrong passphrase",
			jwt + url.QueryEscape(p) + "&private_key_passphrase=PHRASE-xyz", "wrong passphrase"})
	}
	if p, ok := files["openssl-scrypt.p8"]; ok {
		tests = append(tests, struct{ name, url, want string }{"scrypt", jwt + url.QueryEscape(p) + "&private_key_passphrase=" + pass,
			"scrypt"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := snowflakeConfig(mustURL(t, tt.url), Options{}.withDefaults(), os.ReadFile)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			assertNoSecret(t, "error", err.Error())
			// Open fails the same way, before any network.
			_, oerr := Open(context.Background(), tt.url, Options{})
			if oerr == nil || oerr.Error() != err.Error() {
				t.Errorf("Open err = %v, want %v", oerr, err)
			}
		})
	}
}

func TestParsePrivateKeyPEMGarbage(t *testing.T) {
	tests := [][]byte{nil, []byte("not pem"), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x03, 1, 2, 3}}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})}
	for i, data := range tests {
		if _, err := parsePrivateKeyPEM(data, "x"); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

// fakeRows replays what gosnowflake's SHOW TABLES returns, through database/sql, to test reading by column name.
func TestSnowflakeFingerprintRow(t *testing.T) {
	known := knownTables()
	altered := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		row  []any
		name string
		fp   Fingerprint
		ok   bool
	}{
		{[]any{"DBT_MODELS", "120", "4096", altered, "2026-01-01"}, "dbt_models",
			"rows=120;bytes=4096;altered=2026-11-01T08:00:00Z;created=2026-01-01", true},
		{[]any{"DBT_RUN_RESULTS", int64(5), float64(1024), nil, nil}, "dbt_run_results", "rows=5;bytes=1024;altered=;created=", true},
		{[]any{"SOME_OTHER_TABLE", "1", "1", nil, nil}, "", "", false},
	}
	for _, tt := range tests {
		fp, name, ok := snowflakeFingerprint(known, tt.row)
		if fp != tt.fp || name != tt.name || ok != tt.ok {
			t.Errorf("snowflakeFingerprint(%v) = %q %q %v, want %q %q %v", tt.row, fp, name, ok, tt.fp, tt.name, tt.ok)
		}
	}
}

// TestReadNamed checks the by-name reading of SHOW output on a real result set whose columns are in another
// order and case, as Snowflake's SHOW COLUMNS returns them.
func TestReadNamed(t *testing.T) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	rows, err := db.Query(`SELECT 'x' AS "schema_name", 'DBT_MODELS' AS "TABLE_NAME", 'UNIQUE_ID' AS "Column_Name"`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var got []string
	err = readNamed(rows, []string{"table_name", "column_name", "absent"}, 2, func(v []any) error {
		got = append(got, fmt.Sprint(metaText(v[0]), "/", metaText(v[1]), "/", v[2]))
		return nil
	})
	if err != nil || len(got) != 1 || got[0] != "DBT_MODELS/UNIQUE_ID/<nil>" {
		t.Fatalf("got %v, %v", got, err)
	}
	// A required column that the result lacks is an error, not silently empty fingerprints.
	rows2, err := db.Query(`SELECT 'DBT_MODELS' AS "name", 1 AS "bytes"`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows2.Close() }()
	err = readNamed(rows2, []string{"name", "rows", "bytes"}, 3, func([]any) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "lacks column rows") {
		t.Fatalf("err = %v", err)
	}
}

// TestSnowflakeQuotedNames: with dbt's `quoting: true` Elementary's relations are lower-case and quoted. A quoted
// database or schema in the URL is kept exactly; tables and columns are spelled as SHOW COLUMNS reported them, and
// only names Discover never saw fall back to Snowflake's upper case.
func TestSnowflakeQuotedNames(t *testing.T) {
	pw := url.UserPassword("todai", testPassword).String()
	for _, tc := range []struct {
		path, schema, database, sessionSchema string
	}{
		{`/analytics/prod_elementary`, "ANALYTICS.PROD_ELEMENTARY", "ANALYTICS", "PROD_ELEMENTARY"},
		{`/%22analytics%22/%22prod_elementary%22`, "analytics.prod_elementary", `"analytics"`, `"prod_elementary"`},
		{`/ANALYTICS/%22Prod_Elementary%22`, "ANALYTICS.Prod_Elementary", "ANALYTICS", `"Prod_Elementary"`},
	} {
		u, err := url.Parse("snowflake://" + pw + "@org-acct" + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		target, err := snowflakeConfig(u, Options{}.withDefaults(), os.ReadFile)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if target.schema != tc.schema || target.cfg.Database != tc.database || target.cfg.Schema != tc.sessionSchema {
			t.Errorf("%s: schema %q, session %q.%q; want %q, %q.%q", tc.path, target.schema, target.cfg.Database,
				target.cfg.Schema, tc.schema, tc.database, tc.sessionSchema)
		}
	}

	spelled := names{"dbt_run_results": "dbt_run_results", "dbt_run_results.model_execution_id": "model_execution_id",
		"dbt_run_results.created_at": "CREATED_AT"}
	req := ScanRequest{Table: "dbt_run_results", Columns: []string{"model_execution_id", "status"},
		SinceColumn: "created_at", Since: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)}
	q, _, _, err := scanSQL(dialectSnowflake, "analytics.prod_elementary", spelled, req)
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "model_execution_id", "STATUS" FROM "analytics"."prod_elementary"."dbt_run_results" WHERE "CREATED_AT" >= CAST(? AS TIMESTAMP_NTZ)`
	if q != want {
		t.Errorf("scan of quoted names:\n got %s\nwant %s", q, want)
	}
	if got := discoverSQLText(dialectSnowflake, "analytics.prod_elementary"); got != `SHOW COLUMNS IN SCHEMA "analytics"."prod_elementary"` {
		t.Errorf("discover = %s", got)
	}
	w := &warehouse{dialect: dialectSnowflake, schema: "analytics.prod_elementary", grantee: "TODAI_READER",
		names: names{"alerts_v2": "alerts_v2"}}
	if got := w.GrantFix("alerts_v2"); !strings.HasPrefix(got, `GRANT SELECT ON TABLE "analytics"."prod_elementary"."alerts_v2" TO ROLE "TODAI_READER"; GRANT SELECT ON FUTURE TABLES IN SCHEMA "analytics"."prod_elementary" TO ROLE "TODAI_READER";`) {
		t.Errorf("grant fix = %s", got)
	}
}

func discoverSQLText(d dialect, schema string) string {
	q, _ := discoverSQL(d, schema)
	return q
}
