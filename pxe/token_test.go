package pxe

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	a := Labels{"mac": "52:54:00:00:00:01", "hostname": "a", "rack": "7"}
	b := Labels{"mac": "52:54:00:00:00:02"}
	tokA := IssueToken(secret, a, now.Add(time.Hour))
	tokB := IssueToken(secret, b, now.Add(time.Hour))

	got, err := VerifyToken(secret, tokA, now)
	if err != nil || got.Query() != a.Query() {
		t.Fatalf("VerifyToken(token of a) = %v, %v; want %v", got, err, a)
	}
	got, err = VerifyToken(secret, tokB, now)
	if err != nil || got.Query() != b.Query() {
		t.Fatalf("VerifyToken(token of b) = %v, %v; want %v", got, err, b)
	}

	payloadB, _, _ := strings.Cut(tokB, ".")
	_, macA, _ := strings.Cut(tokA, ".")
	for _, tc := range []struct{ name, token string }{
		{"empty", ""},
		{"no MAC", payloadB},
		{"b's labels with a's MAC", payloadB + "." + macA},
		{"flipped character", flip(tokA)},
		{"other secret", IssueToken([]byte("another secret, another server"), a, now.Add(time.Hour))},
		{"garbage", "!!!.???"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if l, err := VerifyToken(secret, tc.token, now); !errors.Is(err, ErrToken) {
				t.Errorf("VerifyToken(%q) = %v, %v; want %v", tc.token, l, err, ErrToken)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		if _, err := VerifyToken(secret, tokA, now.Add(2*time.Hour)); !errors.Is(err, ErrToken) {
			t.Errorf("VerifyToken(expired) error = %v, want %v", err, ErrToken)
		}
	})
}

// flip changes one character in the middle of s.
func flip(s string) string {
	b := []byte(s)
	i := len(b) / 3
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
