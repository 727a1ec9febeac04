package providers

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// User data reaches the agent as the platform stores it. Operators often gzip it (EC2 allows
// 16 KB) or base64 it (some consoles do), and sometimes paste a cloud-config or a shell script
// meant for cloud-init. DecodeUserData undoes the encodings flint can recognise without a
// doubt and refuses the two cloud-init formats with a message that says what to do, instead of
// the JSON parse error the reference gives.

// Errors of DecodeUserData.
var (
	// ErrCloudConfig is user data in cloud-init's #cloud-config format.
	ErrCloudConfig = errors.New("user data is a cloud-init #cloud-config document, not an Ignition config: " +
		"write a flint or Butane YAML config, run `flint translate` on it and pass the JSON it prints as user data")
	// ErrScript is user data that is a shell script (#!).
	ErrScript = errors.New("user data is a script (#!), not an Ignition config: " +
		"put the script in a file and a systemd unit of a config and pass that config as user data")
	// ErrBase64 is a value that a platform stores as base64 but that does not decode.
	ErrBase64 = errors.New("user data is not valid base64")
	// ErrGzip is user data with the gzip magic that does not decompress.
	ErrGzip = errors.New("user data is not valid gzip")
	// ErrTooLarge is user data that decompresses beyond MaxUserData.
	ErrTooLarge = errors.New("decompressed user data is too large")
)

// MaxUserData bounds decompressed user data: no platform stores more than 64 KB, so anything
// that inflates past this is a mistake or a bomb.
const MaxUserData = 64 << 20

var gzipMagic = []byte{0x1f, 0x8b}

// DecodeUserData turns raw user data into the config bytes: gzip (by its magic) is
// decompressed, text that is entirely base64 and decodes to JSON or gzip is decoded (base64 of
// gzip gets both), and cloud-config documents and scripts are refused with ErrCloudConfig and
// ErrScript. Anything else is returned unchanged for the config parser to judge; empty stays
// empty.
func DecodeUserData(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return data, nil
	}
	if b, ok := decodeBase64Text(data); ok {
		data = b
	}
	if bytes.HasPrefix(data, gzipMagic) {
		b, err := gunzip(data)
		if err != nil {
			return nil, err
		}
		data = b
	}
	if err := refuseCloudInit(data); err != nil {
		return nil, err
	}
	return data, nil
}

// refuseCloudInit names the cloud-init formats.
func refuseCloudInit(data []byte) error {
	text := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case bytes.HasPrefix(text, []byte("#cloud-config")):
		return ErrCloudConfig
	case bytes.HasPrefix(text, []byte("#!")):
		return ErrScript
	}
	return nil
}

// decodeBase64Text decodes data when all of it (white space aside) is in a base64 alphabet and
// the result is JSON, a YAML config (variant:) or gzip; a word that merely looks like base64 is left alone.
func decodeBase64Text(data []byte) ([]byte, bool) {
	compact := make([]byte, 0, len(data))
	for _, c := range data {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '+', c == '/', c == '-', c == '_', c == '=':
			compact = append(compact, c)
		default:
			return nil, false
		}
	}
	if len(compact) == 0 {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(string(compact))
		if err != nil {
			continue
		}
		text := trimSpace(b)
		if bytes.HasPrefix(text, []byte("{")) || bytes.HasPrefix(text, []byte("variant:")) || bytes.HasPrefix(b, gzipMagic) {
			return b, true
		}
		return nil, false
	}
	return nil, false
}

// gunzip decompresses data, refusing more than MaxUserData.
func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGzip, err)
	}
	defer zr.Close()
	b, err := io.ReadAll(io.LimitReader(zr, MaxUserData+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGzip, err)
	}
	if len(b) > MaxUserData {
		return nil, ErrTooLarge
	}
	return b, nil
}

// trimSpace trims ASCII white space.
func trimSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }
