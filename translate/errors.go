package translate

import "errors"

// Errors of translation. Where Butane has a message for the same problem, the text is Butane's,
// so that people searching for it find the same answers.
var (
	ErrSyntax            = errors.New("invalid YAML")
	ErrMultipleDocuments = errors.New("more than one YAML document; a config is one document")
	ErrNoVariant         = errors.New("error parsing variant; must be specified")
	ErrBadVersion        = errors.New("error parsing version; must be a valid semver")
	ErrNoTranslator      = errors.New("no translator exists for variant")
	ErrDuplicateKey      = errors.New("duplicate key")
	ErrTooManySources    = errors.New("only one of the following can be set")
	ErrNoFilesDir        = errors.New("local file paths are relative to a files directory that must be specified with -d/--files-dir")
	ErrFilesDirEscape    = errors.New("local file path traverses outside the files directory")
	ErrLocalRead         = errors.New("cannot read local file")
	ErrDecimalMode       = errors.New("unreasonable mode would be reasonable if specified in octal; remember to add a leading zero")
	ErrNotImplemented    = errors.New("not supported by flint translate yet")
	ErrClevisUnsupported = errors.New("clevis is not supported in this spec version")
	ErrAliasBudget       = errors.New("document expands too many aliases")
)
