package httpapi

import (
	"encoding/base64"
	"net/http"
)

// encodeCursor and decodeCursor carry the last key of a page, opaque to
// clients.
func encodeCursor(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

func decodeCursor(cursor string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "cursor is not one this API issued", Errors: []ProblemField{{Location: "query.cursor", Message: "invalid"}}}
	}
	return string(b), nil
}
