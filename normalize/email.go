package normalize

import "strings"

// emailDomainTypos are misspellings of the domains most Japanese customers
// use, seen in hand-typed forms (store sign-up sheets, call-center notes).
var emailDomainTypos = map[string]string{
	"gmial.com": "gmail.com", "gmai.com": "gmail.com", "gmail.co": "gmail.com", "gmaill.com": "gmail.com",
	"gamil.com": "gmail.com", "gnail.com": "gmail.com", "gmail.cm": "gmail.com", "gmail.con": "gmail.com",
	"gmail.co.jp": "gmail.com", "gmail.jp": "gmail.com", "googlemail.com": "gmail.com",
	"yahoo.co.jo": "yahoo.co.jp", "yaho.co.jp": "yahoo.co.jp", "yahooo.co.jp": "yahoo.co.jp", "yahoo.cojp": "yahoo.co.jp",
	"yahoo.co.pj": "yahoo.co.jp", "yahoo.jp": "yahoo.co.jp",
	"docomo.ne.jo": "docomo.ne.jp", "docomo.co.jp": "docomo.ne.jp", "docomo.ne.ip": "docomo.ne.jp", "docono.ne.jp": "docomo.ne.jp",
	"docomo.ne.jpp": "docomo.ne.jp", "docmo.ne.jp": "docomo.ne.jp", "docomo.nejp": "docomo.ne.jp", "docomo.jp": "docomo.ne.jp",
	"ezweb.ne.jo": "ezweb.ne.jp", "ezweb.co.jp": "ezweb.ne.jp", "ezwed.ne.jp": "ezweb.ne.jp",
	"au.con": "au.com", "au.co.jp": "au.com",
	"softbank.ne.jo": "softbank.ne.jp", "softbank.co.jp": "softbank.ne.jp", "sofbank.ne.jp": "softbank.ne.jp",
	"i.softbank.co.jp": "i.softbank.jp",
	"icloud.co":        "icloud.com", "iclod.com": "icloud.com", "icloud.con": "icloud.com",
	"hotmial.com": "hotmail.com", "hotmail.co": "hotmail.com", "hotmai.com": "hotmail.com",
	"outlook.co": "outlook.com", "outlok.com": "outlook.com",
}

// plusTagDomains deliver "name+tag@" to "name@"; elsewhere "+" may be part
// of the mailbox name and is kept.
var plusTagDomains = map[string]bool{
	"gmail.com": true, "outlook.com": true, "outlook.jp": true, "hotmail.com": true, "hotmail.co.jp": true,
	"live.jp": true, "live.com": true, "icloud.com": true, "me.com": true, "mac.com": true, "fastmail.com": true,
}

// EmailMatchKey is an address as compared when deciding whether two
// records are one person: Email's form, a misspelled common domain
// corrected (gmial.com → gmail.com, docomo.ne.jo → docomo.ne.jp), the
// plus tag dropped where the provider ignores it, and Gmail's dots
// removed. It is evidence for matching, never an identity key or an
// address to send to: "hanako+shop@gmail.com" stays the customer's address.
func EmailMatchKey(s string) (string, error) {
	e, err := Email(s)
	if err != nil {
		return "", err
	}
	local, domain, _ := strings.Cut(e, "@")
	if d, ok := emailDomainTypos[domain]; ok {
		domain = d
	}
	if plusTagDomains[domain] {
		if i := strings.IndexByte(local, '+'); i > 0 {
			local = local[:i]
		}
	}
	if domain == "gmail.com" {
		if l := strings.ReplaceAll(local, ".", ""); l != "" {
			local = l
		}
	}
	return local + "@" + domain, nil
}

// EmailDomainCorrected reports the common domain a misspelled one was
// meant to be, for showing staff ("gmial.com — did you mean gmail.com?").
func EmailDomainCorrected(domain string) (string, bool) {
	d, ok := emailDomainTypos[strings.ToLower(domain)]
	return d, ok
}
