package demo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
)

// Per-channel rates, per mille of records, indexed by channel.
var (
	// name written in kanji; the rest of the records have only a reading
	rateKanji = [numChannels]int{chStore: 1000, chEC: 1000, chApp: 900, chCatalog: 1000, chDept: 1000, chCall: 450, chRakuten: 1000, chYahoo: 1000}
	// reading (フリガナ) present
	rateKana = [numChannels]int{chStore: 920, chEC: 950, chApp: 800, chCatalog: 850, chDept: 950, chCall: 1000, chRakuten: 900, chYahoo: 850}
	// reading in half-width katakana (old POS and mail-order systems)
	rateHalfKana = [numChannels]int{chStore: 350, chCatalog: 400}
	// reading in hiragana (typed by the customer)
	rateHiragana = [numChannels]int{chEC: 80, chApp: 100, chRakuten: 200, chYahoo: 150}
	// a person registered with old kanji shows up with the common form
	rateCommonForm = [numChannels]int{chStore: 600, chEC: 150, chApp: 150, chCatalog: 500, chDept: 150, chCall: 400, chRakuten: 350, chYahoo: 350, chAmazon: 350}
	// full name in one field
	rateOneField = [numChannels]int{chStore: 10, chEC: 5, chCatalog: 20, chCall: 50, chRakuten: 30, chYahoo: 20}
	// 様 appended
	rateSama = [numChannels]int{chCatalog: 10, chCall: 20, chRakuten: 10, chYahoo: 10, chAmazon: 15}

	rateEmail   = [numChannels]int{chStore: 350, chEC: 1000, chApp: 850, chCatalog: 250, chDept: 300, chCall: 200, chRakuten: 1000, chYahoo: 1000}
	ratePhone   = [numChannels]int{chStore: 900, chEC: 950, chApp: 500, chCatalog: 950, chDept: 900, chCall: 1000, chRakuten: 1000, chYahoo: 1000, chAmazon: 1000}
	rateLandFst = [numChannels]int{chStore: 250, chCatalog: 700, chDept: 400, chCall: 500, chRakuten: 150, chYahoo: 150, chAmazon: 100}
	rateTwoPh   = [numChannels]int{chStore: 100, chEC: 50, chCatalog: 300, chDept: 200}
	rateAddress = [numChannels]int{chStore: 800, chEC: 950, chApp: 300, chCatalog: 1000, chDept: 850, chCall: 500, chRakuten: 1000, chYahoo: 1000, chAmazon: 1000}
	rateWide    = [numChannels]int{chCatalog: 250, chDept: 100, chRakuten: 50, chYahoo: 50, chAmazon: 50}

	// phone formats: plain, hyphen, space, parenthesis, +81, +81 with spaces, full-width
	phoneStyles = [numChannels][7]int{
		chStore:   {600, 400, 0, 0, 0, 0, 0},
		chEC:      {300, 700, 0, 0, 0, 0, 0},
		chApp:     {750, 50, 0, 0, 200, 0, 0},
		chCatalog: {0, 450, 100, 150, 0, 0, 250},
		chDept:    {0, 800, 200, 0, 0, 0, 0},
		chCall:    {1000, 0, 0, 0, 0, 0, 0},
		chRakuten: {400, 600, 0, 0, 0, 0, 0},
		chYahoo:   {700, 300, 0, 0, 0, 0, 0},
		chAmazon:  {500, 300, 100, 0, 0, 100, 0},
	}
	// postal code formats: 1500041, 150-0041, 〒150-0041
	postalStyles = [numChannels][3]int{
		chStore: {500, 500, 0}, chEC: {300, 700, 0}, chApp: {600, 400, 0}, chCatalog: {0, 750, 250},
		chDept: {0, 1000, 0}, chCall: {1000, 0, 0}, chRakuten: {0, 1000, 0}, chYahoo: {1000, 0, 0}, chAmazon: {0, 1000, 0},
	}
	// street formats: 1-19-11, 1丁目19-11, 1丁目19番11号, 一丁目19番11号
	streetStyles = [numChannels][4]int{
		chStore: {500, 300, 200, 0}, chEC: {600, 250, 150, 0}, chApp: {700, 200, 100, 0},
		chCatalog: {200, 300, 480, 20}, chDept: {400, 0, 580, 20}, chCall: {1000, 0, 0, 0},
		chRakuten: {650, 200, 130, 20}, chYahoo: {650, 200, 130, 20}, chAmazon: {700, 200, 100, 0},
	}
)

// names fills the name fields as the channel holds them.
func (g *generator) names(pr *customer.Profile, p *person, ch int, maiden bool) {
	fi, old := p.fam, p.famOld
	if maiden {
		fi, old = p.maiden, p.maidenOld
	}
	f, gv := &g.tab.families[fi], p.given
	famK := f.kanji
	if f.old != "" {
		if old {
			old = !g.chance(rateCommonForm[ch])
		} else {
			old = g.chance(30)
		}
		if old {
			famK = f.old
			if !maiden && p.famAlt {
				famK = g.tab.familyOld2[fi]
			}
		}
	}
	if ch == chAmazon {
		g.amazonNames(pr, p, f, famK)
		return
	}
	half := g.chance(rateHalfKana[ch])
	hira := !half && g.chance(rateHiragana[ch])
	kana := func(e *nameEntry) string {
		switch {
		case half:
			return e.half
		case hira:
			return e.hira
		}
		return e.kana
	}
	hasKanji := g.chance(rateKanji[ch])
	hasKana := g.chance(rateKana[ch]) || !hasKanji
	if g.chance(rateOneField[ch]) {
		sep := g.sep()
		if hasKanji {
			pr.FamilyName = famK + sep + gv.kanji
		}
		if hasKana {
			if half && sep == "　" {
				sep = " "
			}
			pr.FamilyNameKana = kana(f) + sep + kana(gv)
		}
	} else {
		if hasKanji {
			pr.FamilyName, pr.GivenName = famK, gv.kanji
		}
		if hasKana {
			pr.FamilyNameKana, pr.GivenNameKana = kana(f), kana(gv)
		}
	}
	g.sama(pr, ch)
}

// sep is the separator of a one-field name.
func (g *generator) sep() string {
	return [3]string{" ", "　", ""}[g.pick(45, 35, 20)]
}

func (g *generator) sama(pr *customer.Profile, ch int) {
	if !g.chance(rateSama[ch]) {
		return
	}
	switch {
	case pr.GivenName != "":
		pr.GivenName += "様"
	case pr.FamilyName != "" && pr.FamilyName[0] >= 0x80: // not romaji
		pr.FamilyName += [2]string{" 様", "様"}[g.r.IntN(2)]
	}
}

// amazonNames: Amazon has one free-text name field, often in romaji, and no
// reading.
func (g *generator) amazonNames(pr *customer.Profile, p *person, f *nameEntry, famK string) {
	gv := p.given
	roma := func(e *nameEntry, c int) string {
		switch c {
		case 1:
			return e.upper[p.style]
		case 2:
			return e.romaji[p.style]
		}
		return e.title[p.style]
	}
	switch g.pick(35, 15, 40, 10) {
	case 0: // one field, kanji
		pr.FamilyName = famK + g.sep() + gv.kanji
	case 1: // kanji, split by the integration
		pr.FamilyName, pr.GivenName = famK, gv.kanji
	case 2: // romaji only, given name first as typed
		c := g.pick(80, 15, 5)
		fr, gr := roma(f, c), roma(gv, c)
		switch g.pick(60, 20, 20) {
		case 0:
			pr.FamilyNameRomaji, pr.GivenNameRomaji = fr, gr
		case 1: // split naively: first word taken for the family name
			pr.FamilyNameRomaji, pr.GivenNameRomaji = gr, fr
		default: // the one field as is
			pr.FamilyName = gr + " " + fr
		}
	default:
		pr.FamilyName, pr.GivenName = famK, gv.kanji
		pr.FamilyNameRomaji, pr.GivenNameRomaji = roma(f, 0), roma(gv, 0)
	}
	g.sama(pr, chAmazon)
}

// contact fills e-mails, phones and the address.
func (g *generator) contact(pr *customer.Profile, p *person, ch int, moved bool) {
	if e := g.recordEmail(p, ch); e != "" {
		pr.Emails = []string{e}
	}

	if p.link || g.chance(ratePhone[ch]) {
		mob, land := p.mobile, p.land
		if moved {
			land = p.prevLand
		}
		first, second := mob, land
		if !mob.ok() || (land.ok() && !p.link && g.chance(rateLandFst[ch])) {
			first, second = land, mob
		}
		if first.ok() {
			style := g.pick(phoneStyles[ch][:]...)
			if second.ok() && g.chance(rateTwoPh[ch]) {
				pr.Phones = []string{formatPhone(first, style), formatPhone(second, style)}
			} else {
				pr.Phones = []string{formatPhone(first, style)}
			}
		}
	}

	if g.chance(rateAddress[ch]) {
		a := p.home
		if moved {
			a = p.prev
		}
		pr.Addresses = []customer.Address{g.address(a, ch)}
	}
}

func (g *generator) recordEmail(p *person, ch int) string {
	switch {
	case ch == chAmazon:
		if g.chance(900) {
			return g.maskedEmail(0)
		}
		return ""
	case ch == chRakuten && !p.link && g.chance(600):
		return g.maskedEmail(1)
	case p.nEmails == 0:
		return ""
	case !p.link && !g.chance(rateEmail[ch]):
		return ""
	}
	i := 0
	if p.nEmails == 2 {
		switch {
		case ch == chYahoo && p.yahooMail >= 0:
			i = p.yahooMail
		case ch != chApp && g.chance(300):
			i = 1
		}
	}
	e := p.emails[i]
	staff := ch == chStore || ch == chCatalog || ch == chDept || ch == chCall
	typo := 10
	if staff {
		typo = 50
	}
	if !p.link && g.chance(typo) {
		e = g.typo(e)
	}
	if !staff && g.chance(20) {
		e = capitalize(e) // the phone capitalized the first letter
	}
	if ch == chCatalog && g.chance(80) {
		e = toFullWidth(e)
	}
	return e
}

// maskedEmail returns a marketplace relay address: kind 0 Amazon, 1 Rakuten.
func (g *generator) maskedEmail(kind int) string {
	v := g.masked[kind].at(g.maskedN[kind])
	g.maskedN[kind]++
	b := make([]byte, 0, 40)
	if kind == 0 {
		for range 4 {
			b = append(b, lowerAlnum[g.r.IntN(36)])
		}
		b = appendBase(b, v, 12, lowerAlnum)
		return string(append(b, "@marketplace.amazon.co.jp"...))
	}
	b = append(b, hexDigits[g.r.IntN(16)])
	b = appendBase(b, v, 15, hexDigits)
	return string(append(b, "@pc.fw.rakuten.ne.jp"...))
}

// formatPhone writes a phone number in one of the styles of phoneStyles.
func formatPhone(p phone, style int) string {
	d := p.digits
	a, m := d[:p.area], d[p.area:len(d)-4]
	l := d[len(d)-4:]
	switch style {
	case 1:
		return a + "-" + m + "-" + l
	case 2:
		return a + " " + m + " " + l
	case 3:
		return a + "(" + m + ")" + l
	case 4:
		return "+81" + d[1:]
	case 5:
		return "+81 " + a[1:] + "-" + m + "-" + l
	case 6:
		return toFullWidth(a + "-" + m + "-" + l)
	}
	return d
}

// address writes an address as the channel holds it.
func (g *generator) address(a addr, ch int) customer.Address {
	row := &g.tab.postalRows[a.row]
	out := customer.Address{Prefecture: row.pref, City: row.city}
	wide := g.chance(rateWide[ch])

	switch g.pick(postalStyles[ch][:]...) {
	case 0:
		out.PostalCode = row.code
	case 1:
		out.PostalCode = row.code[:3] + "-" + row.code[3:]
	default:
		out.PostalCode = "〒" + row.code[:3] + "-" + row.code[3:]
	}

	var b strings.Builder
	b.Grow(64)
	b.WriteString(row.town)
	style := g.pick(streetStyles[ch][:]...)
	if a.chome > 0 {
		if style == 3 {
			b.WriteString(kanjiNumber(a.chome))
		} else {
			b.WriteString(strconv.Itoa(a.chome))
		}
		switch style {
		case 0:
			b.WriteString("-" + strconv.Itoa(a.ban) + "-" + strconv.Itoa(a.gou))
		case 1:
			b.WriteString("丁目" + strconv.Itoa(a.ban) + "-" + strconv.Itoa(a.gou))
		default:
			b.WriteString("丁目" + strconv.Itoa(a.ban) + "番" + strconv.Itoa(a.gou) + "号")
		}
	} else {
		b.WriteString(strconv.Itoa(a.ban))
		switch {
		case a.gou == 0 && style == 0:
		case a.gou == 0:
			b.WriteString("番地")
		case style == 0:
			b.WriteString("-" + strconv.Itoa(a.gou))
		case style == 2:
			b.WriteString("番地の" + strconv.Itoa(a.gou))
		default:
			b.WriteString("番地" + strconv.Itoa(a.gou))
		}
	}
	street := b.String()
	if (ch == chEC || ch >= chRakuten) && g.chance(30) {
		// typed in Japanese input mode: a long-vowel mark or minus sign for the hyphen
		street = strings.ReplaceAll(street, "-", [3]string{"ー", "−", "－"}[g.r.IntN(3)])
	}

	building := ""
	if a.building != "" {
		omit := 150
		if ch == chApp {
			omit = 300
		}
		if !g.chance(omit) {
			room := strconv.Itoa(a.room)
			switch g.pick(500, 350, 150) {
			case 1:
				room += "号室"
			case 2:
				room += "号"
			}
			building = a.building + [2]string{" ", ""}[g.pick(70, 30)] + room
		}
	}
	if building != "" && g.chance(200) {
		street += " " + building // the whole line in one field
		building = ""
	}
	if wide {
		out.PostalCode = toFullWidth(out.PostalCode)
		street = toFullWidth(street)
		building = toFullWidth(building)
	}
	out.Street, out.Building = street, building
	if (ch == chStore || ch == chCall) && g.chance(30) {
		out.Prefecture = "" // 政令市 addresses are often written without it
	}
	return out
}

// Input is the record as a channel would send it to Kizuna's ingest.
func (r Record) Input() (customer.SourceProfileInput, error) {
	raw, err := json.Marshal(r.Profile)
	if err != nil {
		return customer.SourceProfileInput{}, fmt.Errorf("demo record %s/%s: %w", r.Channel, r.ExternalID, err)
	}
	at := r.ObservedAt
	return customer.SourceProfileInput{Channel: r.Channel, ExternalID: r.ExternalID, ObservedAt: &at, Profile: raw}, nil
}
