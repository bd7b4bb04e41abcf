package config_test

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/config"
)

func env(m map[string]string) config.Getenv {
	return func(k string) string { return m[k] }
}

// bind registers every flag the way `kizuna serve` does and parses args.
func bind(t *testing.T, vars map[string]string, args ...string) (config.Config, error) {
	t.Helper()
	c := config.Defaults()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	envErr := c.BindServe(fs, env(vars))
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return c, envErr
}

func TestDefaults(t *testing.T) {
	c := config.Defaults()
	want := config.Config{DB: config.DefaultDB, Addr: "127.0.0.1:8080", LogLevel: "info", LogFormat: "text", RatePerKey: 1000, ShutdownTimeout: 15 * time.Second,
		SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour}
	if c != want {
		t.Fatalf("Defaults() = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	// Nothing in the environment and no flags: the defaults.
	got, err := bind(t, nil)
	if err != nil || got != want {
		t.Fatalf("bind with nothing = %+v, %v; want the defaults", got, err)
	}
}

var allEnv = map[string]string{
	"KIZUNA_DB":               "/srv/kizuna/env.db",
	"KIZUNA_ADDR":             "0.0.0.0:9000",
	"KIZUNA_LOG_LEVEL":        "debug",
	"KIZUNA_LOG_FORMAT":       "json",
	"KIZUNA_RATE_PER_KEY":     "25.5",
	"KIZUNA_TRUST_PROXY":      "true",
	"KIZUNA_SHUTDOWN_TIMEOUT": "3s",
	"KIZUNA_SESSION_IDLE":     "10m",
	"KIZUNA_SESSION_MAX":      "8h",
	"KIZUNA_SECURE_COOKIES":   "true",
}

func TestEnvOverridesDefaults(t *testing.T) {
	c, err := bind(t, allEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{DB: "/srv/kizuna/env.db", Addr: "0.0.0.0:9000", LogLevel: "debug", LogFormat: "json", RatePerKey: 25.5, TrustProxy: true, ShutdownTimeout: 3 * time.Second,
		SessionIdle: 10 * time.Minute, SessionMax: 8 * time.Hour, SecureCookies: true}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := bind(t, allEnv,
		"--db", "postgres://kizuna@db.internal/kizuna", "--addr", "127.0.0.1:7000", "--log-level", "warn", "--log-format", "text",
		"--rate-per-key", "7", "--trust-proxy=false", "--shutdown-timeout", "1m",
		"--session-idle", "5m", "--session-max", "1h", "--secure-cookies=false")
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{DB: "postgres://kizuna@db.internal/kizuna", Addr: "127.0.0.1:7000", LogLevel: "warn", LogFormat: "text", RatePerKey: 7, TrustProxy: false, ShutdownTimeout: time.Minute,
		SessionIdle: 5 * time.Minute, SessionMax: time.Hour}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	// A flag given for one setting leaves the others to the environment.
	c, err = bind(t, allEnv, "--addr", "127.0.0.1:7001")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7001" || c.DB != allEnv["KIZUNA_DB"] || c.LogLevel != "debug" || !c.TrustProxy {
		t.Fatalf("got %+v", c)
	}
}

func TestBindDBAlone(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, config.DefaultDB},
		{map[string]string{"KIZUNA_DB": "env.db"}, nil, "env.db"},
		{map[string]string{"KIZUNA_DB": "env.db"}, []string{"--db", "flag.db"}, "flag.db"},
		{nil, []string{"-db=flag.db"}, "flag.db"},
	} {
		c := config.Defaults()
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		c.BindDB(fs, env(tc.env))
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if c.DB != tc.want {
			t.Errorf("env %v args %q: DB = %q, want %q", tc.env, tc.args, c.DB, tc.want)
		}
	}
}

func TestBadEnvironmentNamesTheVariable(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"KIZUNA_RATE_PER_KEY", "fast", `KIZUNA_RATE_PER_KEY="fast" is not a number`},
		{"KIZUNA_TRUST_PROXY", "maybe", `KIZUNA_TRUST_PROXY="maybe" is not true or false`},
		{"KIZUNA_SHUTDOWN_TIMEOUT", "15", `KIZUNA_SHUTDOWN_TIMEOUT="15" is not a duration like 15s`},
	} {
		c, err := bind(t, map[string]string{tc.key: tc.value})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s=%s: error %v, want %q", tc.key, tc.value, err, tc.want)
		}
		// The setting keeps its default rather than a half-parsed value.
		if c != config.Defaults() {
			t.Errorf("%s=%s: config %+v, want the defaults", tc.key, tc.value, c)
		}
	}
	// Several bad variables: every one is named.
	_, err := bind(t, map[string]string{"KIZUNA_RATE_PER_KEY": "x", "KIZUNA_TRUST_PROXY": "y", "KIZUNA_SHUTDOWN_TIMEOUT": "z"})
	for _, k := range []string{"KIZUNA_RATE_PER_KEY", "KIZUNA_TRUST_PROXY", "KIZUNA_SHUTDOWN_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("error %v does not name %s", err, k)
		}
	}
	// Values that parse but are not settings are caught by Validate, still
	// naming the variable.
	for k, v := range map[string]string{"KIZUNA_RATE_PER_KEY": "NaN", "KIZUNA_SHUTDOWN_TIMEOUT": "-5s", "KIZUNA_ADDR": "nonsense", "KIZUNA_LOG_LEVEL": "loud", "KIZUNA_LOG_FORMAT": "yaml"} {
		c, err := bind(t, map[string]string{k: v})
		if err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: Validate() = %v, want a message naming %s", k, v, err, k)
		}
	}
	// A bad variable overridden by a good flag still reports the variable:
	// the operator should fix the environment either way.
	c, err := bind(t, map[string]string{"KIZUNA_RATE_PER_KEY": "fast"}, "--rate-per-key", "5")
	if err == nil || c.RatePerKey != 5 {
		t.Errorf("flag over bad env: rate %v, err %v", c.RatePerKey, err)
	}
}

func TestValidateMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want []string // substrings of the message
	}{
		{"empty db", func(c *config.Config) { c.DB = "  " }, []string{"--db (KIZUNA_DB) is empty", "postgres://"}},
		{"addr empty", func(c *config.Config) { c.Addr = "" }, []string{"--addr (KIZUNA_ADDR) is empty"}},
		{"addr without port", func(c *config.Config) { c.Addr = "nonsense" }, []string{`--addr (KIZUNA_ADDR) "nonsense" is not host:port`}},
		{"addr port not a number", func(c *config.Config) { c.Addr = "localhost:http-alt" }, []string{`--addr (KIZUNA_ADDR) "localhost:http-alt" has an invalid port`}},
		{"addr port too big", func(c *config.Config) { c.Addr = "127.0.0.1:65536" }, []string{`"127.0.0.1:65536" has an invalid port`}},
		{"addr port negative", func(c *config.Config) { c.Addr = "127.0.0.1:-1" }, []string{`"127.0.0.1:-1" has an invalid port`}},
		{"addr empty port", func(c *config.Config) { c.Addr = "127.0.0.1:" }, []string{`"127.0.0.1:" has an invalid port`}},
		{"log level", func(c *config.Config) { c.LogLevel = "loud" }, []string{`--log-level (KIZUNA_LOG_LEVEL) must be debug, info, warn or error, not "loud"`}},
		{"log format", func(c *config.Config) { c.LogFormat = "xml" }, []string{`--log-format (KIZUNA_LOG_FORMAT) must be text or json, not "xml"`}},
		{"rate zero", func(c *config.Config) { c.RatePerKey = 0 }, []string{"--rate-per-key (KIZUNA_RATE_PER_KEY) must be positive, not 0"}},
		{"rate negative", func(c *config.Config) { c.RatePerKey = -3 }, []string{"must be positive, not -3"}},
		{"rate NaN", func(c *config.Config) { c.RatePerKey = math.NaN() }, []string{"--rate-per-key (KIZUNA_RATE_PER_KEY) must be positive, not NaN"}},
		{"shutdown timeout", func(c *config.Config) { c.ShutdownTimeout = 0 }, []string{"--shutdown-timeout (KIZUNA_SHUTDOWN_TIMEOUT) must be positive"}},
		{"session idle zero", func(c *config.Config) { c.SessionIdle = 0 }, []string{"--session-idle (KIZUNA_SESSION_IDLE) and --session-max (KIZUNA_SESSION_MAX) must be positive"}},
		{"session idle beyond max", func(c *config.Config) { c.SessionIdle, c.SessionMax = 2*time.Hour, time.Hour }, []string{"--session-idle (2h0m0s) is longer than --session-max (1h0m0s)"}},
		{"everything at once", func(c *config.Config) {
			*c = config.Config{DB: "", Addr: "x", LogLevel: "?", LogFormat: "?", RatePerKey: -1, ShutdownTimeout: -time.Second}
		}, []string{"KIZUNA_DB", "KIZUNA_ADDR", "KIZUNA_LOG_LEVEL", "KIZUNA_LOG_FORMAT", "KIZUNA_RATE_PER_KEY", "KIZUNA_SHUTDOWN_TIMEOUT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Defaults()
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil", c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %q", err, w)
				}
			}
			if tc.name != "everything at once" && strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("one problem, several messages: %q", err)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, edit := range []func(*config.Config){
		func(c *config.Config) { c.Addr = ":8080" },
		func(c *config.Config) { c.Addr = "[::1]:0" },
		func(c *config.Config) { c.Addr = "localhost:65535" },
		func(c *config.Config) { c.DB = "postgres://u:p@h:5432/db?sslmode=disable" },
		func(c *config.Config) { c.LogLevel = "DEBUG" },
		func(c *config.Config) { c.LogLevel = "warn" },
		func(c *config.Config) { c.LogLevel = "error" },
		func(c *config.Config) { c.LogFormat = "json" },
		func(c *config.Config) { c.RatePerKey = 0.5 },
	} {
		c := config.Defaults()
		edit(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
}

func TestLevelAndLogger(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "WARN": slog.LevelWarn, "error": slog.LevelError} {
		c := config.Config{LogLevel: in}
		if got, err := c.Level(); err != nil || got != want {
			t.Errorf("Level(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	var buf bytes.Buffer
	c := config.Config{LogLevel: "warn", LogFormat: "json"}
	l := c.Logger(&buf)
	l.Info("hidden")
	l.Warn("shown", "k", "v")
	c = config.Config{LogLevel: "debug", LogFormat: "text"}
	c.Logger(&buf).Debug("text line")
	out := buf.String()
	if strings.Contains(out, "hidden") {
		t.Errorf("info logged at level warn: %s", out)
	}
	if !strings.Contains(out, `{"time":`) || !strings.Contains(out, `"msg":"shown","k":"v"}`) {
		t.Errorf("json log line missing: %s", out)
	}
	if !strings.Contains(out, "level=DEBUG msg=\"text line\"") {
		t.Errorf("text log line missing: %s", out)
	}
}
