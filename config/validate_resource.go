package config

import (
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/vincent-petithory/dataurl"
)

// First spec versions of the values (not fields) that a Resource may hold.
var (
	sha256Since = mustVersion("3.1.0")
	gsSince     = mustVersion("3.2.0")
	arnSince    = mustVersion("3.4.0")
)

// validateIgnition checks the ignition section: referenced configs, CAs, proxy, timeouts.
// The version itself is checked while parsing, before validation can start.
func validateIgnition(c *Config, v Version, r *reporter) {
	ign := &c.Ignition
	for i := range ign.Config.Merge {
		p := Path{"ignition", "config", "merge", i}
		validateRequiredSource(&ign.Config.Merge[i], p, r)
		validateResource(&ign.Config.Merge[i], p, v, r)
	}
	// replace needs no source: without one it replaces nothing.
	validateResource(&ign.Config.Replace, Path{"ignition", "config", "replace"}, v, r)
	for i := range ign.Security.TLS.CertificateAuthorities {
		p := Path{"ignition", "security", "tls", "certificateAuthorities", i}
		validateRequiredSource(&ign.Security.TLS.CertificateAuthorities[i], p, r)
		validateResource(&ign.Security.TLS.CertificateAuthorities[i], p, v, r)
	}
	validateProxyURL(ign.Proxy.HTTPProxy, Path{"ignition", "proxy", "httpProxy"}, false, r)
	validateProxyURL(ign.Proxy.HTTPSProxy, Path{"ignition", "proxy", "httpsProxy"}, true, r)
}

// validateRequiredSource reports a referenced config or CA without a source: there is nothing
// to fetch. (The reference also repeats an invalid source's URL error here; flint reports that
// once, at .source.)
func validateRequiredSource(res *Resource, p Path, r *reporter) {
	if res.Source == nil || *res.Source == "" {
		r.errorf(p, ErrSourceRequired)
	}
}

// validateProxyURL checks a proxy URL; forHTTPS marks httpsProxy, where a plaintext proxy
// would see the requests that the user meant to protect with TLS.
func validateProxyURL(s *string, p Path, forHTTPS bool, r *reporter) {
	if s == nil {
		return
	}
	u, err := url.Parse(*s)
	switch {
	case err != nil:
		r.errorf(p, ErrURLUnparsable)
	case u.Scheme != "http" && u.Scheme != "https":
		r.errorf(p, ErrProxyScheme)
	case u.Scheme == "http" && forHTTPS:
		r.warnf(p, ErrInsecureProxy)
	}
}

// validateResource checks one Resource (source URL, compression, headers, hash) found at p.
func validateResource(res *Resource, p Path, v Version, r *reporter) {
	if res.Compression != nil && *res.Compression != "" && *res.Compression != "gzip" {
		r.errorf(p.Append("compression"), ErrCompression)
	}
	if res.Verification.Hash != nil {
		hp := p.Append("verification", "hash")
		if res.Source == nil { // an empty source is data too: zero bytes with a hash to match
			r.errorf(hp, ErrHashNoSource)
		}
		if err := checkHash(*res.Verification.Hash, v); err != nil {
			r.errorf(hp, err)
		}
	}
	var u *url.URL
	if res.Source != nil && *res.Source != "" {
		var err error
		if u, err = checkSourceURL(*res.Source, v); err != nil {
			r.errorf(p.Append("source"), err)
		}
	}
	if len(res.HTTPHeaders) > 0 {
		switch {
		case u == nil:
			r.errorf(p.Append("httpHeaders"), ErrURLUnparsable)
		case u.Scheme != "http" && u.Scheme != "https":
			r.errorf(p.Append("httpHeaders"), ErrHeadersScheme)
		}
	}
	for i, h := range res.HTTPHeaders {
		if h.Name == "" {
			r.errorf(p.Append("httpHeaders", i, "name"), ErrHeaderNameEmpty)
		}
		// A header without a value is fine: on merge it deletes the parent's header.
		if h.Value != nil && *h.Value == "" {
			r.errorf(p.Append("httpHeaders", i, "value"), ErrHeaderInvalid)
		}
	}
}

// checkHash checks a "<function>-<hex digest>" hash. Like the reference it checks the digest's
// length, not its digits.
func checkHash(hash string, v Version) error {
	function, sum, ok := strings.Cut(hash, "-")
	if !ok {
		return ErrHashMalformed
	}
	var size int
	switch {
	case function == "sha512":
		size = 128
	case function == "sha256" && !v.LessThan(sha256Since):
		size = 64
	default:
		return ErrHashFunction
	}
	if len(sum) != size {
		return ErrHashSize
	}
	return nil
}

// checkSourceURL parses a resource's source s and checks it against the schemes of spec version
// v. It returns the parsed URL, nil when s does not parse, and ErrURLUnparsable or the
// scheme's error.
func checkSourceURL(s string, v Version) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, ErrURLUnparsable
	}
	return u, checkSource(s, u, v)
}

// checkSource checks a parsed source URL u (text s) against the schemes of spec version v.
func checkSource(s string, u *url.URL, v Version) error {
	switch u.Scheme {
	case "http", "https", "tftp":
		return nil
	case "gs":
		if v.LessThan(gsSince) {
			return ErrURLScheme
		}
		return nil
	case "s3":
		return checkVersionID(u)
	case "arn":
		if v.LessThan(arnSince) {
			return ErrURLScheme
		}
		return checkS3ARN(u)
	case "data":
		return checkDataURL(s)
	}
	return ErrURLScheme
}

// checkVersionID rejects a versionId query parameter without a value: it would fetch an
// unspecified version of the object.
func checkVersionID(u *url.URL) error {
	if ids, ok := u.Query()["versionId"]; ok && (len(ids) == 0 || ids[0] == "") {
		return ErrS3VersionID
	}
	return nil
}

// checkS3ARN accepts S3 object ARNs: arn:<partition>:s3:::<bucket>/<key> and
// arn:<partition>:s3:<region>:<account>:accesspoint/<name>/object/<key>.
func checkS3ARN(u *url.URL) error {
	arn := "arn:" + u.Opaque
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[2] != "s3" {
		return ErrS3ARN
	}
	// The reference counts the slashes of the whole ARN; the bucket form needs one (bucket and
	// key), the access point form two (its name, then the object).
	slashes := strings.Count(arn, "/")
	if slashes < 1 || strings.HasPrefix(parts[5], "accesspoint/") && slashes < 2 {
		return ErrS3ARN
	}
	return checkVersionID(u)
}

// checkDataURL decodes a data URL, reporting the decoder's error as the reference does. The
// decoder is slow (a goroutine and a channel per URL) and leaks its goroutine when the data
// part fails to decode, so the common shapes are recognised here first; only the others go to
// the decoder. The shapes accepted here are a subset of what it accepts (a test holds them to
// that), and their base64 errors come from the very call the decoder makes.
func checkDataURL(s string) error {
	if data, base64Data, ok := splitSimpleDataURL(s); ok {
		if base64Data {
			if !strings.ContainsFunc(data, func(r rune) bool { return !isBase64Char(r) }) {
				if _, err := base64.StdEncoding.DecodeString(data); err != nil {
					return &textError{sentinel: ErrDataURL, text: err.Error()}
				}
				return nil
			}
		} else if !strings.ContainsFunc(data, func(r rune) bool { return !isDataURLChar(r) }) && validEscapes(data) {
			return nil
		}
	}
	if _, err := dataurl.DecodeString(s); err != nil {
		return &textError{sentinel: ErrDataURL, text: err.Error()}
	}
	return nil
}

// splitSimpleDataURL recognises data:[type/subtype](;attr=value)*[;base64],data where every
// name and value is plain token characters and values carry no escapes. ok is false for any
// other shape, which the decoder then judges.
func splitSimpleDataURL(s string) (data string, base64Data, ok bool) {
	rest, found := strings.CutPrefix(s, "data:")
	if !found {
		return "", false, false
	}
	header, data, found := strings.Cut(rest, ",")
	if !found {
		return "", false, false
	}
	params := strings.Split(header, ";")
	if mt := params[0]; mt != "" {
		typ, sub, found := strings.Cut(mt, "/")
		if !found || !isToken(typ) || !isMediaType(typ) || sub != "" && !isToken(sub) {
			return "", false, false
		}
	}
	params = params[1:]
	if n := len(params); n > 0 && params[n-1] == "base64" {
		base64Data = true
		params = params[:n-1]
	}
	for _, p := range params {
		attr, val, found := strings.Cut(p, "=")
		if !found || !isToken(attr) || !isToken(val) || strings.Contains(val, "%") {
			return "", false, false
		}
	}
	return data, base64Data, true
}

// isMediaType accepts the MIME top-level types that the decoder accepts (it compares prefixes).
func isMediaType(typ string) bool {
	for _, t := range [...]string{"text", "image", "audio", "video", "application", "message", "multipart"} {
		if strings.HasPrefix(typ, t) {
			return true
		}
	}
	return false
}

// isToken reports whether s is a non-empty MIME token (RFC 2045).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

func isBase64Char(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '+' || r == '/' || r == '='
}

// isDataURLChar accepts the URL characters (RFC 2396) allowed unescaped in a data URL.
func isDataURLChar(r rune) bool {
	return r > ' ' && r < 0x7f && !strings.ContainsRune(`<>#"{}|\^[]`+"`", r)
}

// validEscapes reports whether every '%' in s starts a two-digit hex escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
