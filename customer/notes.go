package customer

import "time"

// Note is a staff member's free-text note on a customer ("prefers calls
// after 18:00", "gift wrapping every December").
type Note struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// SearchHit is one customer found by a search term.
type SearchHit struct {
	CustomerID string
	Term       string
}

// Stats is what the dashboard shows.
type Stats struct {
	Active         int            `json:"active"`
	ByChannel      map[string]int `json:"by_channel" doc:"Active customers with a record in each channel"`
	ChannelCount   map[int]int    `json:"channel_count" doc:"Active customers by how many channels they are in"`
	Overlap        []ChannelPair  `json:"overlap" doc:"Customers in both channels of each pair"`
	NewByWeek      []WeekCount    `json:"new_by_week" doc:"New customers per week (weeks start on Monday, Asia/Tokyo)"`
	OpenDuplicates int            `json:"open_duplicates"`
}

// ChannelPair counts customers shared by two channels.
type ChannelPair struct {
	A     string `json:"a"`
	B     string `json:"b"`
	Count int    `json:"count"`
}

// WeekCount is a count for the week starting on Week.
type WeekCount struct {
	Week  string `json:"week" doc:"YYYY-MM-DD of the Monday"`
	Count int    `json:"count"`
}
