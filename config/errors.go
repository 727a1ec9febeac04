package config

import (
	"errors"
	"fmt"
)

// Errors of parsing and decoding. Validation errors are in validate_*_errors.go and
// legacy_errors.go.
var (
	ErrInvalid            = errors.New("config is not valid")
	ErrEmpty              = errors.New("not a config (empty)")
	ErrSyntax             = errors.New("invalid JSON")
	ErrType               = errors.New("wrong type")
	ErrVersionUnparsable  = errors.New("invalid config version (couldn't parse)")
	ErrVersionUnsupported = errors.New("unsupported config version")
	ErrUnknownKey         = errors.New("unused key")
	ErrFieldTooNew        = errors.New("key from a newer spec")
	ErrCloudConfig        = errors.New("not a config (found coreos-cloudconfig)")
	ErrScript             = errors.New("not a config (found a script)")
)

// textError is a diagnostic whose text is not its sentinel's: the reference's message embeds
// values (a unit name, a field name, a limit), or is another library's error text. errors.Is
// still finds the sentinel.
type textError struct {
	sentinel error
	text     string
}

func (e *textError) Error() string { return e.text }
func (e *textError) Unwrap() error { return e.sentinel }

// textErrorf returns a textError of sentinel with the formatted text.
func textErrorf(sentinel error, format string, args ...any) error {
	return &textError{sentinel: sentinel, text: fmt.Sprintf(format, args...)}
}
