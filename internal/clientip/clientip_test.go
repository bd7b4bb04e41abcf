package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.1:5000", "", false, "192.0.2.1"},
		{"[2001:db8::1]:443", "", false, "2001:db8::1"},
		{"192.0.2.1:5000", "203.0.113.9, 10.0.0.1", false, "192.0.2.1"}, // untrusted header ignored
		{"192.0.2.1:5000", "203.0.113.9, 10.0.0.1", true, "203.0.113.9"},
		{"192.0.2.1:5000", "", true, "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := Of(r, tc.trust); got != tc.want {
			t.Errorf("Of(%q, xff %q, trust %v) = %q, want %q", tc.remote, tc.xff, tc.trust, got, tc.want)
		}
	}
}
