package providers

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// Errors of DecodeUserData.
var (
	ErrCloudConfig = errors.New("the user data is a cloud-config, not a flint or Ignition config: translate it, or pass a config with `flint translate`")
	ErrScript      = errors.New("the user data is a shell script, not a flint or Ignition config: put the script in a file and a unit of a config")
)

// DecodeUserData undoes the encodings user data commonly arrives in (gzip, base64, base64 of
// gzip) — user data is small on most clouds (16 KiB on EC2) — and refuses what is not a
// config with a message that says what it is.
func DecodeUserData(data []byte) ([]byte, error) {
	for range 3 {
		switch {
		case len(data) == 0:
			return data, nil
		case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("gzip user data: %w", err)
			}
			if data, err = io.ReadAll(io.LimitReader(zr, 64<<20)); err != nil {
				return nil, fmt.Errorf("gzip user data: %w", err)
			}
			continue
		case bytes.HasPrefix(data, []byte("#cloud-config")):
			return nil, ErrCloudConfig
		case bytes.HasPrefix(data, []byte("#!")):
			return nil, ErrScript
		}
		if dec, ok := decodeBase64(data); ok {
			data = dec
			continue
		}
		return data, nil
	}
	return data, nil
}

// decodeBase64 decodes data when all of it is base64 (standard, padded or not) and the result
// looks like a config or gzip, so a YAML or JSON config is never mistaken for base64.
func decodeBase64(data []byte) ([]byte, bool) {
	t := bytes.TrimSpace(data)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		dec, err := enc.DecodeString(string(bytes.Join(bytes.Fields(t), nil)))
		if err != nil || len(dec) == 0 {
			continue
		}
		if dec[0] == '{' || bytes.HasPrefix(dec, []byte{0x1f, 0x8b}) || bytes.HasPrefix(bytes.TrimSpace(dec), []byte("variant:")) {
			return dec, true
		}
	}
	return nil, false
}
