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
		chs := s.channelMap(r.Context())
		for code, n := range st.ByChannel {
			d.Channels = append(d.Channels, channelCount{code, channelLabel(rq, chs, code), n})
		}
		sort.Slice(d.Channels, func(i, j int) bool { return d.Channels[i].Count > d.Channels[j].Count })
	}
	s.render(w, r, "dashboard", &view{Title: i18n.T(rq.Locale, "nav.dashboard"), Section: "dashboard", Data: d})
}

// chartData is what static/dashboard.js draws; labels come translated.
type chartData struct {
	Channels struct {
		Labels []string `json:"labels"`
		Counts []int    `json:"counts"`
	} `json:"channels"`
	Overlap struct {
		Labels []string `json:"labels"`
		Counts []int    `json:"counts"`
	} `json:"overlap"`
	ChannelCount struct {
		Labels []string `json:"labels"`
		Counts []int    `json:"counts"`
	} `json:"channel_count"`
	Weeks struct {
		Labels []string `json:"labels"`
		Counts []int    `json:"counts"`
	} `json:"weeks"`
	Title map[string]string `json:"titles"`
}

func (s *Server) statsJSON(w http.ResponseWriter, r *http.Request, rq *request) {
	st, err := s.statsNow(r.Context())
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	chs := s.channelMap(r.Context())
	var d chartData
	type kv struct {
		k string
		n int
	}
	var by []kv
	for c, n := range st.ByChannel {
		by = append(by, kv{c, n})
	}
	sort.Slice(by, func(i, j int) bool { return by[i].n > by[j].n })
	for _, x := range by {
		d.Channels.Labels = append(d.Channels.Labels, channelLabel(rq, chs, x.k))
		d.Channels.Counts = append(d.Channels.Counts, x.n)
	}
	for i, p := range st.Overlap {
		if i == 15 {
			break
		}
		d.Overlap.Labels = append(d.Overlap.Labels, channelLabel(rq, chs, p.A)+" × "+channelLabel(rq, chs, p.B))
		d.Overlap.Counts = append(d.Overlap.Counts, p.Count)
	}
	ks := make([]int, 0, len(st.ChannelCount))
	for k := range st.ChannelCount {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	for _, k := range ks {
		d.ChannelCount.Labels = append(d.ChannelCount.Labels, i18n.T(rq.Locale, "dashboard.n_channels", k))
		d.ChannelCount.Counts = append(d.ChannelCount.Counts, st.ChannelCount[k])
	}
	for _, wk := range st.NewByWeek {
		d.Weeks.Labels = append(d.Weeks.Labels, i18n.FormatISODate(wk.Week, rq.Locale, false))
		d.Weeks.Counts = append(d.Weeks.Counts, wk.Count)
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
