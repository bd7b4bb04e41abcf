package auth

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format: %s", h)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterz") || CheckPassword("garbage", "x") {
		t.Fatal("CheckPassword accepts or rejects wrongly")
	}
	if h2, _ := HashPassword("correct horse battery"); h2 == h {
		t.Fatal("two hashes of one password must differ (salt)")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
}

func TestAPIKeyFormatAndScopes(t *testing.T) {
	k, secret, err := NewAPIKey("pos", []string{ScopeRead, ScopeWrite}, []string{"store"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	p, s, ok := ParseAPIKey(secret)
	if !ok || p != k.Prefix || hashSecret(s) != k.SecretHash || strings.Contains(k.SecretHash, s) {
		t.Fatalf("key %q does not round-trip", secret)
	}
	if !k.Allows(PermCustomerRead) || !k.Allows(PermCustomerWrite) || k.Allows(PermCustomerErase) || k.Allows(PermAdmin) {
		t.Fatal("scope permissions wrong")
	}
	if _, _, err := NewAPIKey("x", []string{"root"}, nil, ""); err == nil {
		t.Fatal("unknown scope accepted")
	}
	for _, bad := range []string{"", "kz_", "kz_abc", "xx_abc_def", "kz__def"} {
		if _, _, ok := ParseAPIKey(bad); ok {
			t.Errorf("ParseAPIKey(%q) accepted", bad)
		}
	}
}

func TestEveryRoleHasCustomerRead(t *testing.T) {
	for _, r := range Roles {
		if !RoleAllows(r, PermCustomerRead) {
			t.Errorf("role %s cannot read customers", r)
		}
	}
	if RoleAllows(RoleMarketer, PermPersonalData) || RoleAllows(RoleStoreStaff, PermCustomerErase) || !RoleAllows(RoleAdmin, PermAdmin) {
		t.Fatal("role table wrong")
	}
}
