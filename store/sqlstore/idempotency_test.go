package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestIdempotencyStore(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := db.Idempotency()
		if prev, fresh, err := s.Claim(ctx, "apikey:k1", "key-1", "h1"); err != nil || !fresh || prev != nil {
			t.Fatalf("first claim: %v %v %v", prev, fresh, err)
		}
		if prev, fresh, err := s.Claim(ctx, "apikey:k1", "key-1", "h1"); err != nil || fresh || prev.Status != 0 || prev.RequestHash != "h1" {
			t.Fatalf("claim while running: %+v %v %v", prev, fresh, err)
		}
		if err := s.Complete(ctx, "apikey:k1", "key-1", 201, "application/json", []byte(`{"ok":true}`)); err != nil {
			t.Fatal(err)
		}
		prev, fresh, err := s.Claim(ctx, "apikey:k1", "key-1", "h1")
		if err != nil || fresh || prev.Status != 201 || string(prev.Body) != `{"ok":true}` || prev.ContentType != "application/json" {
			t.Fatalf("replay: %+v %v %v", prev, fresh, err)
		}
		// Keys are per owner.
		if _, fresh, _ := s.Claim(ctx, "apikey:k2", "key-1", "h9"); !fresh {
			t.Fatal("another owner's key collided")
		}
		// A released claim (server error) can be retried.
		s.Claim(ctx, "apikey:k1", "key-2", "h2")
		if err := s.Release(ctx, "apikey:k1", "key-2"); err != nil {
			t.Fatal(err)
		}
		if _, fresh, _ := s.Claim(ctx, "apikey:k1", "key-2", "h2"); !fresh {
			t.Fatal("released key not claimable again")
		}
		// Pruning forgets old keys only.
		if n, err := db.PruneIdempotencyKeys(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("prune of nothing old: %d %v", n, err)
		}
		if n, err := db.PruneIdempotencyKeys(ctx, time.Now().Add(time.Hour)); err != nil || n != 3 {
			t.Fatalf("prune of everything: %d %v", n, err)
		}
		if _, fresh, _ := s.Claim(ctx, "apikey:k1", "key-1", "h1"); !fresh {
			t.Fatal("pruned key still remembered")
		}
	})
}
