package config

import (
	"net/url"
	"strings"

	"github.com/flint-provision/flint/internal/dataurl"
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

// checkDataURL checks a data URL with the reference's decoder's verdicts and error texts,
// through internal/dataurl's fast path for the common shapes (a test holds them to the decoder).
func checkDataURL(s string) error {
	if err := dataurl.Check(s); err != nil {
		return &textError{sentinel: ErrDataURL, text: err.Error()}
	}
	return nil
}
