// Package cli implements the kizuna command's subcommands. Each subcommand
// parses its own flags into config.Config, validates them, opens what it
// needs and closes it again; cmd/kizuna only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// Version is set at build time (-ldflags "-X …/cli.Version=…").
var Version = "dev"

// Env is what a command runs with.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv config.Getenv
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP API server", runServe},
		{"migrate", "apply or show database schema migrations (up, status)", runMigrate},
		{"demo", "load realistic Japanese demo customers", runDemo},
		{"user", "manage staff users (add, list, disable, set-password, set-role)", runUser},
		{"apikey", "manage API keys (create, list, revoke)", runAPIKey},
		{"audit", "check the audit trail (verify)", runAudit},
		{"import", "import customers from a CSV/TSV/XLSX file (UTF-8 or Shift_JIS) through One ID", runImport},
		{"export", "export customers to CSV (UTF-8 with BOM or Shift_JIS) or XLSX (audited)", runExport},
		{"postal", "Japan Post's postal code dictionary (import, lookup)", runPostal},
		{"products", "the product catalog: load a product master from CSV or Excel (import)", runProducts},
		{"loyalty", "the points ledger: verify every balance against its entries, settle order points, expire", runLoyalty},
		{"resolve", "find the people behind the source records: dry run, --apply, --train, --eval", runResolve},
		{"bench", "measure speed (ingest, lookup, search, console)", runBench},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks an error whose message is already a usage text.
var errUsage = errors.New("usage")

// Run runs the command line and returns the process exit code.
func Run(ctx context.Context, args []string, e *Env) int {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return Run(ctx, []string{args[1], "--help"}, e)
		}
		usage(e.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintln(e.Stderr, strings.TrimSuffix(err.Error(), ": "+errUsage.Error()))
				return 2
			}
			fmt.Fprintf(e.Stderr, "kizuna %s: %s\n", c.name, describe(err))
			return 1
		}
	}
	fmt.Fprintf(e.Stderr, "kizuna: unknown command %q\n\n", args[0])
	usage(e.Stderr)
	return 2
}

func describe(err error) string {
	var ke *kizuna.Error
	if errors.As(err, &ke) && ke.Code != kizuna.EINTERNAL {
		if ke.Field != "" {
			return ke.Field + ": " + ke.Message
		}
		return ke.Message
	}
	return err.Error()
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Kizuna (絆) %s — one customer ID across every channel.\n\nUsage: kizuna <command> [flags]\n\nCommands:\n", Version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "help", "show this list, or a command's flags (kizuna help serve)")
	fmt.Fprintln(w, "\nEvery command takes --db (env KIZUNA_DB): a SQLite file path (default ./data/kizuna.db) or a postgres:// URL.")
}

// flags returns a flag set that prints usage to the Env and reports errors
// instead of exiting.
func flags(e *Env, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.Stderr, "Usage: kizuna %s %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; a parse error becomes a usage error. Flags may also
// follow positional arguments (kizuna user disable alice --db prod.db): the
// flag package alone would stop at "alice" and silently leave --db unset.
// After "--" everything is positional.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w", errUsage)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) > 0 {
		return fs.Parse(append([]string{"--"}, pos...)) // fs.Args() = pos
	}
	return nil
}

// subcommand takes "NAME [flags]" for commands that have subcommands and
// parses the flags. The name is checked before anything is opened: a typo
// is a usage error, never a database file created by accident.
func subcommand(fs *flag.FlagSet, args []string, valid ...string) (string, error) {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fs.Usage()
		return "", flag.ErrHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs.Usage()
		say := strings.Join(valid, ", ")
		if len(valid) > 1 {
			say = strings.Join(valid[:len(valid)-1], ", ") + " or " + valid[len(valid)-1]
		}
		return "", fmt.Errorf("kizuna %s: say %s: %w", fs.Name(), say, errUsage)
	}
	if !slices.Contains(valid, args[0]) {
		fs.Usage()
		return "", fmt.Errorf("kizuna %s: unknown subcommand %q: %w", fs.Name(), args[0], errUsage)
	}
	return args[0], parse(fs, args[1:])
}

// validOpen validates the configuration and opens the database, refusing a
// schema this binary does not know.
func validOpen(ctx context.Context, cfg *config.Config) (*sqlstore.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return openDB(ctx, cfg.DB)
}

// openDB opens the database and checks its schema is the one this binary
// knows (every command but migrate).
func openDB(ctx context.Context, dsn string) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func runVersion(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "version", "[--db DSN]", "Print the version and the schema version this binary needs; with an existing database, also the database's schema version.")
	cfg.BindDB(fs, e.Getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "kizuna %s\n", Version)
	if !sqlstore.IsPostgresDSN(cfg.DB) {
		if _, err := os.Stat(cfg.DB); err != nil {
			return nil // no database here: say nothing rather than create one
		}
	}
	db, err := sqlstore.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "schema: database %s is at version %d; this kizuna needs version %d\n", displayDSN(cfg.DB), v, db.LatestVersion())
	return nil
}

func runMigrate(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "migrate", "up|status [flags]", "up applies every pending schema migration; status shows the schema version.")
	cfg.BindDB(fs, e.Getenv)
	sub, err := subcommand(fs, args, "up", "status")
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "up":
		applied, err := db.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintf(e.Stdout, "applied %s\n", m.Name)
			for _, n := range m.Notes {
				fmt.Fprintf(e.Stdout, "  note: %s\n", n)
			}
		}
		if err != nil {
			return err
		}
		v, _ := db.SchemaVersion(ctx)
		fmt.Fprintf(e.Stdout, "schema at version %d (%s)\n", v, db.Dialect())
		return nil
	case "status":
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "schema at version %d, this kizuna knows version %d (%s)\n", v, db.LatestVersion(), db.Dialect())
		if err := db.CheckSchema(ctx); err != nil {
			fmt.Fprintln(e.Stdout, describe(err))
		}
		return nil
	}
	fs.Usage()
	return fmt.Errorf("kizuna migrate: unknown subcommand %q: %w", sub, errUsage)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
