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
	fs := flags(e, "postal", "import FILE | lookup CODE|ADDRESS [flags]",
		"import loads Japan Post's postal code data: KEN_ALL.CSV (CP932) or utf_ken_all.csv (UTF-8), or either zipped, from\n"+
			"https://www.post.japanpost.jp/zipcode/download.html. It replaces the dictionary in one transaction.\n"+
			"lookup prints the address of a postal code, or the postal code of an address (東京都渋谷区道玄坂2-10-7).")
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
			return lookupAddress(ctx, e, db, arg)
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

// lookupAddress prints the postal code of an address.
func lookupAddress(ctx context.Context, e *Env, db postal.Store, address string) error {
	dir := postal.NewDirectory(db)
	f, ok, err := dir.Find(ctx, "", address)
	if err != nil {
		return err
	}
	switch {
	case !ok && dir.Empty(ctx):
		return fmt.Errorf("the postal code dictionary is empty: load it with `kizuna postal import KEN_ALL.CSV`")
	case !ok:
		return fmt.Errorf("%q is neither a postal code nor an address beginning with a city of the dictionary (give the prefecture where two have a city of that name)", address)
	case f.Code == "":
		fmt.Fprintf(e.Stdout, "%s%s %s: more than one postal code fits; give the town or 丁目\n", f.Prefecture, f.City, f.Street)
		return nil
	}
	fmt.Fprintf(e.Stdout, "〒%s-%s %s", f.Code[:3], f.Code[3:], postal.Entry{Prefecture: f.Prefecture, City: f.City, Town: f.Entries[0].Town}.Address())
	if !f.Town {
		fmt.Fprint(e.Stdout, " (the city's own code: no town of the dictionary begins the address; check its spelling)")
	}
	fmt.Fprintln(e.Stdout)
	return nil
}
