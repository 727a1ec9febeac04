package pxe

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// startTFTP serves s over TFTP on a loopback port and returns the address.
func startTFTP(t testing.TB, s *Server) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.NewTFTP("127.0.0.1:8080")
	go srv.Serve(conn)
	t.Cleanup(srv.Shutdown)
	return conn.LocalAddr().String()
}

func tftpClient(t testing.TB, addr string, blksize int, tsize bool) *tftp.Client {
	t.Helper()
	c, err := tftp.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(2 * time.Second)
	c.SetRetries(5)
	if blksize > 0 {
		c.SetBlockSize(blksize)
	}
	c.RequestTSize(tsize)
	return c
}

// tftpGet fetches a file and the size the server announced (-1 without tsize).
func tftpGet(c *tftp.Client, name string) ([]byte, int64, error) {
	wt, err := c.Receive(name, "octet")
	if err != nil {
		return nil, 0, err
	}
	size := int64(-1)
	if it, ok := wt.(tftp.IncomingTransfer); ok {
		if n, ok := it.Size(); ok {
			size = n
		}
	}
	var buf bytes.Buffer
	_, err = wt.WriteTo(&buf)
	return buf.Bytes(), size, err
}

func TestTFTP(t *testing.T) {
	dir := testData(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320,000 bytes: several hundred blocks
	writeTree(t, dir, map[string]string{"tftp/pxelinux.0": "loader", "tftp/sub/big.bin": string(big)})
	if err := os.Symlink(filepath.Join(dir, "secret-outside"), filepath.Join(dir, "tftp", "out")); err != nil {
		t.Fatal(err)
	}
	// The iPXE directory: a binary, and one linked out of it, as Debian ships ipxe.efi.
	ipxeDir, elsewhere := t.TempDir(), t.TempDir()
	writeTree(t, ipxeDir, map[string]string{"undionly.kpxe": "bios-ipxe", "other.bin": "not a binary name"})
	writeTree(t, elsewhere, map[string]string{"ipxe.efi": "efi-ipxe"})
	if err := os.Symlink(filepath.Join(elsewhere, "ipxe.efi"), filepath.Join(ipxeDir, "ipxe.efi")); err != nil {
		t.Fatal(err)
	}
	s := &Server{Store: NewDirStore(dir), DataDir: dir, IPXEDir: ipxeDir, Advertise: "http://10.0.2.2:8080",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	addr := startTFTP(t, s)

	for _, tc := range []struct {
		name, file string
		blksize    int
		tsize      bool
		want       string // "" means the transfer must fail
	}{
		{"file", "pxelinux.0", 0, false, "loader"},
		{"leading slash is the root", "/pxelinux.0", 0, true, "loader"},
		{"large file, default blocks, tsize", "sub/big.bin", 0, true, string(big)},
		{"large file, blksize 1468", "sub/big.bin", 1468, true, string(big)},
		{"large file, blksize 8192", "sub/big.bin", 8192, false, string(big)},
		{"backslashes", `sub\big.bin`, 1468, true, string(big)},
		{"BIOS iPXE from the iPXE directory", "undionly.kpxe", 0, true, "bios-ipxe"},
		{"UEFI iPXE through a symlink out of it", "ipxe.efi", 1468, true, "efi-ipxe"},
		{"boot script", "boot.ipxe", 0, true, BootScript("http://10.0.2.2:8080")},
		{"missing", "nope", 0, true, ""},
		{"other files of the iPXE directory", "other.bin", 0, false, ""},
		{"dot-dot", "../secret-outside", 0, false, ""},
		{"dot-dot inside a path", "sub/../../secret-outside", 0, false, ""},
		{"absolute path", filepath.Join(dir, "secret-outside"), 0, false, ""},
		{"symlink out", "out", 0, false, ""},
		{"directory", "sub", 0, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, size, err := tftpGet(tftpClient(t, addr, tc.blksize, tc.tsize), tc.file)
			if tc.want == "" {
				if err == nil {
					t.Errorf("TFTP get %q = %q, want an error", tc.file, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("TFTP get %q: %v", tc.file, err)
			}
			if string(got) != tc.want {
				t.Errorf("TFTP get %q = %d bytes, want %d", tc.file, len(got), len(tc.want))
			}
			if wantSize := int64(len(tc.want)); tc.tsize && size != wantSize {
				t.Errorf("TFTP get %q tsize = %d, want %d", tc.file, size, wantSize)
			}
		})
	}
	t.Run("write refused", func(t *testing.T) {
		rf, err := tftpClient(t, addr, 0, false).Send("upload.bin", "octet")
		if err == nil {
			_, err = rf.ReadFrom(strings.NewReader("data"))
		}
		if err == nil {
			t.Errorf("TFTP put succeeded, want it refused")
		}
		if _, err := os.Stat(filepath.Join(dir, TFTPDir, "upload.bin")); err == nil {
			t.Errorf("TFTP put wrote a file")
		}
	})
	t.Run("boot.ipxe without a server URL", func(t *testing.T) {
		s2 := *s
		s2.Advertise = ""
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := s2.NewTFTP(":8080")
		go srv.Serve(conn)
		defer srv.Shutdown()
		// The request arrives at 127.0.0.1, which becomes the HTTP host when the platform
		// reports the local address; else the script is refused rather than chaining to tftp://.
		got, _, err := tftpGet(tftpClient(t, conn.LocalAddr().String(), 0, false), "boot.ipxe")
		if err == nil && string(got) != BootScript("http://127.0.0.1:8080") {
			t.Errorf("boot.ipxe = %q, want it to chain to http://127.0.0.1:8080", got)
		}
	})
}
