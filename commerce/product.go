package commerce

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Product is one item of the catalog, known by its SKU.
type Product struct {
	SKU string `json:"sku" required:"false" doc:"The retailer's stock keeping unit, unique (in a PUT, the path gives it)" example:"TEA-SENCHA-100"`
	// JAN is the barcode number: JAN-13 (EAN-13) or the short JAN-8, with
	// its check digit; empty when the item has none.
	JAN      string   `json:"jan,omitempty" doc:"JAN/EAN-13 or JAN-8 with a valid check digit" example:"4006381333931"`
	Name     string   `json:"name" example:"静岡 深蒸し煎茶 100g"`
	Category []string `json:"category,omitempty" doc:"Category path, broadest first" example:"[\"食品\",\"飲料\",\"日本茶\"]"`
	Brand    string   `json:"brand,omitempty"`
	// Price is what the customer pays, tax included (税込), as shelf
	// prices in Japan are shown.
	Price   Money   `json:"price"`
	TaxRate TaxRate `json:"tax_rate" doc:"10, 8 (reduced) or 0" example:"8"`
	// Consumable items are bought again; RepurchaseDays is the typical
	// time between purchases, for reminders and recommendations.
	Consumable     bool              `json:"consumable,omitempty"`
	RepurchaseDays int               `json:"repurchase_days,omitempty" doc:"Typical days between purchases of a consumable"`
	Attributes     map[string]string `json:"attributes,omitempty"`
	CreatedAt      time.Time         `json:"created_at,omitzero"`
	UpdatedAt      time.Time         `json:"updated_at,omitzero"`
}

// Limits on a product's fields.
const (
	maxSKU            = 64
	maxName           = 200
	maxCategoryLevels = 8
	maxAttributes     = 50
	maxRepurchaseDays = 3650
)

// Normalize trims the text fields and writes the JAN in ASCII digits
// (full-width digits, spaces and hyphens from spreadsheets are common).
func (p *Product) Normalize() {
	p.SKU = strings.TrimSpace(normalize.Text(p.SKU))
	p.JAN = NormalizeJAN(p.JAN)
	p.Name = strings.TrimSpace(p.Name)
	p.Brand = strings.TrimSpace(p.Brand)
	for i := range p.Category {
		p.Category[i] = strings.TrimSpace(p.Category[i])
	}
	if p.Price.Currency == "" {
		p.Price.Currency = "JPY"
	}
}

// Validate checks a normalized product; the error names the field.
func (p *Product) Validate() error {
	switch {
	case p.SKU == "":
		return kizuna.FieldError("sku", "is required")
	case len(p.SKU) > maxSKU:
		return kizuna.FieldError("sku", "is longer than %d bytes", maxSKU)
	case strings.IndexFunc(p.SKU, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '/' }) >= 0:
		return kizuna.FieldError("sku", "%q holds a space, a slash or a control character", p.SKU)
	case p.Name == "":
		return kizuna.FieldError("name", "is required")
	case utf8.RuneCountInString(p.Name) > maxName:
		return kizuna.FieldError("name", "is longer than %d characters", maxName)
	case p.Price.Amount < 0:
		return kizuna.FieldError("price.amount", "is negative")
	case len(p.Price.Currency) != 3 || strings.ToUpper(p.Price.Currency) != p.Price.Currency:
		return kizuna.FieldError("price.currency", "%q is not an ISO 4217 code such as JPY", p.Price.Currency)
	case len(p.Category) > maxCategoryLevels:
		return kizuna.FieldError("category", "has %d levels, at most %d", len(p.Category), maxCategoryLevels)
	case p.RepurchaseDays < 0 || p.RepurchaseDays > maxRepurchaseDays:
		return kizuna.FieldError("repurchase_days", "must be between 0 and %d", maxRepurchaseDays)
	case p.RepurchaseDays > 0 && !p.Consumable:
		return kizuna.FieldError("repurchase_days", "is for consumables: set consumable too")
	case len(p.Attributes) > maxAttributes:
		return kizuna.FieldError("attributes", "has %d entries, at most %d", len(p.Attributes), maxAttributes)
	}
	for i, c := range p.Category {
		if c == "" {
			return kizuna.FieldError("category", "level %d is empty", i+1)
		}
	}
	if err := ValidateTaxRate("tax_rate", p.TaxRate); err != nil {
		return err
	}
	if p.JAN != "" {
		if err := ValidateJAN(p.JAN); err != nil {
			return err
		}
	}
	return nil
}

// NormalizeJAN writes a barcode number as ASCII digits: full-width digits
// folded, spaces and hyphens dropped. Anything else is left for
// ValidateJAN to reject.
func NormalizeJAN(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' || r == 'ー' || r == '－' {
			return -1
		}
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, strings.TrimSpace(s))
}

// ValidateJAN checks a JAN code: 13 digits (JAN-13, the same as EAN-13) or
// 8 (the short JAN-8), the last being the check digit of the others
// (weights 3 and 1 from the right, GS1). The error says which digit was
// expected, so that a typo is easy to find.
func ValidateJAN(code string) error {
	if len(code) != 13 && len(code) != 8 {
		return kizuna.FieldError("jan", "%q has %d characters: a JAN code has 13 digits (or 8 for a short JAN-8)", code, utf8.RuneCountInString(code))
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return kizuna.FieldError("jan", "%q holds %q at position %d: a JAN code is digits only", code, code[i], i+1)
		}
	}
	if want := checkDigit(code[:len(code)-1]); code[len(code)-1] != want {
		return kizuna.FieldError("jan", "%q has check digit %c, but its first %d digits give %c: a digit is probably mistyped", code, code[len(code)-1], len(code)-1, want)
	}
	return nil
}

// checkDigit is the GS1 check digit of body (ASCII digits).
func checkDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// InStoreJAN is the JAN-13 of a retailer's own item number n: prefix 20,
// which GS1 keeps for numbers used inside one company (インストアコード),
// so it never collides with a manufacturer's code; then n in ten digits and
// the check digit.
func InStoreJAN(n int) string {
	body := fmt.Sprintf("20%010d", n%10_000_000_000)
	return body + string(checkDigit(body))
}
