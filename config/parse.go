package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	json "github.com/coreos/go-json"
)

// Parsed is a config read from JSON: the model (always of the newest spec), the version the
// document declared, and its source for positioning later diagnostics.
type Parsed struct {
	Config Config
	// Declared is the spec version the document declared.
	Declared Version
	// Source positions diagnostics in the original text.
	Source *Source
}

// Parse reads a JSON config of any supported spec version (3.0.0–3.6.0, and 2.0.0–2.3.0 which is
// translated), validates it with the rules of its own version, and returns it translated to
// the newest spec. name is the file name used in diagnostics. The report holds every
// diagnostic, positioned; Parsed is nil when the document could not be read at all, and
// callers must treat a report with errors as an invalid config.
func Parse(name string, data []byte) (*Parsed, Report) {
	p, rep := parse(data)
	rep.Locate(name, p.sourceOrNil())
	rep.Sort()
	return p, rep
}

func (p *Parsed) sourceOrNil() Locator {
	if p == nil || p.Source == nil {
		return nil
	}
	return p.Source
}

func parse(data []byte) (*Parsed, Report) {
	r := &reporter{}
	if len(data) == 0 {
		r.errorf(nil, ErrEmpty)
		return nil, r.report
	}
	if err := notJSONConfig(data); err != nil {
		r.errorf(nil, err)
		return nil, r.report
	}
	src := &Source{data: data, parsed: true}
	if err := json.Unmarshal(data, &src.root); err != nil {
		line, col := src.Position(errorOffset(data, err))
		r.report = append(r.report, Diagnostic{Severity: SeverityError, Line: line, Column: col,
			Err: fmt.Errorf("%w: %s", ErrSyntax, jsonErrorText(err))})
		return nil, r.report
	}
	if _, ok := src.root.Value.(map[string]json.Node); !ok {
		r.errorf(nil, fmt.Errorf("%w: a config is a JSON object, found %s", ErrType, jsonKind(src.root.Value)))
		return &Parsed{Source: src}, r.report
	}
	v, err := documentVersion(src.root)
	if err != nil {
		r.errorf(Path{"ignition", "version"}, err)
		return &Parsed{Source: src}, r.report
	}
	if v.Major == 2 {
		cfg, rep := parseLegacy(src, v)
		return &Parsed{Config: cfg, Declared: v, Source: src}, rep
	}
	p := &Parsed{Declared: v, Source: src}
	d := decoder{src: src, version: v, rep: r}
	d.decode(src.root, reflect.ValueOf(&p.Config).Elem(), nil)
	// Position what decoding found while the tree is there, then let the tree go before
	// validating: validation rarely has anything to say, and Locate can parse again.
	locate(r.report, "", src)
	src.drop()
	r.report = append(r.report, Validate(&p.Config, v)...)
	upTranslate(&p.Config, v)
	return p, r.report
}

// upTranslate turns a config of version v into the newest spec: fields that did not exist in
// v were never decoded, so only changed meanings need work.
func upTranslate(c *Config, v Version) {
	if v.LessThan(mustVersion("3.6.0")) {
		// Before 3.6.0 the setuid, setgid and sticky bits had no effect; they are dropped.
		for i := range c.Storage.Files {
			dropSpecialBits(c.Storage.Files[i].Mode)
		}
		for i := range c.Storage.Directories {
			dropSpecialBits(c.Storage.Directories[i].Mode)
		}
	}
	c.Ignition.Version = Newest.String()
}

func dropSpecialBits(m *int) {
	if m != nil {
		*m &^= 0o7000
	}
}

// documentVersion reads ignition.version from the parse tree.
func documentVersion(root json.Node) (Version, error) {
	ign, _ := child(root, "ignition")
	vn, ok := child(ign, "version")
	s, isString := vn.Value.(string)
	if !ok || !isString {
		return Version{}, fmt.Errorf("%w: ignition.version is missing; supported versions: %s", ErrVersionUnparsable, supportedList())
	}
	v, err := ParseVersion(s)
	if err == nil {
		return v, nil
	}
	for _, l := range SupportedLegacy {
		if l.String() == s {
			return l, nil
		}
	}
	return Version{}, err
}

// notJSONConfig recognises user data that is not a config at all, so the error can say what it is.
func notJSONConfig(data []byte) error {
	switch {
	case bytes.HasPrefix(data, []byte("#cloud-config")):
		return ErrCloudConfig
	case bytes.HasPrefix(data, []byte("#!")):
		return ErrScript
	}
	return nil
}

// errorOffset is the byte offset a JSON error is about: the offending byte of a syntax error,
// the first byte of a number that does not fit.
func errorOffset(data []byte, err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return int(se.Offset) - 1
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		off := min(int(te.Offset), len(data))
		if i := bytes.LastIndex(data[:off], []byte(strings.TrimPrefix(te.Value, "number "))); i >= 0 {
			return i
		}
		return off
	}
	return 0
}

func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Value + " is out of range"
	}
	return err.Error()
}
