package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/cli"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout:\n" + r.stdout + "\n--- stderr:\n" + r.stderr
}

// kz runs the command line in-process with only the environment in vars
// (never the test process's own KIZUNA_* variables).
type kz struct {
	t    *testing.T
	vars map[string]string
}

func newKZ(t *testing.T, vars map[string]string) *kz {
	if vars == nil {
		vars = map[string]string{}
	}
	return &kz{t: t, vars: vars}
}

func (k *kz) env(stdin string) (*cli.Env, *syncBuffer, *syncBuffer) {
	var out, errb syncBuffer
	return &cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(s string) string { return k.vars[s] }}, &out, &errb
}

func (k *kz) runIn(stdin string, args ...string) result {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(k.t.Context(), time.Minute)
	defer cancel()
	e, out, errb := k.env(stdin)
	code := cli.Run(ctx, args, e)
	return result{code, out.String(), errb.String()}
}

func (k *kz) run(args ...string) result { k.t.Helper(); return k.runIn("", args...) }

// ok runs a command that must succeed and returns its standard output.
func (k *kz) ok(args ...string) string {
	k.t.Helper()
	r := k.run(args...)
	if r.code != 0 {
		k.t.Fatalf("kizuna %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// fails runs a command that must exit with code and mention every want.
func (k *kz) fails(code int, want []string, args ...string) result {
	k.t.Helper()
	r := k.run(args...)
	if r.code != code {
		k.t.Errorf("kizuna %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			k.t.Errorf("kizuna %s: stderr does not mention %q:\n%s", strings.Join(args, " "), w, r.stderr)
		}
	}
	return r
}

func mustContain(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}

// migrated returns a kz whose KIZUNA_DB is a fresh, migrated SQLite file.
func migrated(t *testing.T) (*kz, string) {
	path := filepath.Join(t.TempDir(), "kizuna.db")
	k := newKZ(t, map[string]string{"KIZUNA_DB": path})
	k.ok("migrate", "up")
	return k, path
}

func openSQL(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openStore(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var subcommands = []string{"serve", "migrate", "demo", "user", "apikey", "audit", "import", "postal", "products", "loyalty", "resolve", "bench", "version"}

func TestHelpListsEveryCommand(t *testing.T) {
	k := newKZ(t, nil)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := k.run(args...)
		if r.code != 0 {
			t.Errorf("kizuna %v: %s", args, r)
		}
		for _, c := range append(subcommands, "help") {
			if !regexp.MustCompile(`(?m)^  ` + c + ` +\S`).MatchString(r.stdout) {
				t.Errorf("kizuna %v does not list %q with a summary:\n%s", args, c, r.stdout)
			}
		}
		mustContain(t, "help", r.stdout, "Usage: kizuna <command> [flags]", "KIZUNA_DB")
	}
	// No command at all is a usage error, with the same list.
	r := k.run()
	if r.code != 2 || !strings.Contains(r.stdout, "Commands:") {
		t.Errorf("kizuna (no arguments): %s", r)
	}
}

func TestEverySubcommandHelp(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "never-created.db")
	k := newKZ(t, map[string]string{"KIZUNA_DB": dbPath})
	flagsOf := map[string][]string{
		"serve":    {"-db", "-addr", "-log-level", "-log-format", "-rate-per-key", "-trust-proxy", "-shutdown-timeout", "KIZUNA_ADDR", "KIZUNA_LOG_LEVEL"},
		"migrate":  {"-db", "up", "status"},
		"demo":     {"-db", "-customers", "-seed", "-truth", "-batch", "-force", "-migrate", "-orders"},
		"user":     {"-db", "-username", "-role", "-display-name", "-locale", "-generate-password", "set-password", "set-role", "disable"},
		"apikey":   {"-db", "-name", "-scopes", "-channels", "create", "list", "revoke"},
		"audit":    {"-db", "verify"},
		"postal":   {"-db", "import", "lookup", "KEN_ALL.CSV"},
		"products": {"-db", "import", "-map", "-encoding", "-sheet", "-dry-run", "商品コード"},
		"loyalty":  {"-db", "verify", "settle", "expire", "ranks"},
		"import":   {"-db", "-channel", "-map", "-encoding", "-sheet", "-dry-run"},
		"resolve":  {"-db", "-eval", "-json"},
		"bench":    {"-db", "-customers", "-seed", "-batch", "-clients", "-rate", "-duration", "-rounds", "ingest", "lookup", "search", "console"},
		"version":  {"-db"},
	}
	if len(flagsOf) != len(subcommands) {
		t.Fatal("flagsOf and subcommands disagree")
	}
	for _, c := range subcommands {
		for _, args := range [][]string{{c, "--help"}, {c, "-h"}, {"help", c}} {
			r := k.run(args...)
			if r.code != 0 {
				t.Errorf("kizuna %v: %s", args, r)
				continue
			}
			all := r.stdout + r.stderr
			mustContain(t, "kizuna "+strings.Join(args, " "), all, append([]string{"Usage: kizuna " + c}, flagsOf[c]...)...)
		}
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("asking for help touched the database: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	k := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(t.TempDir(), "k.db")})
	r := k.fails(2, []string{`kizuna: unknown command "frobnicate"`, "Commands:", "migrate"}, "frobnicate")
	if r.stdout != "" {
		t.Errorf("usage error wrote to stdout: %q", r.stdout)
	}
	k.fails(2, []string{"say up or status"}, "migrate")
	k.fails(2, []string{`unknown subcommand "sideways"`}, "migrate", "sideways")
	k.fails(2, []string{"flag provided but not defined: -bogus"}, "migrate", "up", "--bogus")
	k.fails(2, []string{"say add, list"}, "user")
	k.fails(2, []string{`unknown subcommand "frob"`}, "apikey", "frob")
	k.fails(2, []string{`unknown subcommand "delete"`}, "user", "delete", "alice")
	if _, err := os.Stat(k.vars["KIZUNA_DB"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error created the database: %v", err)
	}
	k.fails(2, []string{"say verify"}, "audit")
	k.fails(2, []string{"say ingest, lookup, search, console, match or events"}, "bench")
	k.fails(2, []string{"--customers must be ≥1"}, "demo", "--customers", "0")
	k.fails(2, []string{"flag provided but not defined: -verbose"}, "version", "--verbose")
	if got := k.ok("version"); got != "kizuna "+cli.Version+"\n" {
		t.Errorf("version printed %q", got)
	}
	// With an existing database it tells its schema version; it never creates one.
	m, path := migrated(t)
	latest := fmt.Sprint(len(mustMigrations(t)))
	mustContain(t, "version --db", m.ok("version"), "kizuna "+cli.Version, "is at version "+latest+"; this kizuna needs version "+latest, path)
	missing := filepath.Join(t.TempDir(), "none.db")
	if got := k.ok("version", "--db", missing); got != "kizuna "+cli.Version+"\n" {
		t.Errorf("version with a missing database printed %q", got)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("version created %s", missing)
	}
}

func TestMigrateStatusAndUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "kizuna.db")
	k := newKZ(t, map[string]string{"KIZUNA_DB": path})
	latest := func() int {
		db := openStore(t, filepath.Join(t.TempDir(), "probe.db"))
		return db.LatestVersion()
	}()
	if latest < 1 {
		t.Fatalf("LatestVersion = %d", latest)
	}
	out := k.ok("migrate", "status")
	mustContain(t, "migrate status on a fresh database", out,
		"schema at version 0, this kizuna knows version "+strconv.Itoa(latest)+" (sqlite)", "run `kizuna migrate up --db "+path+"` first")

	out = k.ok("migrate", "up")
	mustContain(t, "migrate up", out, "applied 0001_", "schema at version "+strconv.Itoa(latest)+" (sqlite)")

	out = k.ok("migrate", "up")
	if strings.Contains(out, "applied") || !strings.Contains(out, "schema at version "+strconv.Itoa(latest)) {
		t.Errorf("second migrate up: %q", out)
	}
	out = k.ok("migrate", "status")
	mustContain(t, "migrate status after up", out, "schema at version "+strconv.Itoa(latest)+", this kizuna knows version "+strconv.Itoa(latest))
	if strings.Contains(out, "migrate up") {
		t.Errorf("migrated database still told to migrate: %q", out)
	}
	// --db given after the subcommand wins over KIZUNA_DB.
	other := filepath.Join(t.TempDir(), "other.db")
	mustContain(t, "migrate status --db", k.ok("migrate", "status", "--db", other), "schema at version 0")
}

func TestCommandsRefuseAnUnmigratedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kizuna.db")
	k := newKZ(t, map[string]string{"KIZUNA_DB": path})
	want := []string{"schema is at version 0", "kizuna migrate up --db " + path}
	start := time.Now()
	k.fails(1, append([]string{"kizuna serve: "}, want...), "serve", "--addr", "127.0.0.1:0")
	if time.Since(start) > 10*time.Second {
		t.Errorf("serve took %s to refuse", time.Since(start))
	}
	k.fails(1, want, "user", "list")
	k.fails(1, want, "apikey", "list")
	k.fails(1, want, "audit", "verify")
	k.fails(1, want, "demo", "--customers", "5")
}

func TestServeInProcess(t *testing.T) {
	k, _ := migrated(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e, out, errb := k.env("")
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, e) }()
	var base string
	re := regexp.MustCompile(`Kizuna \S+ is running at (http://127\.0\.0\.1:\d+) \(database: .*, sqlite\)`)
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before it was up:\n%s\n%s", code, out, errb)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where it runs:\n%s\n%s", out, errb)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
	}
	// A second server on the same address says what to do.
	addr := strings.TrimPrefix(base, "http://")
	k.fails(1, []string{"listen on " + addr, "--addr or KIZUNA_ADDR"}, "serve", "--addr", addr)

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after interrupt:\n%s", code, errb)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	// The logs go to the Env's standard error, in the format asked for.
	mustContain(t, "serve log", errb.String(), `"msg":"serving"`, `"msg":"stopped"`)
	if strings.Contains(out.String(), "Demo administrator") {
		t.Errorf("demo login printed without demo data:\n%s", out)
	}
}

func TestInvalidConfiguration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kizuna.db")
	for _, tc := range []struct {
		vars map[string]string
		args []string
		want []string
	}{
		{map[string]string{"KIZUNA_ADDR": "nonsense"}, []string{"serve"}, []string{"KIZUNA_ADDR", `"nonsense" is not host:port`}},
		{nil, []string{"serve", "--addr", "localhost:99999"}, []string{"--addr (KIZUNA_ADDR)", "invalid port"}},
		{nil, []string{"serve", "--log-level", "loud"}, []string{"--log-level (KIZUNA_LOG_LEVEL)", `not "loud"`}},
		{map[string]string{"KIZUNA_LOG_LEVEL": "loud"}, []string{"serve"}, []string{"KIZUNA_LOG_LEVEL", `not "loud"`}},
		{map[string]string{"KIZUNA_LOG_FORMAT": "xml"}, []string{"serve"}, []string{"KIZUNA_LOG_FORMAT", `"xml"`}},
		{map[string]string{"KIZUNA_RATE_PER_KEY": "fast"}, []string{"serve"}, []string{`KIZUNA_RATE_PER_KEY="fast" is not a number`}},
		{map[string]string{"KIZUNA_RATE_PER_KEY": "0"}, []string{"serve"}, []string{"KIZUNA_RATE_PER_KEY", "must be positive"}},
		{map[string]string{"KIZUNA_TRUST_PROXY": "perhaps"}, []string{"serve"}, []string{`KIZUNA_TRUST_PROXY="perhaps"`}},
		{map[string]string{"KIZUNA_SHUTDOWN_TIMEOUT": "10"}, []string{"serve"}, []string{`KIZUNA_SHUTDOWN_TIMEOUT="10" is not a duration`}},
		{nil, []string{"serve", "--db", " "}, []string{"--db (KIZUNA_DB) is empty"}},
		{nil, []string{"migrate", "status", "--db", ""}, []string{"--db (KIZUNA_DB) is empty"}},
		{nil, []string{"user", "list", "--db", ""}, []string{"--db (KIZUNA_DB) is empty"}},
		{nil, []string{"audit", "verify", "--db", ""}, []string{"--db (KIZUNA_DB) is empty"}},
		{nil, []string{"demo", "--db", ""}, []string{"--db (KIZUNA_DB) is empty"}},
	} {
		vars := map[string]string{"KIZUNA_DB": path}
		for k, v := range tc.vars {
			vars[k] = v
		}
		r := newKZ(t, vars).fails(1, tc.want, tc.args...)
		if !strings.HasPrefix(r.stderr, "kizuna "+tc.args[0]+": ") || strings.Contains(r.stderr, "panic") {
			t.Errorf("kizuna %v: %q", tc.args, r.stderr)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid configuration still opened the database: %v", err)
	}
}

func TestUsers(t *testing.T) {
	t.Chdir(t.TempDir()) // where ./data/kizuna.db, the default database, would appear
	k, path := migrated(t)
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := k.runIn(stdin, args...)
		if r.code != 0 {
			t.Fatalf("kizuna %v: %s", args, r)
		}
		return r
	}
	r := run("correct horse battery\n", "user", "add", "--username", "alice", "--role", auth.RoleMarketer, "--display-name", "販促 アリス", "--locale", "en")
	mustContain(t, "user add", r.stdout, "created user alice (marketer)")
	if strings.Contains(r.stdout, "correct horse") {
		t.Error("user add echoed the password")
	}
	// The password is the line read, without its line ending (CRLF too).
	run("bob's long password\r\n", "user", "add", "--role", auth.RoleSupport, "bob")

	db := openStore(t, path)
	checkPassword := func(name, pw string) {
		t.Helper()
		u, err := db.UserByName(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !auth.CheckPassword(u.PasswordHash, pw) {
			t.Errorf("%s's password is not %q", name, pw)
		}
	}
	checkPassword("alice", "correct horse battery")
	checkPassword("bob", "bob's long password")

	list := run("", "user", "list").stdout
	if !regexp.MustCompile(`(?m)^alice +marketer +販促 アリス +active +\d{4}-\d\d-\d\d \d\d:\d\d$`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^bob +support +active`).MatchString(list) || !strings.HasPrefix(list, "USERNAME") {
		t.Errorf("user list:\n%s", list)
	}

	mustContain(t, "set-role", run("", "user", "set-role", "alice", auth.RoleAdmin).stdout, "set-role: done for alice")
	mustContain(t, "set-password", run("an entirely new password\n", "user", "set-password", "alice").stdout, "set-password: done for alice")
	checkPassword("alice", "an entirely new password")
	out := run("", "user", "set-password", "bob", "--generate-password").stdout
	m := regexp.MustCompile(`(?m)^password: (\S{10,})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("generated password not printed: %q", out)
	}
	checkPassword("bob", m[1])
	out = run("", "user", "add", "--username", "carol", "--role", auth.RoleAuditor, "--generate-password").stdout
	if m := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(out); m == nil {
		t.Errorf("user add --generate-password: %q", out)
	} else {
		checkPassword("carol", m[1])
	}
	mustContain(t, "disable", run("", "user", "disable", "alice").stdout, "disable: done for alice")

	list = run("", "user", "list").stdout
	if !regexp.MustCompile(`(?m)^alice +admin +販促 アリス +disabled `).MatchString(list) || !regexp.MustCompile(`(?m)^bob +support +active`).MatchString(list) {
		t.Errorf("user list after changes:\n%s", list)
	}

	// Mistakes are refused, naming what is wrong.
	k.fails(1, []string{"read the password from standard input", "--generate-password"}, "user", "add", "--username", "dave", "--role", auth.RoleSupport)
	if r := k.runIn("short\n", "user", "add", "--username", "dave", "--role", auth.RoleSupport); r.code != 1 || !strings.Contains(r.stderr, "at least 10") {
		t.Errorf("short password: %s", r)
	}
	if r := k.runIn("long enough password\n", "user", "add", "--username", "alice", "--role", auth.RoleSupport); r.code != 1 {
		t.Errorf("duplicate username: %s", r)
	}
	if r := k.runIn("long enough password\n", "user", "add", "--username", "dave", "--role", "boss"); r.code != 1 || !strings.Contains(r.stderr, "role: must be one of admin") {
		t.Errorf("unknown role: %s", r)
	}
	if r := k.runIn("long enough password\n", "user", "add", "--username", "Dave!", "--role", auth.RoleSupport); r.code != 1 || !strings.Contains(r.stderr, "username: may contain only") {
		t.Errorf("bad username: %s", r)
	}
	k.fails(1, []string{"role: must be one of"}, "user", "set-role", "bob", "boss")
	k.fails(2, []string{"missing the role"}, "user", "set-role", "bob")
	k.fails(2, []string{"missing the username"}, "user", "disable")
	if r := k.run("user", "disable", "nobody"); r.code != 1 {
		t.Errorf("disable unknown user: %s", r)
	}
	list2 := run("", "user", "list").stdout
	if list2 != list {
		t.Errorf("refused commands changed the users:\n%s\nthen\n%s", list, list2)
	}

	// Flags may follow the positional arguments, and then they still count.
	other := filepath.Join(t.TempDir(), "other.db")
	newKZ(t, nil).ok("migrate", "up", "--db", other)
	k2 := newKZ(t, nil) // no KIZUNA_DB: the default database must not be used
	if r := k2.runIn("yet another password\n", "user", "add", "erin", "--role", auth.RoleSupport, "--db", other); r.code != 0 {
		t.Fatalf("user add with flags after the name: %s", r)
	}
	if r := k2.run("user", "set-role", "erin", auth.RoleAdmin, "--db", other); r.code != 0 {
		t.Errorf("set-role with --db after the arguments: %s", r)
	}
	if out := k2.ok("user", "list", "--db", other); !regexp.MustCompile(`(?m)^erin +admin `).MatchString(out) {
		t.Errorf("erin not an admin in %s:\n%s", other, out)
	}
	if _, err := os.Stat(filepath.Join("data", "kizuna.db")); err == nil {
		t.Errorf("a command used the default database ./data/kizuna.db")
	}

	mustContain(t, "audit verify", k.ok("audit", "verify"), "audit trail intact")
	var n int
	if err := openSQL(t, path).QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.%'`).Scan(&n); err != nil || n != 7 {
		t.Errorf("%d user audit entries (%v), want 7: 3 adds, set-role, 2 set-passwords, disable", n, err)
	}
}

func TestAPIKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	k, path := migrated(t)
	re := regexp.MustCompile(`(?s)^created API key (key_\w+) \(Shibuya POS\) with scopes read,write\nkey \(shown only now; store it safely\):\n(kz_([0-9a-f]+)_\S+)\n$`)
	out := k.ok("apikey", "create", "--name", "Shibuya POS", "--scopes", "read, write", "--channels", "store,ec")
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("apikey create printed:\n%s", out)
	}
	id, secret, prefix := m[1], m[2], m[3]
	out = k.ok("apikey", "create", "--name", "Shibuya POS", "--scopes", "read,write")
	m2 := re.FindStringSubmatch(out)
	if m2 == nil {
		t.Fatalf("apikey create printed:\n%s", out)
	}
	db := openStore(t, path)
	key, err := auth.Authenticate(t.Context(), db, secret)
	if err != nil {
		t.Fatalf("the printed key does not authenticate: %v", err)
	}
	if key.ID != id || strings.Join(key.Scopes, ",") != "read,write" || strings.Join(key.Channels, ",") != "store,ec" {
		t.Errorf("stored key %+v", key)
	}

	list := k.ok("apikey", "list")
	if !regexp.MustCompile(`(?m)^`+id+` +kz_`+prefix+` +Shibuya POS +read,write +store,ec +active `).MatchString(list) ||
		!regexp.MustCompile(`(?m)^`+m2[1]+` +kz_`+m2[3]+` +Shibuya POS +read,write +all +active `).MatchString(list) {
		t.Errorf("apikey list:\n%s", list)
	}
	if strings.Contains(list, secret) {
		t.Error("apikey list shows a secret")
	}

	mustContain(t, "revoke", k.ok("apikey", "revoke", id), "revoked "+id)
	if _, err := auth.Authenticate(t.Context(), db, secret); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked key authenticates: %v", err)
	}
	k.fails(1, []string{"no active API key " + id}, "apikey", "revoke", id)
	mustContain(t, "revoke by prefix", k.ok("apikey", "revoke", "kz_"+m2[3]), "revoked "+m2[3])
	list = k.ok("apikey", "list")
	if n := len(regexp.MustCompile(`(?m) revoked \d{4}-\d\d-\d\d `).FindAllString(list, -1)); n != 2 {
		t.Errorf("want 2 revoked keys:\n%s", list)
	}

	k.fails(1, []string{`scopes: unknown scope "everything"`}, "apikey", "create", "--name", "x", "--scopes", "everything")
	k.fails(1, []string{"name: is required"}, "apikey", "create", "--scopes", "read")
	k.fails(1, []string{"scopes: at least one of"}, "apikey", "create", "--name", "x", "--scopes", ",")
	k.fails(2, []string{"give the key's ID or prefix"}, "apikey", "revoke")
	k.fails(1, []string{"no active API key nope"}, "apikey", "revoke", "nope")

	// Flags after the ID still count.
	k2 := newKZ(t, nil)
	out = k2.ok("apikey", "create", "--name", "third", "--db", path)
	m3 := regexp.MustCompile(`created API key (key_\w+)`).FindStringSubmatch(out)
	if m3 == nil {
		t.Fatalf("apikey create: %q", out)
	}
	if r := k2.run("apikey", "revoke", m3[1], "--db", path); r.code != 0 {
		t.Errorf("apikey revoke ID --db PATH: %s", r)
	}
	// After "--" nothing is a flag.
	k.fails(1, []string{"no active API key --db"}, "apikey", "revoke", "--", "--db")
	if _, err := os.Stat(filepath.Join("data", "kizuna.db")); err == nil {
		t.Errorf("a command used the default database ./data/kizuna.db")
	}
	mustContain(t, "audit verify", k.ok("audit", "verify"), "audit trail intact")
}

func TestAuditVerify(t *testing.T) {
	k, path := migrated(t)
	out := k.ok("audit", "verify")
	if !regexp.MustCompile(`^audit trail intact: 0 entries, hash chain verified\n$`).MatchString(out) {
		t.Errorf("empty trail: %q", out)
	}
	k.ok("apikey", "create", "--name", "a")
	k.ok("apikey", "create", "--name", "b")
	k.runIn("", "user", "add", "--username", "zed", "--role", auth.RoleAdmin, "--generate-password")
	out = k.ok("audit", "verify")
	if out != "audit trail intact: 3 entries, hash chain verified\n" {
		t.Errorf("audit verify: %q", out)
	}
	// Editing an entry breaks the chain: exit 1, naming the entry.
	if _, err := openSQL(t, path).Exec(`UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	k.fails(1, []string{"kizuna audit: audit trail BROKEN", "entry 2"}, "audit", "verify")
}

func TestDemo(t *testing.T) {
	k, path := migrated(t)
	truth := filepath.Join(t.TempDir(), "truth.csv")
	out := k.ok("demo", "--customers", "300", "--seed", "3", "--truth", truth)
	m := regexp.MustCompile(`demo data loaded: 300 people, (\d+) source records → (\d+) customers \((\d+) joined, \d+ possible duplicates flagged, (\d+) rejected\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("demo printed:\n%s", out)
	}
	records, _ := strconv.Atoi(m[1])
	customers, _ := strconv.Atoi(m[2])
	joined, _ := strconv.Atoi(m[3])
	rejected, _ := strconv.Atoi(m[4])
	if records < 300 || customers < 1 || customers+joined+rejected > records || rejected != 0 {
		t.Errorf("demo counts: %s", m[0])
	}
	mustContain(t, "demo output", out, "300 / 300 people", "demo staff logins (password "+cli.DemoAdminPassword+"): admin (admin)",
		"demo catalog: "+strconv.Itoa(len(demo.Products()))+" products")
	var products int
	if err := openSQL(t, path).QueryRow(`SELECT count(*) FROM products WHERE jan LIKE '20%'`).Scan(&products); err != nil || products != len(demo.Products()) {
		t.Errorf("%d demo products stored (%v), want %d", products, err, len(demo.Products()))
	}
	var levels int
	if err := openSQL(t, path).QueryRow(`SELECT count(*) FROM stock`).Scan(&levels); err != nil || levels != len(demo.Stock()) {
		t.Errorf("%d demo stock levels (%v), want %d", levels, err, len(demo.Stock()))
	}
	// Orders in several channels, every one settled, and a ledger that verifies.
	om := regexp.MustCompile(`demo orders: (\d+) orders in (\d+) channels .*, (\d+) points held by customers`).FindStringSubmatch(out)
	if om == nil {
		t.Fatalf("no demo orders line in:\n%s", out)
	}
	var stored, unsettled int
	sq := openSQL(t, path)
	if err := sq.QueryRow(`SELECT count(*), count(*) FILTER (WHERE points_version < version AND customer_id <> '') FROM orders`).Scan(&stored, &unsettled); err != nil ||
		strconv.Itoa(stored) != om[1] || unsettled != 0 || om[2] == "1" {
		t.Errorf("demo orders: printed %s, stored %d, %d unsettled (%v)", om[0], stored, unsettled, err)
	}
	mustContain(t, "loyalty verify", k.ok("loyalty", "verify"), "points ledger OK", om[3]+" points in lots")

	f, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "channel,external_id,person_id" {
		t.Fatalf("truth header: %v", rows[:min(1, len(rows))])
	}
	if len(rows)-1 != records {
		t.Errorf("truth has %d lines for %d source records", len(rows)-1, records)
	}
	channels := map[string]bool{}
	for _, c := range demo.Channels() {
		channels[c.Code] = true
	}
	seen := map[string]bool{}
	people := map[string]bool{}
	for _, r := range rows[1:] {
		if len(r) != 3 || !channels[r[0]] || r[1] == "" || r[2] == "" {
			t.Fatalf("truth line %q", r)
		}
		if seen[r[0]+"\x00"+r[1]] {
			t.Errorf("truth repeats %s/%s", r[0], r[1])
		}
		seen[r[0]+"\x00"+r[1]] = true
		people[r[2]] = true
	}
	if len(people) != 300 {
		t.Errorf("truth names %d people, want 300", len(people))
	}
	// Every truth line is a stored source record.
	sdb := openSQL(t, path)
	var n int
	if err := sdb.QueryRow(`SELECT COUNT(*) FROM source_profiles`).Scan(&n); err != nil || n != records {
		t.Errorf("%d source profiles stored (%v), want %d", n, err, records)
	}
	rs, err := sdb.Query(`SELECT channel, external_id FROM source_profiles`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var ch, ext string
		rs.Scan(&ch, &ext)
		if !seen[ch+"\x00"+ext] {
			t.Errorf("stored %s/%s is not in the truth file", ch, ext)
		}
	}
	rs.Close()
	// Identity resolution ran after the load and says how many customers
	// are left; merged ones stay behind as status "merged".
	r := regexp.MustCompile(`identity resolution \(model version 1\): (\d+) customers merged, (\d+) groups of records moved apart, \d+ pairs queued for review → (\d+) customers`).FindStringSubmatch(out)
	if r == nil {
		t.Fatalf("demo did not report identity resolution:\n%s", out)
	}
	merged, _ := strconv.Atoi(r[1])
	moved, _ := strconv.Atoi(r[2])
	after, _ := strconv.Atoi(r[3])
	if merged == 0 || after != customers-merged+moved {
		t.Errorf("resolution counts %q after %d customers", r[0], customers)
	}
	if err := sdb.QueryRow(`SELECT COUNT(*) FROM customers WHERE status = 'active'`).Scan(&n); err != nil || n != after {
		t.Errorf("%d active customers (%v), printed %d", n, err, after)
	}
	before, _ := os.ReadFile(truth)

	// Same seed, same data.
	truth2 := filepath.Join(t.TempDir(), "truth2.csv")
	k2, _ := migrated(t)
	k2.ok("demo", "--customers", "300", "--seed", "3", "--truth", truth2, "--batch", "64")
	if again, _ := os.ReadFile(truth2); !bytes.Equal(before, again) {
		t.Error("the same seed gave another truth file")
	}

	out = k.ok("demo", "--customers", "300", "--seed", "3", "--truth", truth)
	mustContain(t, "second demo", out, "demo data already loaded (seed 3, 300 people", "use --force")
	if after, _ := os.ReadFile(truth); !bytes.Equal(before, after) {
		t.Error("the second demo run rewrote the truth file")
	}
	if err := sdb.QueryRow(`SELECT COUNT(*) FROM source_profiles`).Scan(&n); err != nil || n != records {
		t.Errorf("second demo run changed the data: %d source profiles", n)
	}
	mustContain(t, "audit verify", k.ok("audit", "verify"), "audit trail intact")
	mustContain(t, "user list", k.ok("user", "list"), "admin", "marketer", "store_staff", "support", "auditor")
}

func TestDemoMigrateFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kizuna.db")
	k := newKZ(t, map[string]string{"KIZUNA_DB": path})
	k.fails(1, []string{"kizuna migrate up"}, "demo", "--customers", "5")
	mustContain(t, "demo --migrate", k.ok("demo", "--customers", "5", "--migrate"), "demo data loaded: 5 people")
	mustContain(t, "demo --force", k.ok("demo", "--customers", "5", "--seed", "9", "--force"), "demo data loaded: 5 people")
}

func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("bench runs an HTTP server")
	}
	k := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(t.TempDir(), "bench.db")}) // bench migrates itself
	out := k.ok("bench", "ingest", "--customers", "40", "--batch", "16", "--clients", "3")
	if !regexp.MustCompile(`ingested \d+ source profiles in .* \(rejected 0\); per request p50`).MatchString(out) {
		t.Errorf("bench ingest:\n%s", out)
	}
	out = k.ok("bench", "lookup", "--rate", "200", "--duration", "250ms")
	if !regexp.MustCompile(`50 lookups by email against \d+ customers in .*, 0 failed\)\n  latency p50`).MatchString(out) {
		t.Errorf("bench lookup:\n%s", out)
	}
	empty := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(t.TempDir(), "empty.db")})
	empty.fails(1, []string{"no customers with emails"}, "bench", "lookup", "--rate", "10", "--duration", "100ms")

	// The console's search box and pages, on demo data (the demo has the
	// administrator the console bench signs in as).
	d := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(t.TempDir(), "demo.db")})
	d.ok("demo", "--customers", "30", "--migrate")
	out = d.ok("bench", "search", "--rounds", "5")
	if !regexp.MustCompile(`reading \(katakana\)\s+n=\d+\s+p50(.|\n)*all searches\s+n=\d+\s+p50 +[0-9.]+ ms  p95`).MatchString(out) {
		t.Errorf("bench search:\n%s", out)
	}
	out = d.ok("bench", "console", "--rounds", "3")
	mustContain(t, "bench console", out, "dashboard, first request", "customer 360°", "audit trail", "n=3")
	empty.fails(1, []string{"no customers with names"}, "bench", "search")

	// Against a server running apart from the load generator.
	k.fails(2, []string{"--url needs --key"}, "bench", "lookup", "--url", "http://127.0.0.1:1")
	k.fails(2, []string{"--url works with bench lookup only"}, "bench", "ingest", "--url", "http://127.0.0.1:1", "--key", "x")
	key := strings.TrimSpace(lastLine(k.ok("apikey", "create", "--name", "bench-read", "--scopes", "read")))
	srv := startServe(t, k)
	defer func() { srv.cancel(); <-srv.done }()
	base := srv.base
	out = k.ok("bench", "lookup", "--url", base, "--key", key, "--rate", "200", "--duration", "250ms")
	if !regexp.MustCompile(`against http://127\.0\.0\.1:\d+ \(a separate process\)(.|\n)*50 lookups by email in .*, 0 failed\)\n  latency p50`).MatchString(out) {
		t.Errorf("bench lookup --url:\n%s", out)
	}
	k.fails(1, []string{"HTTP 401"}, "bench", "lookup", "--url", base, "--key", "kz_wrong", "--rate", "10", "--duration", "100ms")
}

// mustMigrations lists the embedded migrations (the latest version is their count).
func mustMigrations(t *testing.T) []sqlstore.Migration {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
