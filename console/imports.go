package console

import (
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/importer"
	"github.com/kizuna-oss/kizuna/importjob"
)

type importsData struct {
	Jobs     []importjob.Job
	Channels []channelOption
}

type importData struct {
	Job     *importjob.Job
	Columns []importColumn
	Percent int
	Active  bool // queued or running: the page refreshes itself
}

// importColumn is one column of a previewed file and the fields it can fill.
type importColumn struct {
	Index   int
	Header  string
	Field   string
	Options []string
}

func (s *Server) importsUnavailable(w http.ResponseWriter, r *http.Request, rq *request) bool {
	if s.Imports == nil || s.ImportJobs == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "imports.unavailable"))
		return true
	}
	return false
}

func (s *Server) importsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.importsUnavailable(w, r, rq) {
		return
	}
	jobs, err := s.ImportJobs.ImportJobs(r.Context(), 30)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	d := importsData{Jobs: jobs}
	chs, err := s.channelOptions(r, rq)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	for _, c := range chs {
		if c.Code != customer.ManualChannel { // staff edits, not a file's
			d.Channels = append(d.Channels, c)
		}
	}
	s.render(w, r, "imports", &view{Title: i18n.T(rq.Locale, "imports.title"), Section: "admin", Data: d})
}

func (s *Server) uploadImport(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.importsUnavailable(w, r, rq) {
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "imports.no_file"))
		return
	}
	defer f.Close()
	content, err := io.ReadAll(f)
	if err != nil {
		s.fail(w, r, rq, http.StatusRequestEntityTooLarge, i18n.T(rq.Locale, "imports.too_large", importjob.MaxUpload>>20))
		return
	}
	opts := importjob.JobOptions{Encoding: r.PostFormValue("encoding"), Sheet: r.PostFormValue("sheet")}
	j, err := s.Imports.Upload(r.Context(), rq.Actor, r.PostFormValue("channel"), hdr.Filename, content, opts)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.audit(r.Context(), rq, "import.upload", "import", j.ID, "", map[string]any{"file": j.FileName, "size": j.Size, "channel": j.Channel})
	s.redirect(w, r, "/imports/"+j.ID)
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.importsUnavailable(w, r, rq) {
		return
	}
	j, err := s.ImportJobs.ImportJob(r.Context(), r.PathValue("id"))
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	d := importData{Job: j, Active: j.Status == importjob.StatusQueued || j.Status == importjob.StatusRunning}
	if j.Plan != nil {
		for i, h := range j.Plan.Headers {
			c := importColumn{Index: i, Header: h, Options: importer.Fields}
			if i < len(j.Plan.Fields) {
				c.Field = j.Plan.Fields[i]
			}
			if c.Field != "" && !slices.Contains(importer.Fields, c.Field) {
				c.Options = append(slices.Clone(importer.Fields), c.Field) // attr.NAME
			}
			d.Columns = append(d.Columns, c)
		}
	}
	if j.Size > 0 && j.Progress.Bytes > 0 {
		d.Percent = int(j.Progress.Bytes * 100 / j.Size)
	}
	if j.Status == importjob.StatusDone {
		d.Percent = 100
	}
	s.render(w, r, "import", &view{Title: i18n.T(rq.Locale, "imports.title"), Section: "admin", Data: d})
}

// remapImport sets each column's field from the preview's selects.
func (s *Server) remapImport(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.importsUnavailable(w, r, rq) {
		return
	}
	id := r.PathValue("id")
	j, err := s.ImportJobs.ImportJob(r.Context(), id)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	opts := j.Options
	opts.Map = map[string]string{}
	if j.Plan != nil {
		for i, h := range j.Plan.Headers {
			if v, ok := r.PostForm["field_"+strconv.Itoa(i)]; ok && len(v) == 1 {
				opts.Map[h] = v[0]
			}
		}
	}
	if _, err := s.Imports.Remap(r.Context(), id, opts); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/imports/"+id)
}

func (s *Server) startImport(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.importsUnavailable(w, r, rq) {
		return
	}
	j, err := s.Imports.Queue(r.Context(), r.PathValue("id"))
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.audit(r.Context(), rq, "import.start", "import", j.ID, "", map[string]any{"file": j.FileName, "channel": j.Channel})
	s.redirect(w, r, "/imports/"+j.ID)
}

func (s *Server) importRejects(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.importsUnavailable(w, r, rq) {
		return
	}
	id := r.PathValue("id")
	b, err := s.ImportJobs.ImportRejects(r.Context(), id)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`-rejects.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
