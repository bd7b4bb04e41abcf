package sqlstore

import "context"

// MigrateTo applies the migrations up to a version, so that a test can
// write data as an older schema did.
func (db *DB) MigrateTo(ctx context.Context, version int) ([]Migration, error) {
	return db.migrateTo(ctx, version)
}
