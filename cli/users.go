package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// cliEntry is an audit entry for an administrative CLI action.
func cliEntry(action, objType, objID string, detail string) audit.Entry {
	return audit.Entry{At: time.Now(), ActorType: "system", ActorID: "cli", ActorName: "kizuna command line", Action: action, ObjectType: objType, ObjectID: objID,
		Detail: []byte(detail)}
}

func randomPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func readPassword(e *Env, generate bool) (string, bool, error) {
	if generate {
		return randomPassword(), true, nil
	}
	if e.Stdin == nil {
		return "", false, fmt.Errorf("no standard input to read the password from: use --generate-password")
	}
	r := bufio.NewReader(e.Stdin)
	line, err := r.ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("read the password from standard input: %w (or use --generate-password)", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func runUser(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	about := `Manage staff users.
  add --username NAME --role ROLE [--display-name N] [--locale ja|en]   password from stdin, or --generate-password
  list
  disable NAME
  set-password NAME          password from stdin, or --generate-password
  set-role NAME ROLE
Roles: ` + strings.Join(auth.Roles, ", ")
	fs := flags(e, "user", "add|list|disable|set-password|set-role [flags]", about)
	cfg.BindDB(fs, e.Getenv)
	username := fs.String("username", "", "login name (a-z, 0-9, . _ -)")
	role := fs.String("role", "", "role: "+strings.Join(auth.Roles, ", "))
	display := fs.String("display-name", "", "name shown in the console and audit trail")
	locale := fs.String("locale", "ja", "console language: ja or en")
	gen := fs.Bool("generate-password", false, "generate a random password and print it")
	sub, err := subcommand(fs, args, "add", "list", "disable", "set-password", "set-role")
	if err != nil {
		return err
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	pos := fs.Args()
	need := func(n int, what string) error {
		if len(pos) < n {
			return fmt.Errorf("kizuna user %s: missing %s: %w", sub, what, errUsage)
		}
		return nil
	}
	switch sub {
	case "add":
		if *username == "" && len(pos) > 0 {
			*username = pos[0]
		}
		if err := auth.ValidateUsername(*username); err != nil {
			return err
		}
		if err := auth.ValidateRole(*role); err != nil {
			return err
		}
		if *locale != "ja" && *locale != "en" {
			return fmt.Errorf("--locale must be ja or en, not %q: %w", *locale, errUsage)
		}
		pw, generated, err := readPassword(e, *gen)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		u := &auth.User{ID: kizuna.NewID("usr"), Username: *username, DisplayName: *display, Role: *role, Locale: *locale, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := db.AppendAudit(ctx, cliEntry("user.create", "user", u.ID, fmt.Sprintf(`{"username":%q,"role":%q}`, u.Username, u.Role))); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "created user %s (%s)\n", u.Username, u.Role)
		if generated {
			fmt.Fprintf(e.Stdout, "password: %s\n", pw)
		}
	case "list":
		us, err := db.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tDISPLAY NAME\tSTATUS\tCREATED")
		for _, u := range us {
			st := "active"
			if u.Disabled {
				st = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, u.DisplayName, st, u.CreatedAt.In(tokyo()).Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "disable", "set-password", "set-role":
		if err := need(1, "the username"); err != nil {
			return err
		}
		u, err := db.UserByName(ctx, pos[0])
		if err != nil {
			return err
		}
		detail := "{}"
		switch sub {
		case "disable":
			u.Disabled = true
		case "set-password":
			pw, generated, err := readPassword(e, *gen)
			if err != nil {
				return err
			}
			if u.PasswordHash, err = auth.HashPassword(pw); err != nil {
				return err
			}
			if generated {
				fmt.Fprintf(e.Stdout, "password: %s\n", pw)
			}
		case "set-role":
			if err := need(2, "the role"); err != nil {
				return err
			}
			if err := auth.ValidateRole(pos[1]); err != nil {
				return err
			}
			detail = fmt.Sprintf(`{"changes":[{"field":"role","before":%q,"after":%q}]}`, u.Role, pos[1])
			u.Role = pos[1]
		}
		u.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
		if err := db.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := db.AppendAudit(ctx, cliEntry("user."+sub, "user", u.ID, detail)); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s: done for %s\n", sub, u.Username)
	default:
		fs.Usage()
		return fmt.Errorf("kizuna user: unknown subcommand %q: %w", sub, errUsage)
	}
	return nil
}

func runAPIKey(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	about := `Manage API keys for integrations (POS, EC, apps).
  create --name NAME --scopes read,write[,admin] [--channels store,ec]   prints the key once
  list
  revoke ID_OR_PREFIX`
	fs := flags(e, "apikey", "create|list|revoke [flags]", about)
	cfg.BindDB(fs, e.Getenv)
	name := fs.String("name", "", "what the key is for, e.g. \"Shibuya POS\"")
	scopes := fs.String("scopes", "read", "comma-separated: "+strings.Join(auth.Scopes, ", "))
	channels := fs.String("channels", "", "comma-separated channel codes the key may write for (default: all)")
	sub, err := subcommand(fs, args, "create", "list", "revoke")
	if err != nil {
		return err
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "create":
		k, secret, err := createAPIKey(ctx, db, *name, splitComma(*scopes), splitComma(*channels))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "created API key %s (%s) with scopes %s\n", k.ID, k.Name, strings.Join(k.Scopes, ","))
		fmt.Fprintf(e.Stdout, "key (shown only now; store it safely):\n%s\n", secret)
	case "list":
		ks, err := db.APIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tSCOPES\tCHANNELS\tSTATUS\tCREATED")
		for _, k := range ks {
			st := "active"
			if k.RevokedAt != nil {
				st = "revoked " + k.RevokedAt.In(tokyo()).Format("2006-01-02")
			}
			ch := strings.Join(k.Channels, ",")
			if ch == "" {
				ch = "all"
			}
			fmt.Fprintf(tw, "%s\tkz_%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, strings.Join(k.Scopes, ","), ch, st, k.CreatedAt.In(tokyo()).Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() < 1 {
			return fmt.Errorf("kizuna apikey revoke: give the key's ID or prefix: %w", errUsage)
		}
		id := strings.TrimPrefix(fs.Arg(0), "kz_")
		if err := db.RevokeAPIKey(ctx, id, time.Now().UTC()); err != nil {
			return err
		}
		if err := db.AppendAudit(ctx, cliEntry("apikey.revoke", "apikey", id, "{}")); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "revoked %s\n", id)
	default:
		fs.Usage()
		return fmt.Errorf("kizuna apikey: unknown subcommand %q: %w", sub, errUsage)
	}
	return nil
}

func createAPIKey(ctx context.Context, db *sqlstore.DB, name string, scopes, channels []string) (*auth.APIKey, string, error) {
	if len(channels) > 0 {
		known, err := db.Channels(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, c := range channels {
			if !slices.ContainsFunc(known, func(k customer.Channel) bool { return k.Code == c }) {
				return nil, "", kizuna.FieldError("channels", "unknown channel %q (kizuna lists channels at GET /api/v1/channels)", c)
			}
		}
	}
	k, secret, err := auth.NewAPIKey(name, scopes, channels, "cli")
	if err != nil {
		return nil, "", err
	}
	if err := db.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	if err := db.AppendAudit(ctx, cliEntry("apikey.create", "apikey", k.ID, fmt.Sprintf(`{"name":%q,"scopes":%q,"channels":%q}`, k.Name, strings.Join(k.Scopes, ","), strings.Join(k.Channels, ",")))); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func tokyo() *time.Location {
	if l, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return l
	}
	return time.FixedZone("JST", 9*3600)
}

func runAudit(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "audit", "verify [flags]", "verify walks the whole hash-chained audit trail and names the first edited, deleted or reordered entry. Exit status 1 when the chain is broken.")
	cfg.BindDB(fs, e.Getenv)
	if _, err := subcommand(fs, args, "verify"); err != nil {
		return err
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, p, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if p != nil {
		return fmt.Errorf("audit trail BROKEN after checking %d entries: entry %d: %s", n, p.Seq, p.Reason)
	}
	fmt.Fprintf(e.Stdout, "audit trail intact: %d entries, hash chain verified\n", n)
	return nil
}
