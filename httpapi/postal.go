package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/postal"
)

// PostalEntry is one town of a postal code (a type of its own: the
// document already has an Entry, the audit trail's).
type PostalEntry postal.Entry

// PostalCode is what the dictionary holds for one postal code.
type PostalCode struct {
	Code    string        `json:"code" doc:"7 digits"`
	Entries []PostalEntry `json:"entries" doc:"The towns the code covers, in Japan Post's order"`
}

// PostalAddress is an address found in the dictionary.
type PostalAddress struct {
	Code       string        `json:"code,omitempty" doc:"The 7-digit postal code; absent when the address fits several (say more of it)"`
	Town       bool          `json:"town" doc:"A town of the dictionary begins the address. When false, code is the city's own (「以下に掲載がない場合」), which is also what a misspelt town gets: check the address"`
	Prefecture string        `json:"prefecture"`
	City       string        `json:"city" doc:"The city the address begins with"`
	Street     string        `json:"street" doc:"The address after the city, as the dictionary writes it (NFKC, no spaces)"`
	Entries    []PostalEntry `json:"entries,omitempty" doc:"The dictionary's entries for code"`
}

func postalEntries(es []postal.Entry) []PostalEntry {
	out := make([]PostalEntry, len(es))
	for i, e := range es {
		out[i] = PostalEntry(e)
	}
	return out
}

func (s *Server) registerPostal() {
	tags := []string{"Postal codes"}
	directory := func() (*postal.Directory, error) {
		if s.Identity == nil || s.Identity.Postal() == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "the postal code dictionary is not available on this server")
		}
		return s.Identity.Postal(), nil
	}
	empty := func() error {
		return kizuna.Errorf(kizuna.ENOTFOUND, "the postal code dictionary is empty: load Japan Post's KEN_ALL.CSV with `kizuna postal import`")
	}
	huma.Register(s.api, huma.Operation{OperationID: "get-postal-code", Method: http.MethodGet, Path: "/api/v1/postal-codes/{code}", Tags: tags,
		Summary:     "Look up a postal code",
		Description: "The prefecture, city and towns of a postal code (〒150-0043, 1500043 and full-width forms alike), from the Japan Post dictionary loaded with `kizuna postal import`.",
		Metadata:    perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *struct {
			Code string `path:"code" example:"150-0043"`
		}) (*struct{ Body PostalCode }, error) {
			d, err := directory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			es, err := d.Lookup(ctx, in.Code)
			if err != nil {
				if kizuna.ErrorCode(err) == kizuna.EINVALID {
					err = kizuna.FieldError("path.code", "%s", kizuna.ErrorMessage(err))
				}
				return nil, s.handlerError(err)
			}
			if len(es) == 0 {
				if d.Empty(ctx) {
					return nil, s.handlerError(empty())
				}
				return nil, s.handlerError(kizuna.Errorf(kizuna.ENOTFOUND, "no address has postal code %s", in.Code))
			}
			return &struct{ Body PostalCode }{PostalCode{Code: es[0].Code, Entries: postalEntries(es)}}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "find-postal-code", Method: http.MethodGet, Path: "/api/v1/postal-codes", Tags: tags,
		Summary: "Find the postal code of an address",
		Description: "Finds the city an address begins with and, when the address fits exactly one, its postal code: the town decides, and " +
			"where a town has a code per range of 丁目 or 番地 the number does; an address in no listed town gets the city's own code. " +
			"code is absent when the address fits several (say more of it). 404 when no city of the dictionary begins the address, " +
			"or a city name two prefectures share (府中市) comes without its prefecture.",
		Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *struct {
			Address    string `query:"address" required:"true" minLength:"1" maxLength:"500" example:"東京都渋谷区道玄坂2-10-7"`
			Prefecture string `query:"prefecture" doc:"The prefecture, when the address leaves it out" example:"東京都"`
		}) (*struct{ Body PostalAddress }, error) {
			d, err := directory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			f, ok, err := d.Find(ctx, in.Prefecture, in.Address)
			if err != nil {
				return nil, s.handlerError(err)
			}
			if !ok {
				if d.Empty(ctx) {
					return nil, s.handlerError(empty())
				}
				return nil, s.handlerError(kizuna.Errorf(kizuna.ENOTFOUND, "no city of the postal code dictionary begins %q, or more than one does: give the prefecture", in.Address))
			}
			return &struct{ Body PostalAddress }{PostalAddress{Code: f.Code, Town: f.Town, Prefecture: f.Prefecture, City: f.City, Street: f.Street, Entries: postalEntries(f.Entries)}}, nil
		})
}
