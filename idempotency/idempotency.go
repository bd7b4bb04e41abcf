// Package idempotency defines how Kizuna remembers requests sent with an
// Idempotency-Key, so a client's retry never doubles a write.
package idempotency

import (
	"context"
	"time"
)

// Response is a stored answer to a request; Status 0 means the first
// request is still running.
type Response struct {
	RequestHash string
	Status      int
	ContentType string
	Body        []byte
}

// Retention is how long keys are remembered.
const Retention = 24 * time.Hour

// Store keeps keys and answers per owner (API key or user).
type Store interface {
	// Claim records that a request is starting. It returns the earlier
	// response and false if owner used key before.
	Claim(ctx context.Context, owner, key, requestHash string) (*Response, bool, error)
	Complete(ctx context.Context, owner, key string, status int, contentType string, body []byte) error
	// Release forgets a claim whose request failed with a server error, so a
	// retry with the same key runs again.
	Release(ctx context.Context, owner, key string) error
}
