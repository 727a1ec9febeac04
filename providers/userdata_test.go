package providers

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"testing"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDecodeUserData(t *testing.T) {
	cfg := []byte(`{"ignition":{"version":"3.6.0"}}`)
	yml := []byte("variant: flint\nversion: 1.0.0\n")
	b64 := func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }
	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
		err  error
	}{
		{"plain json", cfg, cfg, nil},
		{"plain yaml", yml, yml, nil},
		{"empty", nil, nil, nil},
		{"gzip", gz(cfg), cfg, nil},
		{"base64", b64(cfg), cfg, nil},
		{"base64 yaml", b64(yml), yml, nil},
		{"base64 with newlines", append(b64(cfg)[:10:10], append([]byte("\n"), b64(cfg)[10:]...)...), cfg, nil},
		{"base64 of gzip", b64(gz(cfg)), cfg, nil},
		{"gzip of cloud-config", gz([]byte("#cloud-config\n")), nil, ErrCloudConfig},
		{"cloud-config", []byte("#cloud-config\nusers: []\n"), nil, ErrCloudConfig},
		{"script", []byte("#!/bin/bash\necho\n"), nil, ErrScript},
		{"word that is valid base64", []byte("abcd"), []byte("abcd"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeUserData(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("DecodeUserData = %q, %v, want %v", got, err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("DecodeUserData = %q, %v, want %q", got, err, tc.want)
			}
		})
	}
}
