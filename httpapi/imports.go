package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/importjob"
)

// ImportOutput is one import job.
type ImportOutput struct {
	Body *importjob.Job
}

func (s *Server) registerImports() {
	tags := []string{"Imports"}
	available := func() error {
		if s.Imports == nil || s.ImportJobs == nil {
			return kizuna.Errorf(kizuna.EUNSUPPORTED, "imports are not available on this server")
		}
		return nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "create-import", Method: http.MethodPost, Path: "/api/v1/imports", Tags: tags,
		Summary: "Upload a file to import", DefaultStatus: http.StatusCreated,
		Description: "The request body is the file itself: CSV or TSV (UTF-8, UTF-8 with BOM or Shift_JIS, detected unless encoding is given) or an " +
			"Excel workbook. The job starts as a preview: its encoding, column mapping (from Japanese or English headers; map overrides, as " +
			"COLUMN=FIELD) and sample rows, with row counts. POST /api/v1/imports/{id}/start runs it; GET /api/v1/imports/{id} follows it.",
		Metadata: perm(auth.PermAdmin), MaxBodyBytes: importjob.MaxUpload},
		func(ctx context.Context, in *struct {
			Channel  string   `query:"channel" required:"true" doc:"Channel code the records come from"`
			FileName string   `query:"file_name" doc:"Name to show for the file"`
			Encoding string   `query:"encoding" enum:"utf-8,utf-8-bom,cp932,"`
			Sheet    string   `query:"sheet" doc:"Excel: the sheet (default: the first)"`
			Map      []string `query:"map" doc:"COLUMN=FIELD overrides, repeatable"`
			RawBody  []byte   `contentType:"text/csv"`
		}) (*ImportOutput, error) {
			if err := available(); err != nil {
				return nil, s.handlerError(err)
			}
			opts := importjob.JobOptions{Encoding: in.Encoding, Sheet: in.Sheet}
			for _, m := range in.Map {
				col, field, ok := strings.Cut(m, "=")
				if !ok {
					return nil, s.handlerError(kizuna.FieldError("query.map", "want COLUMN=FIELD, got %q", m))
				}
				if opts.Map == nil {
					opts.Map = map[string]string{}
				}
				opts.Map[strings.TrimSpace(col)] = strings.TrimSpace(field)
			}
			if err := s.checkChannel(ctx, in.Channel); err != nil {
				return nil, s.handlerError(err)
			}
			name := in.FileName
			if name == "" {
				name = "upload"
			}
			j, err := s.Imports.Upload(ctx, s.actor(ctx), in.Channel, name, in.RawBody, opts)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &ImportOutput{Body: j}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "start-import", Method: http.MethodPost, Path: "/api/v1/imports/{id}/start", Tags: tags,
		Summary: "Start a previewed import", Description: "Rows go through One ID in batches in the background; a restart resumes the job where it stopped.",
		Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			ID   string    `path:"id"`
			Body *struct{} // optional, empty
		}) (*ImportOutput, error) {
			if err := available(); err != nil {
				return nil, s.handlerError(err)
			}
			j, err := s.Imports.Queue(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &ImportOutput{Body: j}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-import", Method: http.MethodGet, Path: "/api/v1/imports/{id}", Tags: tags,
		Summary: "An import's status and counts", Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*ImportOutput, error) {
			if err := available(); err != nil {
				return nil, s.handlerError(err)
			}
			j, err := s.ImportJobs.ImportJob(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &ImportOutput{Body: j}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-imports", Method: http.MethodGet, Path: "/api/v1/imports", Tags: tags,
		Summary: "Recent imports", Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			Limit int `query:"limit" default:"50" minimum:"1" maximum:"500"`
		}) (*struct{ Body []importjob.Job }, error) {
			if err := available(); err != nil {
				return nil, s.handlerError(err)
			}
			l, err := s.ImportJobs.ImportJobs(ctx, in.Limit)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body []importjob.Job }{Body: nonNil(l)}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-import-rejects", Method: http.MethodGet, Path: "/api/v1/imports/{id}/rejects", Tags: tags,
		Summary: "An import's rejected rows (CSV)", Description: "UTF-8 with BOM: line, column, reason, then the row as it was.", Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*struct {
			ContentType string `header:"Content-Type"`
			Body        []byte
		}, error) {
			if err := available(); err != nil {
				return nil, s.handlerError(err)
			}
			b, err := s.ImportJobs.ImportRejects(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &struct {
				ContentType string `header:"Content-Type"`
				Body        []byte
			}{ContentType: "text/csv; charset=utf-8", Body: b}, nil
		})
}

// checkChannel says clearly when a channel does not exist.
func (s *Server) checkChannel(ctx context.Context, code string) error {
	chs, err := s.Customers.Channels(ctx)
	if err != nil {
		return err
	}
	for _, c := range chs {
		if c.Code == code {
			return nil
		}
	}
	return kizuna.FieldError("query.channel", "no channel %q: create it first (PUT /api/v1/channels/%s)", code, code)
}
