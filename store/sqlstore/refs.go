package sqlstore

import (
	"context"
	"fmt"

	"github.com/kizuna-oss/kizuna/customer"
)

// EachSourceRef calls fn with every source record's channel ID and the
// customer it belongs to now (for evaluating the clustering).
func (db *DB) EachSourceRef(ctx context.Context, fn func(ref customer.ExternalRef, customerID string) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT channel, external_id, customer_id FROM source_profiles WHERE NOT erased`)
	if err != nil {
		return fmt.Errorf("read source records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r customer.ExternalRef
		var id string
		if err := rows.Scan(&r.Channel, &r.ExternalID, &id); err != nil {
			return err
		}
		if err := fn(r, id); err != nil {
			return err
		}
	}
	return rows.Err()
}
