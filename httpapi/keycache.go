package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna/auth"
)

// KeyCacheTTL is how long a verified API key is trusted without asking
// the database again: a revoked key stops working within it. One check a
// second per key is nothing for the database, and a second is short enough
// for revocation.
const KeyCacheTTL = time.Second

// keyCache remembers verified API keys by their full presented value, so a
// POS terminal doing thousands of lookups costs one key check per TTL.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	key     *auth.APIKey
	expires time.Time
}

func (c *keyCache) authenticate(ctx context.Context, store auth.Store, presented string) (*auth.APIKey, error) {
	now := time.Now()
	c.mu.Lock()
	if k, ok := c.m[presented]; ok && now.Before(k.expires) {
		c.mu.Unlock()
		return k.key, nil
	}
	c.mu.Unlock()
	key, err := auth.Authenticate(ctx, store, presented)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 { // bounded: drop everything rather than grow without limit
		c.m = map[string]cachedKey{}
	}
	c.m[presented] = cachedKey{key: key, expires: now.Add(KeyCacheTTL)}
	c.mu.Unlock()
	return key, nil
}
