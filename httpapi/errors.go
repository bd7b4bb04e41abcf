package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
)

// statusOf is the one place a domain error code becomes an HTTP status.
func statusOf(code string) int {
	switch code {
	case kizuna.EINVALID:
		return http.StatusBadRequest
	case kizuna.ENOTFOUND:
		return http.StatusNotFound
	case kizuna.ECONFLICT:
		return http.StatusConflict
	case kizuna.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case kizuna.EFORBIDDEN:
		return http.StatusForbidden
	case kizuna.EPRECONDITION:
		return http.StatusPreconditionFailed
	case kizuna.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case kizuna.EUNSUPPORTED:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document, Kizuna's one error body.
type Problem struct {
	Type     string         `json:"type,omitempty" doc:"A URI identifying the problem type; about:blank when the status says it all"`
	Title    string         `json:"title" doc:"Short summary of the problem type"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty" doc:"What went wrong in this occurrence, in words a person can act on"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty" doc:"The individual input errors, each naming where"`
	Current  string         `json:"current_state,omitempty" doc:"For a conflict (409): the state the object is in now, e.g. an order's status"`
}

// ProblemField is one input error: where, and why.
type ProblemField struct {
	Location string `json:"location,omitempty" doc:"Where: body.profile.emails[1], query.limit, header.If-Match"`
	Message  string `json:"message"`
}

// MarshalJSON fills in type: every problem carries one (RFC 9457 §4.2.1).
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	if p.Type == "" {
		p.Type = "about:blank"
	}
	return json.Marshal(plain(p))
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send problems as application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// problemFromError converts any error returned by a handler.
func problemFromError(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	code := kizuna.ErrorCode(err)
	st := statusOf(code)
	pr := &Problem{Title: http.StatusText(st), Status: st, Detail: kizuna.ErrorMessage(err), Current: kizuna.ErrorCurrent(err)}
	if f := kizuna.ErrorField(err); f != "" {
		for _, e := range kizuna.FieldErrors(err) {
			loc := "body." + e.Field
			if strings.HasPrefix(e.Field, "query.") || strings.HasPrefix(e.Field, "path.") {
				loc = e.Field // a parameter, not a body field
			}
			pr.Errors = append(pr.Errors, ProblemField{Location: loc, Message: e.Message})
		}
		pr.Detail = f + ": " + pr.Detail
		if n := len(pr.Errors) - 1; n > 0 {
			pr.Detail += fmt.Sprintf(" (and %d more: see errors)", n)
		}
	}
	return pr
}

var installErrorsOnce sync.Once

// installHumaErrors makes huma produce Kizuna problems. huma exposes this as
// a package-level hook, so it is set once for the process; the function is
// pure and the same for every API instance.
func installHumaErrors() {
	installErrorsOnce.Do(func() {
		huma.NewError = newHumaError
		huma.NewErrorWithContext = func(_ huma.Context, status int, msg string, errs ...error) huma.StatusError {
			return newHumaError(status, msg, errs...)
		}
	})
}

func newHumaError(status int, msg string, errs ...error) huma.StatusError {
	p := &Problem{Title: http.StatusText(status), Status: status, Detail: msg}
	unknownOnly := len(errs) > 0
	for _, e := range errs {
		if e == nil {
			continue
		}
		f := ProblemField{Message: e.Error()}
		var d *huma.ErrorDetail
		if errors.As(e, &d) {
			// huma puts the whole request body in Value; a problem must not
			// echo personal data (or 10,000 records) back.
			f = ProblemField{Location: d.Location, Message: d.Message}
		}
		if !strings.HasPrefix(f.Message, "unexpected property") {
			unknownOnly = false
		}
		p.Errors = append(p.Errors, f)
	}
	// An unknown field is a malformed request (400), not a semantic one.
	if status == http.StatusUnprocessableEntity && unknownOnly {
		p.Status, p.Title = http.StatusBadRequest, http.StatusText(http.StatusBadRequest)
		var names []string
		for _, f := range p.Errors {
			names = append(names, f.Location)
		}
		p.Detail = "unknown field: " + strings.Join(names, ", ")
	} else if len(p.Errors) > 0 && (msg == "validation failed" || msg == "") {
		var parts []string
		for _, f := range p.Errors {
			parts = append(parts, strings.TrimSpace(f.Location+" "+f.Message))
		}
		p.Detail = msg + ": " + strings.Join(parts, "; ")
	}
	return p
}

// writeProblem writes a problem outside huma (middleware).
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// handlerError turns a domain error into a huma error, logging internal ones
// (their details stay in the log; the client sees a generic message).
func (s *Server) handlerError(err error) error {
	if err == nil {
		return nil
	}
	p := problemFromError(err)
	if p.Status >= 500 {
		s.log.Error("request failed", "err", err)
	}
	return p
}

// strictJSON is the API's JSON format: malformed input is reported with the
// byte offset where parsing stopped.
func strictJSON() huma.Format {
	return huma.Format{
		Marshal: func(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) },
		Unmarshal: func(data []byte, v any) error {
			err := json.Unmarshal(data, v)
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				return fmt.Errorf("malformed JSON at byte offset %d: %s", se.Offset, se.Error())
			case errors.As(err, &te):
				return fmt.Errorf("wrong JSON type at byte offset %d: field %q expects %s, got %s", te.Offset, te.Field, te.Type, te.Value)
			}
			return err
		},
	}
}
