// Package auth holds staff users, their roles, API keys and what each may do.
// Passwords are hashed with argon2id; API key secrets are random and stored
// only as SHA-256 hashes, shown once at creation.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/kizuna-oss/kizuna"
)

// Roles of staff users.
const (
	RoleAdmin      = "admin"       // everything, including users, keys and settings
	RoleMarketer   = "marketer"    // segments, campaigns, analysis; personal data masked where not needed
	RoleStoreStaff = "store_staff" // look up customers at the counter, award and redeem points
	RoleSupport    = "support"     // contact and complaint history; full contact data
	RoleAuditor    = "auditor"     // reads the audit trail; no customer changes
)

// Roles lists the valid roles.
var Roles = []string{RoleAdmin, RoleMarketer, RoleStoreStaff, RoleSupport, RoleAuditor}

// Permissions.
const (
	PermCustomerRead     = "customer.read"     // see customers (masked unless PermPersonalData)
	PermPersonalData     = "customer.pii"      // see personal data unmasked
	PermPersonalReveal   = "customer.reveal"   // unmask one field at a time, giving a reason (audited)
	PermCustomerWrite    = "customer.write"    // create and edit customers, ingest source records
	PermCustomerMerge    = "customer.merge"    // merge and unmerge
	PermCustomerErase    = "customer.erase"    // carry out deletion requests
	PermCustomerDisclose = "customer.disclose" // export everything about one customer
	PermCustomerExport   = "customer.export"   // export customer lists (masked unless PermPersonalData; audited)
	PermCatalogRead      = "catalog.read"      // see products and stock
	PermCatalogWrite     = "catalog.write"     // load and change products
	PermOrderRead        = "order.read"        // see orders
	PermOrderWrite       = "order.write"       // record orders; change status, shipments, returns, billing
	PermPointsRead       = "points.read"       // see point balances and statements
	PermPointsWrite      = "points.write"      // hold, commit and release points; adjust within the role's limit
	PermEventRead        = "event.read"        // see behaviour events
	PermEventWrite       = "event.write"       // send behaviour events, sign-ins included
	PermEventCollect     = "event.collect"     // send anonymous events from a web page (the tracking script)
	PermAuditRead        = "audit.read"        // read and verify the audit trail
	PermAdmin            = "admin"             // users, API keys, channels, settings
)

// rolePerms is the access table; docs/access.md shows it and tests walk it.
var rolePerms = map[string][]string{
	RoleAdmin:      {PermCustomerRead, PermPersonalData, PermPersonalReveal, PermCustomerWrite, PermCustomerMerge, PermCustomerErase, PermCustomerDisclose, PermCustomerExport, PermCatalogRead, PermCatalogWrite, PermOrderRead, PermOrderWrite, PermPointsRead, PermPointsWrite, PermEventRead, PermAuditRead, PermAdmin},
	RoleMarketer:   {PermCustomerRead, PermCustomerExport, PermCatalogRead, PermCatalogWrite, PermOrderRead, PermPointsRead, PermEventRead},
	RoleStoreStaff: {PermCustomerRead, PermPersonalReveal, PermCustomerWrite, PermCatalogRead, PermOrderRead, PermOrderWrite, PermPointsRead, PermPointsWrite, PermEventRead},
	RoleSupport:    {PermCustomerRead, PermPersonalData, PermPersonalReveal, PermCustomerWrite, PermCustomerMerge, PermCatalogRead, PermOrderRead, PermOrderWrite, PermPointsRead, PermPointsWrite, PermEventRead},
	RoleAuditor:    {PermCustomerRead, PermCatalogRead, PermAuditRead},
}

// RoleAllows reports whether a role has a permission.
func RoleAllows(role, perm string) bool { return slices.Contains(rolePerms[role], perm) }

// RolePermissions returns a role's permissions.
func RolePermissions(role string) []string { return slices.Clone(rolePerms[role]) }

// API key scopes.
const (
	ScopeRead  = "read"  // GET endpoints, personal data included (an integration needs it)
	ScopeWrite = "write" // ingest, create, edit
	ScopeAdmin = "admin" // merge, unmerge, erasure, disclosure, channels, audit
	// ScopeCollect is for the tracking script: its key is published in web
	// pages, so it may only send anonymous events.
	ScopeCollect = "collect"
)

// Scopes lists the valid scopes.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeAdmin, ScopeCollect}

// scopePerms maps API key scopes to the permissions they grant.
var scopePerms = map[string][]string{
	ScopeRead:    {PermCustomerRead, PermPersonalData, PermCatalogRead, PermOrderRead, PermPointsRead, PermEventRead},
	ScopeWrite:   {PermCustomerWrite, PermCatalogWrite, PermOrderWrite, PermPointsWrite, PermEventWrite},
	ScopeAdmin:   {PermCustomerMerge, PermCustomerErase, PermCustomerDisclose, PermCustomerExport, PermAuditRead, PermAdmin},
	ScopeCollect: {PermEventCollect},
}

// User is a staff member who signs in to the console.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         string    `json:"role"`
	Locale       string    `json:"locale"`
	Disabled     bool      `json:"disabled"`
	PasswordHash string    `json:"-"`
	TOTPSecret   string    `json:"-"` // base32; empty when no second factor is enrolled
	FailedLogins int       `json:"-"`
	LockedUntil  time.Time `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// APIKey is an integration's credential.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"The visible part of the key, to tell keys apart"`
	SecretHash string     `json:"-"`
	Scopes     []string   `json:"scopes"`
	Channels   []string   `json:"channels,omitempty" doc:"When set, the key may only write for these channels"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Allows reports whether the key's scopes grant a permission.
func (k *APIKey) Allows(perm string) bool {
	for _, s := range k.Scopes {
		if slices.Contains(scopePerms[s], perm) {
			return true
		}
	}
	return false
}

// Store is the persistence auth needs.
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, username string) (*User, error)
	Users(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, u *User) error
	CreateAPIKey(ctx context.Context, k *APIKey) error
	APIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, error)
	APIKeys(ctx context.Context) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error

	UserByID(ctx context.Context, id string) (*User, error)
	// RecordLogin stores the outcome of a sign-in attempt: the failure
	// counter and lockout, atomically, so parallel attempts all count.
	RecordLogin(ctx context.Context, userID string, ok bool, lockAfter int, lockFor time.Duration, now time.Time) (*User, error)

	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, tokenHash string) (*Session, error)
	UpdateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteUserSessions(ctx context.Context, userID string) error

	CreateTerminal(ctx context.Context, t *Terminal) error
	TerminalByToken(ctx context.Context, tokenHash string) (*Terminal, error)
	Terminals(ctx context.Context) ([]Terminal, error)
	RevokeTerminal(ctx context.Context, id string, at time.Time) error
}

// ValidateUsername checks a login name.
func ValidateUsername(name string) error {
	if len(name) < 2 || len(name) > 64 {
		return kizuna.FieldError("username", "must be 2 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return kizuna.FieldError("username", "may contain only a-z, 0-9, '.', '_' and '-'")
		}
	}
	return nil
}

// ValidateRole checks a role name.
func ValidateRole(role string) error {
	if !slices.Contains(Roles, role) {
		return kizuna.FieldError("role", "must be one of %s", strings.Join(Roles, ", "))
	}
	return nil
}

// MinPasswordLength follows NIST SP 800-63B's advice: length over composition rules.
const MinPasswordLength = 10

// argon2id parameters: OWASP's recommended m=19 MiB, t=2, p=1.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return "", kizuna.FieldError("password", "must be at least %d characters", MinPasswordLength)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash from HashPassword.
// The parameters are read from the hash, so they can be raised later
// without invalidating existing passwords.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewAPIKey makes a key and returns it with the full secret, which is shown
// once and never stored: "kz_<prefix>_<secret>".
func NewAPIKey(name string, scopes, channels []string, createdBy string) (*APIKey, string, error) {
	if strings.TrimSpace(name) == "" {
		return nil, "", kizuna.FieldError("name", "is required")
	}
	if len(scopes) == 0 {
		return nil, "", kizuna.FieldError("scopes", "at least one of %s", strings.Join(Scopes, ", "))
	}
	for _, s := range scopes {
		if !slices.Contains(Scopes, s) {
			return nil, "", kizuna.FieldError("scopes", "unknown scope %q; valid: %s", s, strings.Join(Scopes, ", "))
		}
	}
	pb := make([]byte, 5)
	sb := make([]byte, 24)
	if _, err := rand.Read(pb); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(sb); err != nil {
		return nil, "", err
	}
	prefix := hex.EncodeToString(pb)
	secret := base64.RawURLEncoding.EncodeToString(sb)
	k := &APIKey{ID: kizuna.NewID("key"), Name: name, Prefix: prefix, SecretHash: hashSecret(secret), Scopes: scopes, Channels: channels,
		CreatedBy: createdBy, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	return k, "kz_" + prefix + "_" + secret, nil
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ParseAPIKey splits a presented key into prefix and secret.
func ParseAPIKey(s string) (prefix, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, "kz_")
	if !found {
		return "", "", false
	}
	prefix, secret, ok = strings.Cut(rest, "_")
	return prefix, secret, ok && prefix != "" && secret != ""
}

// Authenticate checks a presented API key. Errors are EUNAUTHORIZED and say
// why (unknown, revoked) without revealing anything secret.
func Authenticate(ctx context.Context, store Store, presented string) (*APIKey, error) {
	prefix, secret, ok := ParseAPIKey(presented)
	if !ok {
		return nil, kizuna.Errorf(kizuna.EUNAUTHORIZED, "malformed API key: expected kz_<prefix>_<secret>")
	}
	k, err := store.APIKeyByPrefix(ctx, prefix)
	if kizuna.ErrorCode(err) == kizuna.ENOTFOUND {
		return nil, kizuna.Errorf(kizuna.EUNAUTHORIZED, "unknown API key")
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(k.SecretHash)) != 1 {
		return nil, kizuna.Errorf(kizuna.EUNAUTHORIZED, "unknown API key")
	}
	if k.RevokedAt != nil {
		return nil, kizuna.Errorf(kizuna.EUNAUTHORIZED, "API key %s was revoked", k.Prefix)
	}
	return k, nil
}
