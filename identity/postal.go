package identity

import (
	"context"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/postal"
)

// completeAddresses fills in what an address left out from the Japan Post
// dictionary (postal.Directory.Complete): prefecture and city from the
// postal code, the city split off a street written whole, the postal code
// of an address that fits exactly one. What the record says is never
// overwritten. It is a help, not a check: when the dictionary cannot be
// read, the address stays as sent.
func completeAddresses(ctx context.Context, dir *postal.Directory, p *customer.Profile) {
	if dir == nil {
		return
	}
	for i := range p.Addresses {
		a := &p.Addresses[i]
		pa := postal.Address{PostalCode: a.PostalCode, Prefecture: a.Prefecture, City: a.City, Street: a.Street}
		if err := dir.Complete(ctx, &pa); err != nil {
			return
		}
		a.PostalCode, a.Prefecture, a.City, a.Street = pa.PostalCode, pa.Prefecture, pa.City, pa.Street
	}
}

// Postal is the Japan Post dictionary the service completes addresses
// with; nil when the store keeps none.
func (s *Service) Postal() *postal.Directory { return s.postal }
