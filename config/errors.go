package config

import "errors"

// Errors of parsing and decoding. Validation errors are in validate_errors.go.
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
