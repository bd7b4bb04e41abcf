package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/normalize"
	"github.com/kizuna-oss/kizuna/postal"
)

func runPostal(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "postal", "import FILE | lookup CODE [flags]",
		"import loads Japan Post's postal code data: KEN_ALL.CSV (CP932) or utf_ken_all.csv (UTF-8), or either zipped, from\n"+
			"https://www.post.japanpost.jp/zipcode/download.html. It replaces the dictionary in one transaction.\n"+
			"lookup prints the address of a postal code.")
	cfg.BindDB(fs, e.Getenv)
	sub, err := subcommand(fs, args, "import", "lookup")
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("kizuna postal %s: name the %s: %w", sub, map[string]string{"import": "file", "lookup": "postal code"}[sub], errUsage)
	}
	arg := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:]); err != nil { // flags may follow the argument
		return err
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "lookup" {
		code, err := normalize.PostalCode(arg)
		if err != nil {
			return fmt.Errorf("kizuna postal lookup: %q: %w: %w", arg, err, errUsage)
		}
		es, err := db.PostalCode(ctx, code)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			if n, _ := db.PostalCodeCount(ctx); n == 0 {
				return fmt.Errorf("the postal code dictionary is empty: load it with `kizuna postal import KEN_ALL.CSV`")
			}
			return fmt.Errorf("no address has postal code %s-%s", code[:3], code[3:])
		}
		for _, x := range es {
			fmt.Fprintf(e.Stdout, "〒%s-%s %s", x.Code[:3], x.Code[3:], x.Address())
			if x.TownNote != "" {
				fmt.Fprintf(e.Stdout, "（%s）", x.TownNote)
			}
			fmt.Fprintf(e.Stdout, "  %s %s %s\n", x.PrefectureKana, x.CityKana, x.TownKana)
		}
		return nil
	}
	start := time.Now()
	var entries []postal.Entry
	codes := map[string]bool{}
	if err := postal.ReadFile(arg, func(x postal.Entry) error {
		entries = append(entries, x)
		codes[x.Code] = true
		return nil
	}); err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("%s holds no postal codes", arg)
	}
	if err := db.ReplacePostalCodes(ctx, entries); err != nil {
		return err
	}
	if err := db.AppendAudit(ctx, cliEntry("postal.import", "postal_codes", "", fmt.Sprintf(`{"entries":%d,"codes":%d}`, len(entries), len(codes)))); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "postal codes imported: %d entries, %d distinct codes, in %s\n", len(entries), len(codes), time.Since(start).Round(time.Millisecond))
	return nil
}
