package config

import "errors"

// Validation errors of the ignition section, of resources and of systemd units. The texts are
// the reference validator's, so that diagnostics read the same in both tools.
var (
	ErrSourceRequired  = errors.New("source is required")
	ErrURLUnparsable   = errors.New("unable to parse url")
	ErrURLScheme       = errors.New("invalid url scheme")
	ErrProxyScheme     = errors.New("proxies must be http(s)")
	ErrInsecureProxy   = errors.New("insecure plaintext HTTP proxy specified for HTTPS resources")
	ErrCompression     = errors.New("invalid compression method")
	ErrHashNoSource    = errors.New("source must be specified if verification is specified")
	ErrS3VersionID     = errors.New("invalid S3 object VersionId")
	ErrS3ARN           = errors.New("invalid S3 ARN format")
	ErrHeadersScheme   = errors.New("cannot use HTTP headers with this source scheme")
	ErrHeaderNameEmpty = errors.New("HTTP header name can't be empty")
	ErrHeaderInvalid   = errors.New("unable to parse HTTP header")
	ErrHashMalformed   = errors.New("malformed hash specifier")
	ErrHashFunction    = errors.New("unrecognized hash function")
	ErrHashSize        = errors.New("incorrect size for hash sum")
	ErrUnitExtension   = errors.New("invalid systemd unit extension")
	ErrDropinExtension = errors.New("invalid systemd drop-in extension")
	ErrUnitContent     = errors.New("invalid unit content")

	// ErrDataURL matches a data URL that does not decode; the diagnostic's text is the
	// decoder's own, as in the reference.
	ErrDataURL = errors.New("invalid data URL")
	// ErrNoInstallSection matches the warning about an enabled unit without an [Install]
	// section; the text names the unit.
	ErrNoInstallSection = errors.New("unit is enabled, but has no install section so enable does nothing")
	// ErrTemplateNoInstall matches the warning about an enabled instance whose template in the
	// config has no [Install] section; the text names both units.
	ErrTemplateNoInstall = errors.New("template unit doesn't have Install section")
)

func noInstallSectionError(unit string) error {
	return textErrorf(ErrNoInstallSection, "unit %q is enabled, but has no install section so enable does nothing", unit)
}

func templateNoInstallError(template, instance string) error {
	return textErrorf(ErrTemplateNoInstall, "template unit %q for %q doesn't have Install section", template, instance)
}
