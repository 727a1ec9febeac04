package pxe

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pin/tftp/v3"
)

// IPXEBinaries are the file names served from the iPXE directory: the BIOS and UEFI loaders of
// Debian's ipxe package. Only these names are looked up there, because the directory holds
// symbolic links out of itself (ipxe.efi -> /boot/ipxe.efi) that must be followed.
var IPXEBinaries = []string{"undionly.kpxe", "undionly.kkpxe", "ipxe.pxe", "ipxe.efi", "snponly.efi", "ipxe.lkrn"}

// DefaultIPXEDir is where Debian's ipxe package installs the binaries.
const DefaultIPXEDir = "/usr/lib/ipxe"

// ErrReadOnly is the answer to a TFTP write request.
var ErrReadOnly = errors.New("read-only server: writes are refused")

// TFTP is the TFTP side of a Server: read-only, files from the data directory's tftp/,
// the iPXE binaries, and boot.ipxe.
type TFTP struct {
	srv *Server
	// HTTPAddr is the HTTP listener's address; with the address a request arrived at it
	// makes the URL boot.ipxe chains to when the server has no advertised URL.
	HTTPAddr string
	server   *tftp.Server
}

// NewTFTP returns the TFTP server of s.
func (s *Server) NewTFTP(httpAddr string) *TFTP {
	t := &TFTP{srv: s, HTTPAddr: httpAddr}
	t.server = tftp.NewServer(t.read, t.write)
	t.server.SetHook(t)
	// Clamping blksize to the interface MTU costs large transfers most of their speed
	// (pin/tftp#51); clients ask for what their link carries.
	t.server.SetBlockSizeNegotiation(false)
	t.server.SetTimeout(2 * time.Second)
	return t
}

// Serve answers requests on conn until Shutdown.
func (t *TFTP) Serve(conn net.PacketConn) error { return t.server.Serve(conn) }

// Shutdown stops the server, waiting for transfers in flight.
func (t *TFTP) Shutdown() { t.server.Shutdown() }

// tftpName cleans a requested name: clients send "pxelinux.0", "/boot.ipxe" or
// "dir\file"; all are relative to the TFTP root.
func tftpName(name string) string {
	return strings.TrimLeft(strings.ReplaceAll(name, "\\", "/"), "/")
}

func (t *TFTP) read(filename string, rf io.ReaderFrom) error {
	name := tftpName(filename)
	var remote, local net.IP
	if ot, ok := rf.(tftp.OutgoingTransfer); ok {
		addr := ot.RemoteAddr()
		remote = addr.IP
	}
	if pi, ok := rf.(tftp.RequestPacketInfo); ok {
		local = pi.LocalIP()
	}
	if name == "boot.ipxe" || name == "boot.ipxe.0" {
		base := advertisedBase(t.srv.Advertise, local, t.HTTPAddr)
		if base == "" {
			// A relative chain would resolve to tftp://, where /ipxe does not exist.
			t.srv.log().Error("tftp: boot.ipxe needs the server's URL: set --advertise", "remote", remote)
			return fmt.Errorf("%s: server URL unknown", filename)
		}
		script := BootScript(base)
		setSize(rf, int64(len(script)))
		_, err := rf.ReadFrom(strings.NewReader(script))
		return err
	}
	f, err := t.open(name)
	if err != nil {
		t.srv.log().Warn("tftp: refused", "file", filename, "remote", remote, "error", err)
		return fmt.Errorf("%s: file not found", filename)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	setSize(rf, info.Size())
	_, err = rf.ReadFrom(f)
	return err
}

// open finds a file in tftp/ (confined), else an iPXE binary by its exact name.
func (t *TFTP) open(name string) (*os.File, error) {
	f, _, err := openConfined(filepath.Join(t.srv.DataDir, TFTPDir), name)
	if err == nil {
		return f, nil
	}
	dir := t.srv.IPXEDir
	if dir == "" {
		dir = DefaultIPXEDir
	}
	for _, b := range IPXEBinaries {
		if name == b {
			bf, berr := os.Open(filepath.Join(dir, b))
			if berr == nil {
				return bf, nil
			}
			return nil, errors.Join(err, berr)
		}
	}
	return nil, err
}

// setSize tells the transfer its size, so that a tsize request (UEFI firmware asks first)
// is answered.
func setSize(rf io.ReaderFrom, n int64) {
	if ot, ok := rf.(tftp.OutgoingTransfer); ok {
		ot.SetSize(n)
	}
}

func (t *TFTP) write(filename string, wt io.WriterTo) error {
	t.srv.log().Warn("tftp: write refused", "file", filename)
	return ErrReadOnly
}

// OnSuccess logs a finished transfer (tftp.Hook).
func (t *TFTP) OnSuccess(st tftp.TransferStats) {
	t.srv.log().Info("tftp", "file", st.Filename, "remote", st.RemoteAddr, "options", st.Opts,
		"duration", st.Duration, "datagrams", st.DatagramsSent)
}

// OnFailure logs a failed transfer (tftp.Hook). UEFI firmware aborts its first request
// after reading the size, so one failure per UEFI boot is expected.
func (t *TFTP) OnFailure(st tftp.TransferStats, err error) {
	t.srv.log().Warn("tftp failed", "file", st.Filename, "remote", st.RemoteAddr, "error", err)
}
