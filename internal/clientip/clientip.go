// Package clientip tells the address a request came from, for the audit
// trail and for rate limits. The API and the console must agree on it.
package clientip

import (
	"net/http"
	"strings"
)

// Of is the caller's address: the first X-Forwarded-For entry when
// trustProxy (only behind the operator's own proxy, which overwrites the
// header), else the connection's remote address without the port.
func Of(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			return strings.TrimSpace(strings.Split(f, ",")[0])
		}
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
