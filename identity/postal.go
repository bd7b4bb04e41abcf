package identity

import (
	"context"
	"strings"
	"sync"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/postal"
)

// PostalDirectory is the Japan Post dictionary (`kizuna postal import`):
// the entries of a postal code.
type PostalDirectory interface {
	PostalCode(ctx context.Context, code string) ([]postal.Entry, error)
}

// postalPlace is the prefecture and city every entry of a code shares
// ("" where they differ, or the code is unknown).
type postalPlace struct{ prefecture, city string }

// postalPlaces remembers the places of the codes asked for: a large import
// asks for the same codes again and again.
type postalPlaces struct {
	dir   PostalDirectory
	mu    sync.Mutex
	known map[string]postalPlace
}

// maxPostalPlaces bounds the memory: Japan has about 120,000 codes.
const maxPostalPlaces = 200_000

func (pp *postalPlaces) place(ctx context.Context, code string) (postalPlace, error) {
	pp.mu.Lock()
	pl, ok := pp.known[code]
	pp.mu.Unlock()
	if ok {
		return pl, nil
	}
	entries, err := pp.dir.PostalCode(ctx, code)
	if err != nil {
		return postalPlace{}, err
	}
	for i, e := range entries {
		if i == 0 {
			pl = postalPlace{e.Prefecture, e.City}
			continue
		}
		if e.Prefecture != pl.prefecture {
			pl.prefecture = ""
		}
		if e.City != pl.city {
			pl.city = ""
		}
	}
	pp.mu.Lock()
	if pp.known == nil || len(pp.known) >= maxPostalPlaces {
		pp.known = map[string]postalPlace{}
	}
	pp.known[code] = pl
	pp.mu.Unlock()
	return pl, nil
}

// completeAddresses fills in the prefecture and city an address left out
// from its postal code, where the dictionary knows one for the code, and
// takes the city off the start of the street when the street begins with
// it (an address written whole in one column). What the record says is
// never overwritten. It is a help, not a check: when the dictionary
// cannot be read, the address stays as sent.
func (pp *postalPlaces) completeAddresses(ctx context.Context, p *customer.Profile) {
	if pp == nil {
		return
	}
	for i := range p.Addresses {
		a := &p.Addresses[i]
		if a.PostalCode == "" || (a.Prefecture != "" && a.City != "") {
			continue
		}
		pl, err := pp.place(ctx, a.PostalCode)
		if err != nil {
			return
		}
		if a.Prefecture == "" {
			a.Prefecture = pl.prefecture
		}
		if a.City == "" && pl.city != "" && (a.Prefecture == pl.prefecture || pl.prefecture == "") {
			a.City = pl.city
			a.Street = strings.TrimSpace(strings.TrimPrefix(a.Street, pl.city))
		}
	}
}
