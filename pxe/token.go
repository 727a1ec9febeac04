package pxe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A machine token names the machine it was issued to and proves that this server issued it:
// base64url(expiry "\n" labels-query) "." base64url(HMAC-SHA256(secret, that payload)[:16]).
// The server keeps no table of tokens, so replicas sharing the store's secret accept each
// other's tokens and a restart loses none; a machine that alters its labels in the token
// breaks the MAC. The labels are not secret (the machine sent them), so carrying them is
// harmless, and they keep the kernel command line well under its 2048 bytes.

// ErrToken is the error of a missing, forged, altered or expired token.
var ErrToken = errors.New("invalid machine token")

const tokenMACLen = 16

// IssueToken returns the token of a machine, valid until expires.
func IssueToken(secret []byte, l Labels, expires time.Time) string {
	payload := strconv.FormatInt(expires.Unix(), 10) + "\n" + l.Query()
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(tokenMAC(secret, payload))
}

func tokenMAC(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(payload))
	return h.Sum(nil)[:tokenMACLen]
}

// VerifyToken returns the labels a token was issued for, if this secret issued it and it has
// not expired at now.
func VerifyToken(secret []byte, token string, now time.Time) (Labels, error) {
	enc := base64.RawURLEncoding
	p, m, ok := strings.Cut(token, ".")
	if !ok {
		return nil, fmt.Errorf("%w: malformed", ErrToken)
	}
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: malformed", ErrToken)
	}
	if !hmac.Equal(mac, tokenMAC(secret, string(payload))) {
		return nil, fmt.Errorf("%w: not issued by this server", ErrToken)
	}
	exp, query, ok := strings.Cut(string(payload), "\n")
	if !ok {
		return nil, fmt.Errorf("%w: malformed", ErrToken)
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrToken)
	}
	if now.After(time.Unix(unix, 0)) {
		return nil, fmt.Errorf("%w: expired at %s", ErrToken, time.Unix(unix, 0).UTC().Format(time.RFC3339))
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrToken)
	}
	return LabelsFromQuery(q)
}
