// Package config is Kizuna's one configuration struct, filled from
// command-line flags and KIZUNA_* environment variables (flags win) and
// validated before anything starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting.
type Config struct {
	DB              string        // KIZUNA_DB: a SQLite file path or postgres:// URL
	Addr            string        // KIZUNA_ADDR
	LogLevel        string        // KIZUNA_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // KIZUNA_LOG_FORMAT: text or json
	RatePerKey      float64       // KIZUNA_RATE_PER_KEY: API requests per second per key
	TrustProxy      bool          // KIZUNA_TRUST_PROXY: take the client IP from X-Forwarded-For
	ShutdownTimeout time.Duration // KIZUNA_SHUTDOWN_TIMEOUT: how long in-flight requests may finish
	SessionIdle     time.Duration // KIZUNA_SESSION_IDLE: console sign-out after this long without a request
	SessionMax      time.Duration // KIZUNA_SESSION_MAX: console sign-out after this long regardless
	SecureCookies   bool          // KIZUNA_SECURE_COOKIES: mark cookies Secure (behind a TLS proxy)
	TrackingConsent bool          // KIZUNA_TRACKING_CONSENT: tie behaviour events to customers only with their tracking consent
}

// DefaultDB is where `make run` keeps its database.
const DefaultDB = "./data/kizuna.db"

// Defaults returns the settings used when nothing is given.
func Defaults() Config {
	return Config{DB: DefaultDB, Addr: "127.0.0.1:8080", LogLevel: "info", LogFormat: "text", RatePerKey: 1000, ShutdownTimeout: 15 * time.Second,
		SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour}
}

// Getenv looks up an environment variable (os.Getenv, or a map in tests).
type Getenv func(string) string

// BindDB registers --db on fs, defaulting to KIZUNA_DB.
func (c *Config) BindDB(fs *flag.FlagSet, env Getenv) {
	fs.StringVar(&c.DB, "db", envOr(env, "KIZUNA_DB", c.DB), "database: a SQLite file path, or a postgres:// URL (env KIZUNA_DB)")
}

// BindLogging registers --log-level and --log-format.
func (c *Config) BindLogging(fs *flag.FlagSet, env Getenv) {
	fs.StringVar(&c.LogLevel, "log-level", envOr(env, "KIZUNA_LOG_LEVEL", c.LogLevel), "debug, info, warn or error (env KIZUNA_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(env, "KIZUNA_LOG_FORMAT", c.LogFormat), "text or json (env KIZUNA_LOG_FORMAT)")
}

// BindServe registers the server's flags.
func (c *Config) BindServe(fs *flag.FlagSet, env Getenv) error {
	c.BindDB(fs, env)
	c.BindLogging(fs, env)
	fs.StringVar(&c.Addr, "addr", envOr(env, "KIZUNA_ADDR", c.Addr), "listen address (env KIZUNA_ADDR)")
	var errs []error
	rate, err := envFloat(env, "KIZUNA_RATE_PER_KEY", c.RatePerKey)
	errs = append(errs, err)
	fs.Float64Var(&c.RatePerKey, "rate-per-key", rate, "API requests per second allowed per API key (env KIZUNA_RATE_PER_KEY)")
	trust, err := envBool(env, "KIZUNA_TRUST_PROXY", c.TrustProxy)
	errs = append(errs, err)
	fs.BoolVar(&c.TrustProxy, "trust-proxy", trust, "take client IPs from X-Forwarded-For; only behind your own proxy (env KIZUNA_TRUST_PROXY)")
	sd, err := envDuration(env, "KIZUNA_SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	errs = append(errs, err)
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", sd, "how long in-flight requests may finish on shutdown (env KIZUNA_SHUTDOWN_TIMEOUT)")
	idle, err := envDuration(env, "KIZUNA_SESSION_IDLE", c.SessionIdle)
	errs = append(errs, err)
	fs.DurationVar(&c.SessionIdle, "session-idle", idle, "sign console users out after this long without a request (env KIZUNA_SESSION_IDLE)")
	maxAge, err := envDuration(env, "KIZUNA_SESSION_MAX", c.SessionMax)
	errs = append(errs, err)
	fs.DurationVar(&c.SessionMax, "session-max", maxAge, "sign console users out after this long, active or not (env KIZUNA_SESSION_MAX)")
	sec, err := envBool(env, "KIZUNA_SECURE_COOKIES", c.SecureCookies)
	errs = append(errs, err)
	fs.BoolVar(&c.SecureCookies, "secure-cookies", sec, "mark console cookies Secure; set it behind a TLS-terminating proxy (env KIZUNA_SECURE_COOKIES)")
	consent, err := envBool(env, "KIZUNA_TRACKING_CONSENT", c.TrackingConsent)
	errs = append(errs, err)
	fs.BoolVar(&c.TrackingConsent, "tracking-consent", consent, "tie web and app behaviour to a customer only when they consented to tracking; other events stay anonymous (env KIZUNA_TRACKING_CONSENT)")
	return errors.Join(errs...)
}

// Validate checks the settings and says what is wrong with each.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.DB) == "" {
		errs = append(errs, errors.New("--db (KIZUNA_DB) is empty: give a SQLite file path or a postgres:// URL"))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("--addr (KIZUNA_ADDR) is empty: give host:port, e.g. 127.0.0.1:8080"))
	} else {
		if _, port, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("--addr (KIZUNA_ADDR) %q is not host:port: %v", c.Addr, err))
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("--addr (KIZUNA_ADDR) %q has an invalid port", c.Addr))
		}
	}
	if _, err := c.Level(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format (KIZUNA_LOG_FORMAT) must be text or json, not %q", c.LogFormat))
	}
	if !(c.RatePerKey > 0) { // also NaN, which KIZUNA_RATE_PER_KEY=NaN parses to
		errs = append(errs, fmt.Errorf("--rate-per-key (KIZUNA_RATE_PER_KEY) must be positive, not %v", c.RatePerKey))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout (KIZUNA_SHUTDOWN_TIMEOUT) must be positive"))
	}
	if c.SessionIdle <= 0 || c.SessionMax <= 0 {
		errs = append(errs, fmt.Errorf("--session-idle (KIZUNA_SESSION_IDLE) and --session-max (KIZUNA_SESSION_MAX) must be positive"))
	} else if c.SessionIdle > c.SessionMax {
		errs = append(errs, fmt.Errorf("--session-idle (%v) is longer than --session-max (%v): the idle limit would never apply", c.SessionIdle, c.SessionMax))
	}
	return errors.Join(errs...)
}

// Level parses LogLevel.
func (c *Config) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("--log-level (KIZUNA_LOG_LEVEL) must be debug, info, warn or error, not %q", c.LogLevel)
	}
	return l, nil
}

// Logger builds the structured logger.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	lvl, _ := c.Level()
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func envOr(env Getenv, key, def string) string {
	if v := env(key); v != "" {
		return v
	}
	return def
}

func envFloat(env Getenv, key string, def float64) (float64, error) {
	v := env(key)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return def, fmt.Errorf("%s=%q is not a number", key, v)
	}
	return f, nil
}

func envBool(env Getenv, key string, def bool) (bool, error) {
	v := env(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s=%q is not true or false", key, v)
	}
	return b, nil
}

func envDuration(env Getenv, key string, def time.Duration) (time.Duration, error) {
	v := env(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, fmt.Errorf("%s=%q is not a duration like 15s", key, v)
	}
	return d, nil
}
