package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Severity says how bad a diagnostic is.
type Severity int

// Severities, least severe first.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	default:
		return "error"
	}
}

// MarshalText writes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Path is a JSON path into a config: object keys (string) and list indexes (int).
type Path []any

// Append returns a new path with elems appended; p itself is not changed.
func (p Path) Append(elems ...any) Path {
	out := make(Path, 0, len(p)+len(elems))
	out = append(out, p...)
	return append(out, elems...)
}

// String renders the path as $.a.b.0.c.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString("$")
	for _, e := range p {
		b.WriteByte('.')
		switch e := e.(type) {
		case int:
			b.WriteString(strconv.Itoa(e))
		default:
			fmt.Fprint(&b, e)
		}
	}
	return b.String()
}

// MarshalText writes the path in its string form.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Diagnostic is one finding about a config: where it is and what is wrong. It is a value;
// rendering happens at the edges (see the Format functions).
type Diagnostic struct {
	Severity Severity `json:"severity"`
	// File is the name of the file the config came from; empty for standard input or memory.
	File string `json:"file,omitempty"`
	// Line and Column are 1-based; 0 when the position is unknown.
	Line   int  `json:"line,omitempty"`
	Column int  `json:"column,omitempty"`
	Path   Path `json:"path"`
	// OnKey marks a diagnostic about an object key rather than its value (unknown keys).
	OnKey bool `json:"-"`
	// Err is the problem; compare it with errors.Is against the sentinel errors of this package.
	Err error `json:"-"`
}

// Message is the diagnostic's text.
func (d Diagnostic) Message() string {
	if d.Err == nil {
		return ""
	}
	return d.Err.Error()
}

// String renders the diagnostic as FILE:LINE:COL: severity: message [$.path].
func (d Diagnostic) String() string {
	var b strings.Builder
	file := d.File
	if file == "" {
		file = "<stdin>"
	}
	b.WriteString(file)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
	}
	fmt.Fprintf(&b, ": %s: %s", d.Severity, d.Message())
	if len(d.Path) > 0 {
		fmt.Fprintf(&b, " [%s]", d.Path)
	}
	return b.String()
}

// Report is the list of diagnostics about one config.
type Report []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (r Report) HasErrors() bool {
	for _, d := range r {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns the error-severity diagnostics.
func (r Report) Errors() Report {
	var out Report
	for _, d := range r {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// Strict returns a copy of the report in which warnings are errors.
func (r Report) Strict() Report {
	out := slices.Clone(r)
	for i := range out {
		if out[i].Severity == SeverityWarning {
			out[i].Severity = SeverityError
		}
	}
	return out
}

// Sort orders the report by position, then path; diagnostics without a position come first.
func (r Report) Sort() {
	slices.SortStableFunc(r, func(a, b Diagnostic) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
}

// Err returns an error that wraps every error diagnostic, or nil when there is none.
func (r Report) Err() error {
	errs := r.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &ReportError{Report: errs}
}

// ReportError is an error made of the error diagnostics of a report.
type ReportError struct {
	Report Report
}

func (e *ReportError) Error() string {
	lines := make([]string, len(e.Report))
	for i, d := range e.Report {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is find the sentinel errors of the diagnostics.
func (e *ReportError) Unwrap() []error {
	out := make([]error, 0, len(e.Report)+1)
	out = append(out, ErrInvalid)
	for _, d := range e.Report {
		if d.Err != nil {
			out = append(out, d.Err)
		}
	}
	return out
}

// reporter collects diagnostics while a config is decoded or validated.
type reporter struct {
	report Report
}

func (r *reporter) add(sev Severity, p Path, err error) {
	r.report = append(r.report, Diagnostic{Severity: sev, Path: p, Err: err})
}

func (r *reporter) errorf(p Path, err error) { r.add(SeverityError, p, err) }
func (r *reporter) warnf(p Path, err error)  { r.add(SeverityWarning, p, err) }
