package identity

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/exporter"
)

// ExportRequest says what to export.
type ExportRequest struct {
	Format  exporter.Format
	Columns []string // column keys; none means exporter.DefaultColumns
	Channel string   // only customers with a record in this channel
	Tag     string   // only customers with this tag
	// Masked writes personal columns masked: the reader may see customers
	// but not their personal data.
	Masked bool
}

// Export writes active customers to w and audits who exported what: the
// columns, the filter, how many rows, the file's size and SHA-256. An
// export that fails halfway is audited too, as incomplete, with what it
// had written.
func (s *Service) Export(ctx context.Context, actor kizuna.Actor, w io.Writer, req ExportRequest) (exporter.Summary, error) {
	cols, err := exporter.Columns(req.Columns)
	if err != nil {
		return exporter.Summary{}, kizuna.FieldError("columns", "%s", err)
	}
	keys := make([]string, len(cols))
	for i, c := range cols {
		keys[i] = c.Key
	}
	ew, err := exporter.New(w, req.Format, cols, req.Masked)
	if err != nil {
		return exporter.Summary{}, kizuna.FieldError("format", "%s", err)
	}
	var werr error
	after := ""
	for werr == nil {
		page, err := s.store.ListCustomers(ctx, customer.ListFilter{Channel: req.Channel, Tag: req.Tag, Limit: 1000, After: after})
		if err != nil {
			werr = err
			break
		}
		for i := range page {
			if werr = ew.Write(&page[i]); werr != nil {
				break
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	sum, cerr := ew.Close()
	if werr == nil {
		werr = cerr
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	aerr := s.store.WithTx(ctx, func(tx customer.Tx) error {
		return tx.Audit(ctx, audit.New(actor, now, "customer.export", "export", string(req.Format), "", map[string]any{
			"format": req.Format, "columns": keys, "channel": req.Channel, "tag": req.Tag, "masked": req.Masked,
			"rows": sum.Rows, "bytes": sum.Bytes, "sha256": sum.SHA256, "complete": werr == nil}))
	})
	if werr != nil {
		return sum, fmt.Errorf("export stopped after %d rows: %w", sum.Rows, werr)
	}
	return sum, aerr
}
