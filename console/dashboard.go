package console

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
)

type dashboardData struct {
	Stats        *customer.Stats
	MultiChannel int
	Channels     []channelCount
}

type channelCount struct {
	Code, Name string
	Count      int
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, rq *request) {
	d := dashboardData{}
	if rq.can(auth.PermCustomerRead) {
		st, err := s.statsNow(r.Context())
		if err != nil {
			s.serverError(w, r, rq, err)
			return
		}
		d.Stats = st
		for k, n := range st.ChannelCount {
			if k >= 2 {
				d.MultiChannel += n
			}
		}
		d.Channels = byChannel(rq, s.channelMap(r.Context()), st)
	}
	s.render(w, r, "dashboard", &view{Title: i18n.T(rq.Locale, "nav.dashboard"), Section: "dashboard", Data: d})
}

// byChannel is the customers of each channel, most first, named in the
// viewer's language.
func byChannel(rq *request, chs map[string]customer.Channel, st *customer.Stats) []channelCount {
	out := make([]channelCount, 0, len(st.ByChannel))
	for code, n := range st.ByChannel {
		out = append(out, channelCount{code, channelLabel(rq, chs, code), n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Code < out[j].Code
	})
	return out
}

// series is one chart's labels and counts.
type series struct {
	Labels []string `json:"labels"`
	Counts []int    `json:"counts"`
}

func (c *series) add(label string, n int) {
	c.Labels = append(c.Labels, label)
	c.Counts = append(c.Counts, n)
}

// chartData is what static/dashboard.js draws; labels come translated.
type chartData struct {
	Channels     series            `json:"channels"`
	Overlap      series            `json:"overlap"`
	ChannelCount series            `json:"channel_count"`
	Weeks        series            `json:"weeks"`
	Title        map[string]string `json:"titles"`
}

func (s *Server) statsJSON(w http.ResponseWriter, r *http.Request, rq *request) {
	st, err := s.statsNow(r.Context())
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	chs := s.channelMap(r.Context())
	var d chartData
	for _, c := range byChannel(rq, chs, st) {
		d.Channels.add(c.Name, c.Count)
	}
	for i, p := range st.Overlap {
		if i == 15 {
			break
		}
		d.Overlap.add(channelLabel(rq, chs, p.A)+" × "+channelLabel(rq, chs, p.B), p.Count)
	}
	ks := make([]int, 0, len(st.ChannelCount))
	for k := range st.ChannelCount {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	for _, k := range ks {
		d.ChannelCount.add(i18n.T(rq.Locale, "dashboard.n_channels", k), st.ChannelCount[k])
	}
	for _, wk := range st.NewByWeek {
		d.Weeks.add(i18n.FormatISODate(wk.Week, rq.Locale, false), wk.Count)
	}
	d.Title = map[string]string{
		"channels": i18n.T(rq.Locale, "dashboard.by_channel"), "overlap": i18n.T(rq.Locale, "dashboard.overlap"),
		"channel_count": i18n.T(rq.Locale, "dashboard.channel_count"), "weeks": i18n.T(rq.Locale, "dashboard.new_by_week"),
		"customers": i18n.T(rq.Locale, "dashboard.customers"),
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(d)
}
