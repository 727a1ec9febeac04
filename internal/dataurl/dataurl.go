// Package dataurl decodes RFC 2397 data URLs with exactly the verdicts and results of
// github.com/vincent-petithory/dataurl, which configs are validated against, but without its
// cost in the shapes configs use: that decoder starts a lexer goroutine per URL (about 8 µs),
// which thousands of inline files turn into a noticeable share of a run. Simple shapes —
// data:[type/subtype](;attr=value)*[;base64],data with plain tokens — are decoded here; every
// other shape goes to the library.
package dataurl

import (
	"encoding/base64"
	"strings"

	lib "github.com/vincent-petithory/dataurl"
)

// Decode returns the bytes a data URL carries, or the library's error.
func Decode(s string) ([]byte, error) {
	if data, b64, ok := simple(s); ok {
		switch {
		case b64 && all(data, isBase64Char):
			return base64.StdEncoding.DecodeString(data)
		case !b64 && all(data, isDataURLChar) && validEscapes(data):
			return unescape(data), nil
		}
	}
	du, err := lib.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return du.Data, nil
}

// Check reports what Decode would, without decoding percent-encoded data.
func Check(s string) error {
	if data, b64, ok := simple(s); ok && !b64 && all(data, isDataURLChar) && validEscapes(data) {
		return nil
	}
	_, err := Decode(s)
	return err
}

// simple recognises data:[type/subtype](;attr=value)*[;base64],data where every name and
// value is plain token characters and values carry no escapes. ok is false for any other
// shape, which the library then judges.
func simple(s string) (data string, base64Data, ok bool) {
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

// isMediaType accepts the MIME top-level types that the library accepts (it compares prefixes).
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

func all(s string, f func(rune) bool) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return !f(r) })
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
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return false
			}
			i += 2
		}
	}
	return true
}

// unescape decodes %XX escapes; validEscapes has checked them.
func unescape(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			out = append(out, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
