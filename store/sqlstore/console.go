package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
)

// prefixEnd is the smallest string above every string that starts with the
// prefix: the prefix followed by the largest code point's UTF-8 bytes. The
// search column compares bytes (SQLite's BINARY, PostgreSQL's "C"), so
// term >= p AND term < p+prefixEnd is exactly "starts with p", on an index.
const prefixEnd = "\U0010FFFF"

// SearchPrefix returns customers holding a search term starting with
// prefix, exact matches first.
func (db *DB) SearchPrefix(ctx context.Context, prefix string, limit int) ([]customer.SearchHit, error) {
	var out []customer.SearchHit
	seen := map[string]bool{}
	scan := func(q string, args ...any) error {
		rows, err := db.read.QueryContext(ctx, db.rebind(q), args...)
		if err != nil {
			return fmt.Errorf("search %q: %w", prefix, err)
		}
		defer rows.Close()
		for rows.Next() {
			var h customer.SearchHit
			if err := rows.Scan(&h.CustomerID, &h.Term); err != nil {
				return err
			}
			if !seen[h.CustomerID] {
				seen[h.CustomerID] = true
				out = append(out, h)
			}
		}
		return rows.Err()
	}
	if err := scan(`SELECT customer_id, term FROM customer_search WHERE term = ? LIMIT ?`, prefix, limit); err != nil {
		return nil, err
	}
	if len(out) < limit {
		if err := scan(`SELECT customer_id, term FROM customer_search WHERE term > ? AND term < ? ORDER BY term LIMIT ?`, prefix, prefix+prefixEnd, limit+len(out)); err != nil {
			return nil, err
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// CustomersByID reads several customers in the order asked; unknown IDs are
// left out.
func (db *DB) CustomersByID(ctx context.Context, ids []string) ([]customer.Customer, error) {
	found := make(map[string]*customer.Customer, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		cond, args := db.inList(chunk)
		rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+customerCols+` FROM customers WHERE id `+cond), args...)
		if err != nil {
			return nil, fmt.Errorf("read customers: %w", err)
		}
		for rows.Next() {
			c, err := scanCustomer(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			found[c.ID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]customer.Customer, 0, len(found))
	for _, id := range ids {
		if c := found[id]; c != nil {
			out = append(out, *c)
			delete(found, id)
		}
	}
	return out, nil
}

// Stats counts what the dashboard shows. The channel overlap joins the
// channel index with itself: seconds at a million customers, so callers
// cache the answer.
func (db *DB) Stats(ctx context.Context, weeks int, now time.Time) (*customer.Stats, error) {
	st := &customer.Stats{ByChannel: map[string]int{}, ChannelCount: map[int]int{}}
	type q struct {
		sql  string
		args []any
		row  func(*sql.Rows) error
	}
	since := now.AddDate(0, 0, -7*weeks)
	byDay := map[string]int{}
	qs := []q{
		{`SELECT COUNT(*) FROM customers WHERE status = 'active'`, nil, func(r *sql.Rows) error { return r.Scan(&st.Active) }},
		{`SELECT channel, COUNT(*) FROM customer_channels GROUP BY channel`, nil, func(r *sql.Rows) error {
			var ch string
			var n int
			err := r.Scan(&ch, &n)
			st.ByChannel[ch] = n
			return err
		}},
		{`SELECT n, COUNT(*) FROM (SELECT COUNT(*) AS n FROM customer_channels GROUP BY customer_id) per GROUP BY n`, nil, func(r *sql.Rows) error {
			var k, n int
			err := r.Scan(&k, &n)
			st.ChannelCount[k] = n
			return err
		}},
		{`SELECT a.channel, b.channel, COUNT(*) FROM customer_channels a JOIN customer_channels b ON b.customer_id = a.customer_id AND a.channel < b.channel GROUP BY a.channel, b.channel`, nil, func(r *sql.Rows) error {
			var p customer.ChannelPair
			err := r.Scan(&p.A, &p.B, &p.Count)
			st.Overlap = append(st.Overlap, p)
			return err
		}},
		{`SELECT created_at FROM customers WHERE status = 'active' AND created_at >= ?`, []any{since.UTC()}, func(r *sql.Rows) error {
			var t time.Time
			err := r.Scan(&t)
			byDay[t.In(tokyo).Format(time.DateOnly)]++
			return err
		}},
		{`SELECT COUNT(*) FROM duplicates WHERE status = 'open'`, nil, func(r *sql.Rows) error { return r.Scan(&st.OpenDuplicates) }},
	}
	for _, x := range qs {
		rows, err := db.read.QueryContext(ctx, db.rebind(x.sql), x.args...)
		if err != nil {
			return nil, fmt.Errorf("dashboard counts: %w", err)
		}
		for rows.Next() {
			if err := x.row(rows); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	sort.Slice(st.Overlap, func(i, j int) bool { return st.Overlap[i].Count > st.Overlap[j].Count })
	// Weeks start on Monday in Tokyo; every week is listed, empty ones too.
	monday := func(t time.Time) time.Time {
		t = t.In(tokyo)
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, tokyo)
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	}
	perWeek := map[string]int{}
	for day, n := range byDay {
		t, _ := time.ParseInLocation(time.DateOnly, day, tokyo)
		perWeek[monday(t).Format(time.DateOnly)] += n
	}
	for w := monday(since); !w.After(now); w = w.AddDate(0, 0, 7) {
		k := w.Format(time.DateOnly)
		st.NewByWeek = append(st.NewByWeek, customer.WeekCount{Week: k, Count: perWeek[k]})
	}
	return st, nil
}

// tokyo is where the dashboard's weeks begin; a fixed zone needs no tzdata.
var tokyo = time.FixedZone("Asia/Tokyo", 9*60*60)

const noteCols = `id, customer_id, author_id, author_name, body, created_at`

// Notes lists staff notes on any of the customers, newest first.
func (db *DB) Notes(ctx context.Context, ids []string) ([]customer.Note, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cond, args := db.inList(ids)
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+noteCols+` FROM customer_notes WHERE customer_id `+cond+` ORDER BY created_at DESC, id DESC`), args...)
	if err != nil {
		return nil, fmt.Errorf("read notes: %w", err)
	}
	defer rows.Close()
	var out []customer.Note
	for rows.Next() {
		var n customer.Note
		if err := rows.Scan(&n.ID, &n.CustomerID, &n.AuthorID, &n.AuthorName, &n.Body, &n.CreatedAt); err != nil {
			return nil, err
		}
		n.CreatedAt = n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

func (t *tx) InsertNote(ctx context.Context, n *customer.Note) error {
	return t.execNow(ctx, `INSERT INTO customer_notes (`+noteCols+`) VALUES (?,?,?,?,?,?)`, n.ID, n.CustomerID, n.AuthorID, n.AuthorName, n.Body, n.CreatedAt)
}

// backfillSearch fills customer_search from the golden records, inside a
// migration's transaction: for customers stored before schema 3, and again
// at schema 18, when the name keys changed.
func (db *DB) backfillSearch(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, profile FROM customers WHERE status = 'active'`)
	if err != nil {
		return fmt.Errorf("read customers for the search index: %w", err)
	}
	type row struct{ id, term string }
	var terms []row
	for rows.Next() {
		var id, prof string
		if err := rows.Scan(&id, &prof); err != nil {
			rows.Close()
			return err
		}
		var p customer.Profile
		if err := json.Unmarshal([]byte(prof), &p); err != nil {
			rows.Close()
			return fmt.Errorf("customer %s: profile: %w", id, err)
		}
		for _, t := range customer.SearchTerms(&p) {
			terms = append(terms, row{id, t})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, db.rebind(`INSERT INTO customer_search (customer_id, term) VALUES (?, ?)`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range terms {
		if _, err := stmt.ExecContext(ctx, r.id, r.term); err != nil {
			return fmt.Errorf("index customer %s: %w", r.id, err)
		}
	}
	return nil
}

// VerifyFacets checks that the facet tables (channels, tags, search terms)
// hold exactly what every customer's golden record says, and names the
// first customer where they do not. The store keeps them in step by
// writing only differences, so this is the invariant that must hold.
func (db *DB) VerifyFacets(ctx context.Context) error {
	have := map[string]*facetRows{}
	for i, ft := range facetTables {
		rows, err := db.read.QueryContext(ctx, `SELECT customer_id, `+ft.col+` FROM `+ft.table)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			if have[id] == nil {
				have[id] = &facetRows{}
			}
			have[id][i] = append(have[id][i], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+customerCols+` FROM customers`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return err
		}
		want := facetsOf(c)
		got := have[c.ID]
		delete(have, c.ID)
		if got == nil {
			got = &facetRows{}
		}
		for i, ft := range facetTables {
			a, b := slices.Clone(want[i]), slices.Clone(got[i])
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				return fmt.Errorf("customer %s (%s): %s holds %q, the golden record says %q", c.ID, c.Status, ft.table, b, a)
			}
		}
	}
	for id := range have {
		return fmt.Errorf("facet rows for customer %s, which does not exist", id)
	}
	return rows.Err()
}
