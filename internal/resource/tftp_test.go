package resource

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// tftpServer serves files from a map on a random loopback port and
// records the names asked for.
func tftpServer(t *testing.T, files map[string][]byte) (addr string, asked func() []string) {
	var mu sync.Mutex
	var names []string
	srv := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		mu.Lock()
		names = append(names, name)
		mu.Unlock()
		data, ok := files[name]
		if !ok {
			return fmt.Errorf("%s: %w", name, os.ErrNotExist)
		}
		_, err := rf.ReadFrom(bytes.NewReader(data))
		return err
	}, nil)
	srv.SetTimeout(time.Second)
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(conn)
	t.Cleanup(srv.Shutdown)
	return conn.LocalAddr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), names...)
	}
}

func TestFetchTFTP(t *testing.T) {
	big := bytes.Repeat([]byte("pxe boot config "), 1000) // many 512-byte blocks
	small := []byte(`{"ignition":{"version":"3.6.0"}}`)
	addr, asked := tftpServer(t, map[string][]byte{
		"/configs/node1.ign": small,
		"/big.ign":           big,
		"/big.ign.gz":        gzipped(t, big),
		"/empty.ign":         {},
	})
	tests := []struct {
		name string
		path string
		opts Options
		want []byte
		err  error
	}{
		{name: "small", path: "/configs/node1.ign", want: small},
		{name: "many blocks", path: "/big.ign", want: big, opts: Options{Hash: sha512Spec(big)}},
		{name: "gzip", path: "/big.ign.gz", want: big, opts: Options{Compression: "gzip", Hash: sha256Spec(big)}},
		{name: "empty file", path: "/empty.ign", want: nil},
		{name: "hash mismatch", path: "/configs/node1.ign", opts: Options{Hash: sha256Spec(big)}, err: ErrHashMismatch},
		{name: "missing file", path: "/nope.ign", err: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fastFetcher()
			f.TFTPTimeout = time.Second
			u := "tftp://" + addr + tt.path
			got, err := f.Fetch(t.Context(), u, tt.opts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch(%s) error = %v, want %v", u, err, tt.err)
			}
			if err == nil && !bytes.Equal(got, tt.want) {
				t.Errorf("Fetch(%s) = %d bytes, want %d", u, len(got), len(tt.want))
			}
		})
	}
	if got := asked(); len(got) == 0 || got[0] != "/configs/node1.ign" {
		t.Errorf("server was asked for %q, want the path with its leading slash first", got)
	}
}

func TestFetchTFTPNoServer(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	conn.Close()
	f := fastFetcher()
	f.TFTPTimeout, f.TFTPRetries = 50*time.Millisecond, 2
	if _, err := f.Fetch(t.Context(), "tftp://"+addr+"/x", Options{}); !errors.Is(err, ErrFailed) {
		t.Errorf("Fetch() with no server = %v, want %v", err, ErrFailed)
	}
}

func TestFetchTFTPBadURL(t *testing.T) {
	for _, u := range []string{"tftp:///file", "tftp://127.0.0.1"} {
		t.Run(u, func(t *testing.T) {
			if _, err := fastFetcher().Fetch(t.Context(), u, Options{}); !errors.Is(err, ErrURL) {
				t.Errorf("Fetch(%s) = %v, want %v", u, err, ErrURL)
			}
		})
	}
}
