// Package customer holds Kizuna's customer model: channels and stores, the
// source profiles each channel sends (kept as sent, versioned), and the golden
// record built from them by survivorship rules, with the lineage of every field.
// It knows nothing of HTTP or SQL.
package customer

import (
	"encoding/json"
	"strings"
	"time"
)

// Profile is the content of a source profile: what one channel knows about
// one person. Every field is optional. The same type is the shape of the golden
// record's personal data, so lineage can name fields uniformly.
type Profile struct {
	FamilyName       string         `json:"family_name,omitempty" doc:"Family name (姓) in kanji or as the channel spells it"`
	GivenName        string         `json:"given_name,omitempty" doc:"Given name (名)"`
	FamilyNameKana   string         `json:"family_name_kana,omitempty" doc:"Family name reading (セイ), katakana"`
	GivenNameKana    string         `json:"given_name_kana,omitempty" doc:"Given name reading (メイ), katakana"`
	FamilyNameRomaji string         `json:"family_name_romaji,omitempty"`
	GivenNameRomaji  string         `json:"given_name_romaji,omitempty"`
	Emails           []string       `json:"emails,omitempty"`
	Phones           []string       `json:"phones,omitempty"`
	Addresses        []Address      `json:"addresses,omitempty"`
	BirthDate        string         `json:"birth_date,omitempty" doc:"YYYY-MM-DD"`
	Gender           string         `json:"gender,omitempty" enum:"female,male,other,unknown,"`
	MemberCards      []string       `json:"member_cards,omitempty"`
	Consents         []Consent      `json:"consents,omitempty"`
	Attributes       map[string]any `json:"attributes,omitempty" doc:"Custom attributes declared in the attribute schema"`
	Tags             []string       `json:"tags,omitempty"`
}

// FullName is the name as staff say it, family name first (山田 花子).
func (p Profile) FullName() string { return strings.TrimSpace(p.FamilyName + " " + p.GivenName) }

// FullNameKana is the reading of FullName (ヤマダ ハナコ).
func (p Profile) FullNameKana() string {
	return strings.TrimSpace(p.FamilyNameKana + " " + p.GivenNameKana)
}

// Address is a Japanese postal address.
type Address struct {
	PostalCode string `json:"postal_code,omitempty" doc:"7 digits after normalization"`
	Prefecture string `json:"prefecture,omitempty"`
	City       string `json:"city,omitempty"`
	Street     string `json:"street,omitempty"`
	Building   string `json:"building,omitempty"`
}

// Consent purposes and channels.
var (
	ConsentChannels = []string{"email", "push", "line", "sms", "direct_mail", "web", "app"}
	// "tracking" lets Kizuna tie web and app behaviour to the person
	// (asked for on "web" or "app"), when the operator requires it.
	ConsentPurposes = []string{"marketing", "transactional", "research", "tracking"}
)

// Consent records a customer's permission (or refusal) for one purpose on one
// contact channel, with where and when it was given.
type Consent struct {
	Purpose string    `json:"purpose" enum:"marketing,transactional,research,tracking"`
	Channel string    `json:"channel" enum:"email,push,line,sms,direct_mail,web,app"`
	Granted bool      `json:"granted"`
	Source  string    `json:"source,omitempty" doc:"Channel code that reported it; filled in by Kizuna"`
	At      time.Time `json:"at,omitempty" doc:"When it was given; defaults to the time received"`
}

// SourceProfileInput is one record as a channel sends it.
type SourceProfileInput struct {
	Channel    string          `json:"channel" doc:"Channel code, e.g. ec, store_shibuya, rakuten"`
	ExternalID string          `json:"external_id" doc:"The channel's own ID for this person"`
	ObservedAt *time.Time      `json:"observed_at,omitempty" doc:"When the channel last saw this data; defaults to the time received"`
	Profile    json.RawMessage `json:"profile" doc:"The record as the channel sends it"`
}

// SourceProfile is a stored source record: its current version and owner.
type SourceProfile struct {
	ID         string          `json:"id"`
	CustomerID string          `json:"customer_id"`
	Channel    string          `json:"channel"`
	ExternalID string          `json:"external_id"`
	Version    int             `json:"version"`
	Profile    Profile         `json:"profile" doc:"Normalized content of the current version"`
	Raw        json.RawMessage `json:"raw" doc:"The current version exactly as sent"`
	ObservedAt time.Time       `json:"observed_at"`
	ReceivedAt time.Time       `json:"received_at"`
	CreatedAt  time.Time       `json:"created_at"`
	Erased     bool            `json:"erased,omitempty"`
}

// SourceVersion is one historical version of a source profile.
type SourceVersion struct {
	ProfileID  string          `json:"profile_id"`
	Version    int             `json:"version"`
	Raw        json.RawMessage `json:"raw"`
	ObservedAt time.Time       `json:"observed_at"`
	ReceivedAt time.Time       `json:"received_at"`
}
