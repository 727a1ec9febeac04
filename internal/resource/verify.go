package resource

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// verifier hashes the bytes written to it and compares the sum with the
// one a verification.hash named. A nil-hash verifier accepts anything.
type verifier struct {
	h    hash.Hash
	want []byte
	spec string
}

// ParseHash splits a "sha512-<hex>" or "sha256-<hex>" specifier into its
// function name and sum, with the config validator's errors.
func ParseHash(spec string) (function string, sum []byte, err error) {
	function, hexSum, ok := strings.Cut(spec, "-")
	if !ok {
		return "", nil, ErrHashSpec
	}
	var size int
	switch function {
	case "sha512":
		size = sha512.Size
	case "sha256":
		size = sha256.Size
	default:
		return "", nil, fmt.Errorf("%w %q", ErrHashFunction, function)
	}
	if len(hexSum) != 2*size {
		return "", nil, ErrHashSize
	}
	sum, err = hex.DecodeString(hexSum)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrHashSpec, err)
	}
	return function, sum, nil
}

func newVerifier(spec string) (*verifier, error) {
	if spec == "" {
		return &verifier{}, nil
	}
	function, sum, err := ParseHash(spec)
	if err != nil {
		return nil, err
	}
	v := &verifier{want: sum, spec: spec}
	switch function {
	case "sha512":
		v.h = sha512.New()
	case "sha256":
		v.h = sha256.New()
	}
	return v, nil
}

func (v *verifier) Write(p []byte) (int, error) {
	if v.h != nil {
		v.h.Write(p)
	}
	return len(p), nil
}

// restart forgets the bytes of a broken transfer.
func (v *verifier) restart() {
	if v.h != nil {
		v.h.Reset()
	}
}

// check compares the sum of everything written with the expected one.
func (v *verifier) check() error {
	if v.h == nil {
		return nil
	}
	got := v.h.Sum(nil)
	if !bytes.Equal(got, v.want) {
		function, _, _ := strings.Cut(v.spec, "-")
		return fmt.Errorf("%w: got %s-%s, want %s", ErrHashMismatch, function, hex.EncodeToString(got), v.spec)
	}
	return nil
}

// newGzipReader reads one gzip stream; concatenated members are read too,
// as gunzip does.
func newGzipReader(r io.Reader) (*gzip.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty gzip stream", gzip.ErrHeader)
		}
		return nil, err
	}
	return zr, nil
}

// isFormatError reports whether err says the bytes are not valid gzip,
// which fetching them again will not change.
func isFormatError(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}
