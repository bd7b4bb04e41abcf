package i18n_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/importer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// english finds a run of English words left in a translation; quoted
// values (「…」) are the input's own and may be anything.
var english = regexp.MustCompile(`[A-Za-z]{3,} [A-Za-z]{2,}`)

func checkJapanese(t *testing.T, en string) {
	t.Helper()
	ja := i18n.Reason(en)
	unquoted := regexp.MustCompile(`「[^」]*」|（[^）]*@[^）]*）`).ReplaceAllString(ja, "")
	if ja == en || english.MatchString(unquoted) {
		t.Errorf("%q has no Japanese: %q", en, ja)
	}
}

// TestReasonsCovered feeds the validators the faults an import meets and
// checks that each message they give has a Japanese translation.
func TestReasonsCovered(t *testing.T) {
	var msgs []string
	add := func(err error) {
		t.Helper()
		if err == nil {
			t.Error("expected an error")
			return
		}
		msgs = append(msgs, kizuna.ErrorMessage(err))
		if kizuna.ErrorCode(err) == kizuna.EINTERNAL {
			msgs[len(msgs)-1] = err.Error()
		}
	}
	for _, s := range []string{" ", "a b@x.jp", "ax.jp", "a@b@x.jp", "@x.jp", "a@", "a@x", "a@x..jp"} {
		_, err := normalize.Email(s)
		add(err)
	}
	for _, s := range []string{"03-12a4-5678", "+999 1234 5678", "03-1234-5678-9999", "03-1", "+81 3", "1234567890", "0120-12", "099-1234-5678"} {
		_, _, err := normalize.Phone(s)
		add(err)
	}
	for _, s := range []string{"令和0年1月1日", "平成1年1月1日", "昭和1年1月1日", "one day", "1700-01-01", "1980-02-30"} {
		_, err := normalize.Date(s)
		add(err)
	}
	_, err := normalize.PostalCode("12")
	add(err)
	_, err = normalize.Gender("たぶん")
	add(err)
	for _, code := range []string{"49012", "49O1234567894", "4901234567895"} {
		add(commerce.ValidateJAN(code))
	}
	for _, p := range []commerce.Product{
		{}, {SKU: "a b", Name: "x"}, {SKU: strings.Repeat("a", 200), Name: "x"}, {SKU: "A", Name: "x", Price: commerce.Money{Amount: -1, Currency: "JPY"}},
		{SKU: "A", Name: "x", Price: commerce.Money{Currency: "JP"}}, {SKU: "A", Name: "x", Price: commerce.Money{Currency: "JPY"}, RepurchaseDays: 30},
		{SKU: "A", Name: "x", Price: commerce.Money{Currency: "JPY"}, Category: []string{"食品", ""}},
	} {
		p.Normalize()
		if err := p.Validate(); err == nil {
			t.Errorf("product %+v: no error", p)
		} else {
			add(err)
		}
	}
	pm, _ := importer.AutoMapProducts([]string{"SKU", "Price (tax included)", "Tax rate", "consumable", "repurchase_days"}, nil)
	for _, row := range [][]string{{"A", "12.5", "10", "", ""}, {"A", "100", "5", "", ""}, {"A", "100", "10", "maybe", ""}, {"A", "100", "10", "1", "soon"}} {
		if _, rej := pm.ToProduct(importer.Row{Line: 2, Values: row}); rej != nil {
			msgs = append(msgs, rej.Reason)
		} else {
			t.Errorf("product row %q was not rejected", row)
		}
	}
	if len(msgs) < 30 {
		t.Fatalf("only %d messages", len(msgs))
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if !seen[m] {
			seen[m] = true
			checkJapanese(t, m)
		}
	}
	// The messages of import itself and of One ID's record checks.
	for _, m := range []string{
		"12 fields, the header has 9", "3 cells, the header has 9", "no mapped column has a value",
		`the ID "X-1" is on line 2 of this file already; a file gives each ID once, so this row was not imported`,
		"is longer than 100 characters (101)", "holds 21 values; at most 20", "is longer than 254 bytes (300)",
		`attribute "rank" is not declared in the attribute schema`, "must be a integer", "must be a date",
		"a quote opened in this row is never closed; the lines after it are read as rows of their own",
		"this source record was erased on a deletion request",
		`"4901234567894" is product TEA-100's JAN: a JAN names one product (clear it there first)`,
		`"4901234567894" is also on line 4 of this file: a JAN names one product`, `"TEA-1" is also on line 4 of this file`,
	} {
		checkJapanese(t, m)
	}
}

func TestReasonExamples(t *testing.T) {
	for en, want := range map[string]string{
		"not a valid email address: more than one @": "メールアドレスの形式が正しくありません（@が複数あります）",
		"not a valid date: 令和 began on 2019-05-01":   "日付が正しくありません（令和は2019年5月1日からです）",
		"is longer than 100 characters (101)":        "100文字を超えています（101文字）",
		"something new":                              "something new", // unknown: left in English
		"not a valid phone number: something new":    "電話番号の形式が正しくありません（something new）",
	} {
		if got := i18n.Reason(en); got != want {
			t.Errorf("Reason(%q) = %q, want %q", en, got, want)
		}
	}
}
