package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/exporter"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/identity"
)

type exportData struct {
	Columns  []exportColumn
	Channels []channelOption
	Masked   bool
}

type exportColumn struct {
	Key, Label string
	Checked    bool
	Personal   bool
}

type channelOption struct{ Code, Name string }

var jst = time.FixedZone("JST", 9*60*60)

// channelOptions are the channels for a select, named in the viewer's
// language.
func (s *Server) channelOptions(r *http.Request, rq *request) ([]channelOption, error) {
	chs, err := s.Customers.Channels(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]channelOption, 0, len(chs))
	for _, c := range chs {
		name := c.Name
		if rq.Locale == i18n.En && c.NameEn != "" {
			name = c.NameEn
		}
		out = append(out, channelOption{Code: c.Code, Name: name})
	}
	return out, nil
}

// exportPage offers the export: format, columns, filter.
func (s *Server) exportPage(w http.ResponseWriter, r *http.Request, rq *request) {
	cols, _ := exporter.Columns(exporter.ColumnKeys()[:len(exporter.ColumnKeys())-1]) // all but attr.NAME
	d := exportData{Masked: !rq.can(auth.PermPersonalData)}
	for _, c := range cols {
		d.Columns = append(d.Columns, exportColumn{Key: c.Key, Label: c.Label, Checked: slices.Contains(exporter.DefaultColumns, c.Key), Personal: c.Personal})
	}
	var err error
	if d.Channels, err = s.channelOptions(r, rq); err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	s.render(w, r, "export", &view{Title: i18n.T(rq.Locale, "export.title"), Section: "search", Data: d})
}

// export streams the file; the export is audited with its hash when done.
func (s *Server) export(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "error.generic"))
		return
	}
	f, err := exporter.ParseFormat(r.PostFormValue("format"))
	if err != nil {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "export.bad_format"))
		return
	}
	cols := r.PostForm["columns"]
	if extra := strings.TrimSpace(r.PostFormValue("attributes")); extra != "" {
		for _, a := range strings.Split(extra, ",") {
			if a = strings.TrimSpace(a); a != "" {
				cols = append(cols, "attr."+strings.TrimPrefix(a, "attr."))
			}
		}
	}
	if len(cols) == 0 {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "export.no_columns"))
		return
	}
	if _, err := exporter.Columns(cols); err != nil {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, err.Error())
		return
	}
	req := identity.ExportRequest{Format: f, Columns: cols, Channel: r.PostFormValue("channel"), Tag: strings.TrimSpace(r.PostFormValue("tag")),
		Masked: !rq.can(auth.PermPersonalData)}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="customers-`+time.Now().In(jst).Format("20060102-1504")+f.Extension()+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.Identity.Export(r.Context(), rq.Actor, w, req); err != nil {
		// The file has started; all that is left is to say so in the log.
		s.log.Error("console export failed", "user", rq.Actor.ID, "err", err)
	}
}
