package postal

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Directory answers postal code ↔ address questions from the stored
// dictionary. It keeps what it read for a while, since an import asks about
// the same codes and cities again and again; after a new `kizuna postal
// import` it answers from the new dictionary within cacheFor.
type Directory struct {
	store Reader
	now   func() time.Time

	mu     sync.Mutex
	since  time.Time            // when the cache was started
	places map[struct{}][]Place // one key: every place
	areas  map[Place][]Entry
	codes  map[string]Place
}

// cacheFor is how long the directory trusts what it read.
const cacheFor = 10 * time.Minute

// maxCachedCodes bounds the memory: Japan has about 120,000 codes.
const maxCachedCodes = 200_000

// NewDirectory reads the dictionary in store.
func NewDirectory(store Reader) *Directory {
	return &Directory{store: store, now: time.Now}
}

// fresh empties the cache when it is old. Callers hold d.mu.
func (d *Directory) fresh() {
	if now := d.now(); d.codes == nil || now.Sub(d.since) > cacheFor || len(d.codes) > maxCachedCodes {
		d.since, d.places, d.areas, d.codes = now, map[struct{}][]Place{}, map[Place][]Entry{}, map[string]Place{}
	}
}

// Lookup returns the entries of a postal code, written in any form
// (〒150-0043, １５００－０４３). A code the dictionary does not hold has
// no entries; a string that is no postal code is invalid.
func (d *Directory) Lookup(ctx context.Context, code string) ([]Entry, error) {
	c, err := normalize.PostalCode(code)
	if err != nil {
		return nil, kizuna.Errorf(kizuna.EINVALID, "%q: %v", code, err)
	}
	return d.store.PostalCode(ctx, c)
}

// Place is the prefecture and city every entry of a 7-digit code shares:
// a field is "" where the entries differ (a code over two prefectures)
// or the code is unknown.
func (d *Directory) Place(ctx context.Context, code string) (Place, error) {
	return remembered(d, func() map[string]Place { return d.codes }, code, func() (pl Place, err error) {
		entries, err := d.store.PostalCode(ctx, code)
		for i, e := range entries {
			if i == 0 {
				pl = Place{e.Prefecture, e.City}
				continue
			}
			if e.Prefecture != pl.Prefecture {
				pl.Prefecture = ""
			}
			if e.City != pl.City {
				pl.City = ""
			}
		}
		return pl, err
	})
}

// remembered is what table holds for k, read with load when it holds
// nothing yet and kept until the cache starts over (fresh). table is
// called under d.mu: fresh replaces the maps.
func remembered[K comparable, V any](d *Directory, table func() map[K]V, k K, load func() (V, error)) (V, error) {
	d.mu.Lock()
	d.fresh()
	v, ok := table()[k]
	d.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	d.mu.Lock()
	table()[k] = v
	d.mu.Unlock()
	return v, nil
}

// Found is an address located in the dictionary.
type Found struct {
	Code string // "" when the address fits no code or several
	// Town says a town of the dictionary begins the address; without one
	// Code is the city's own (「以下に掲載がない場合」), which is also what a
	// misspelt town gets.
	Town  bool
	Place // the city, found at the start of the address
	// Street is the address after the city, as the dictionary writes it
	// (NFKC, no spaces).
	Street  string
	Entries []Entry // the dictionary's entries for Code
}

// Find locates an address (東京都渋谷区道玄坂2-10-7, or 渋谷区道玄坂2-10-7
// with prefecture 東京都): its city and, when the address fits exactly one
// code, its postal code. The prefecture may be written in the address or
// given apart (either may be ""). ok is false when no city of the
// dictionary begins the address, or more than one does (府中市 with no
// prefecture).
func (d *Directory) Find(ctx context.Context, prefecture, address string) (f Found, ok bool, err error) {
	pref, rest := normalize.SplitPrefecture(compact(address))
	if pref == "" {
		pref = normalize.Prefecture(prefecture)
	} else if p := normalize.Prefecture(prefecture); p != "" && p != pref {
		return Found{}, false, nil // the address and the prefecture disagree
	}
	places, err := d.allPlaces(ctx)
	if err != nil {
		return Found{}, false, err
	}
	pl, street, ok := SplitCity(places, pref, rest)
	if !ok {
		return Found{}, false, nil
	}
	entries, err := d.area(ctx, pl)
	if err != nil {
		return Found{}, false, err
	}
	f = Found{Place: pl, Street: street}
	f.Code, f.Town = Locate(entries, street)
	for _, e := range entries {
		if f.Code != "" && e.Code == f.Code {
			f.Entries = append(f.Entries, e)
		}
	}
	return f, true, nil
}

// Empty reports whether the dictionary holds nothing (`kizuna postal
// import` has not run), to tell the user why nothing was found.
func (d *Directory) Empty(ctx context.Context) bool {
	places, err := d.allPlaces(ctx)
	return err == nil && len(places) == 0
}

func (d *Directory) allPlaces(ctx context.Context) ([]Place, error) {
	return remembered(d, func() map[struct{}][]Place { return d.places }, struct{}{}, func() ([]Place, error) { return d.store.PostalPlaces(ctx) })
}

func (d *Directory) area(ctx context.Context, pl Place) ([]Entry, error) {
	return remembered(d, func() map[Place][]Entry { return d.areas }, pl, func() ([]Entry, error) { return d.store.PostalArea(ctx, pl) })
}

// Complete fills in what an address left out from the dictionary, never
// overwriting what it says: the prefecture and city from its postal code
// (when all the code's entries agree), the city split off the start of the
// street (an address written whole in one column), and the postal code of
// an address without one when exactly one code fits.
func (d *Directory) Complete(ctx context.Context, a *Address) error {
	if a.PostalCode != "" && (a.Prefecture == "" || a.City == "") {
		pl, err := d.Place(ctx, a.PostalCode)
		if err != nil {
			return err
		}
		if a.Prefecture == "" {
			a.Prefecture = pl.Prefecture
		}
		if a.City == "" && pl.City != "" && (a.Prefecture == pl.Prefecture || pl.Prefecture == "") {
			a.City = pl.City
			a.Street = strings.TrimSpace(strings.TrimPrefix(a.Street, pl.City))
		}
	}
	if a.PostalCode != "" || a.Street == "" {
		return nil
	}
	// A street that repeats the city (渋谷区 / 渋谷区道玄坂1-2-3) is read once.
	f, ok, err := d.Find(ctx, a.Prefecture, a.City+strings.TrimPrefix(strings.TrimSpace(a.Street), a.City))
	if err != nil || !ok || !f.Town {
		// Only a town of the dictionary makes the address sure: a city
		// alone may be a ward of another city written without it (北区),
		// and the city's own code is what a misspelt town gets.
		return err
	}
	if a.Prefecture == "" {
		a.Prefecture = f.Prefecture
	}
	if a.Prefecture != f.Prefecture {
		return nil
	}
	if a.City == "" {
		street := strings.TrimSpace(a.Street)
		if p, rest := normalize.SplitPrefecture(street); p == f.Prefecture {
			street = strings.TrimSpace(rest)
		}
		a.City = f.City
		a.Street = strings.TrimSpace(strings.TrimPrefix(street, f.City))
	}
	a.PostalCode = f.Code
	return nil
}

// Address is the part of a customer's address the dictionary completes.
type Address struct {
	PostalCode, Prefecture, City, Street string
}
