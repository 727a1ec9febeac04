package stages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A boot server (flint pxe serve) gives each machine flint.report.url; the agent posts there
// when each stage starts, succeeds or fails (with the tail of its log), and when provisioning
// is complete, so the server can show which machines provisioned and which failed. Reporting
// never fails provisioning: a server that does not answer only costs a warning.

// reportTimeout bounds each post.
const reportTimeout = 5 * time.Second

// logTailLines is how much of the log a failure report carries.
const logTailLines = 40

// statusEvent is the body of a post, as docs/pxe.md defines it.
type statusEvent struct {
	Stage   string  `json:"stage"`
	Event   string  `json:"event"`
	Message string  `json:"message,omitempty"`
	Log     string  `json:"log,omitempty"`
	Report  *Report `json:"report,omitempty"`
}

// postStatus sends one event to the report URL, if there is one.
func (e *Env) postStatus(ctx context.Context, ev statusEvent) {
	if e.ReportURL == "" {
		return
	}
	if ev.Event == "failure" && e.logTail != nil {
		ev.Log = e.logTail.String()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.ReportURL, bytes.NewReader(body))
	if err != nil {
		e.Log.Warn("cannot report status", "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.Log.Warn("cannot report status", "error", redactError(err))
		return
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.Log.Warn("the status server refused the report", "status", resp.Status)
	}
}

// redactError keeps the token in the report URL's query out of the log.
func redactError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "?token="); i >= 0 {
		if j := strings.IndexAny(s[i:], "\" "); j >= 0 {
			return s[:i] + "?token=…" + s[i+j:]
		}
		return s[:i] + "?token=…"
	}
	return s
}

// ring keeps the last lines written to it.
type ring struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func (r *ring) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
	if len(r.lines) > r.max {
		r.lines = r.lines[len(r.lines)-r.max:]
	}
}

func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// tailHandler passes records on and keeps their text in a ring for failure reports.
type tailHandler struct {
	next  slog.Handler
	ring  *ring
	attrs []slog.Attr
}

func (h tailHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h tailHandler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.ring.add(b.String())
	return h.next.Handle(ctx, r)
}

func (h tailHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return tailHandler{next: h.next.WithAttrs(attrs), ring: h.ring, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h tailHandler) WithGroup(name string) slog.Handler {
	return tailHandler{next: h.next.WithGroup(name), ring: h.ring, attrs: h.attrs}
}

// keepLogTail makes the Env's log also feed the tail that failure reports carry.
func (e *Env) keepLogTail() {
	if e.ReportURL == "" || e.logTail != nil {
		return
	}
	e.logTail = &ring{max: logTailLines}
	e.Log = slog.New(tailHandler{next: e.Log.Handler(), ring: e.logTail})
}
