package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// Commits no longer checkpoint (the writer would only past 50,000 WAL
// pages): the background checkpointer must copy the WAL into the database
// file on its own, or the file would never grow and the WAL never shrink.
func TestBackgroundCheckpointCopiesTheWAL(t *testing.T) {
	path := sqltest.DSN(t, sqlstore.SQLite)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond) // the migration's pages are copied
	before := fileSize(t, path)
	// About 4 MB of settings, far below the writer's own checkpoint mark.
	big := strings.Repeat("絆", 1400)
	for i := range 1000 {
		if err := db.SetSetting(ctx, fmt.Sprintf("bulk-%04d", i), big); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, path) < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes (was %d): nothing checkpointed the WAL", fileSize(t, path), before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
