package resource

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"

	"github.com/pin/tftp/v3"
)

// tftpFileNotFound is the TFTP error code 1 (RFC 1350).
const tftpFileNotFound = 1

// fetchTFTP reads tftp://host[:port]/path in octet mode. The path is sent
// with its leading slash, as the reference does. Only the TFTP client's
// own per-packet timeout and retries apply; there is no backoff loop.
func (f *Fetcher) fetchTFTP(ctx context.Context, rawURL string, s *sink) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrURL, redactErr(err))
	}
	if u.Hostname() == "" || u.Path == "" {
		return fmt.Errorf("%w: tftp URL needs a host and a path", ErrURL)
	}
	port := u.Port()
	if port == "" {
		port = "69"
	}
	c, err := tftp.NewClient(net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFailed, err)
	}
	if f.TFTPTimeout > 0 {
		c.SetTimeout(f.TFTPTimeout)
	}
	if f.TFTPRetries > 0 {
		c.SetRetries(f.TFTPRetries)
	}
	f.logger().Info(fmt.Sprintf("TFTP %s: attempt #1", Redact(rawURL)))
	wt, err := c.Receive(u.Path, "octet")
	if err != nil {
		return tftpError(Redact(rawURL), err)
	}
	// The client writes into a pipe that the sink reads; closing the read
	// side on cancellation makes the client abort the transfer.
	pr, pw := io.Pipe()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	go func() {
		_, err := wt.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	_, err = s.copyFrom(pr)
	pr.Close()
	if err != nil {
		return tftpError(Redact(rawURL), err)
	}
	return nil
}

// tftpError maps the server's "file not found" to ErrNotFound. The client
// reports error packets only as text, "code: N, message: ...".
func tftpError(where string, err error) error {
	var code int
	if _, serr := fmt.Sscanf(err.Error(), "code: %d,", &code); serr == nil && code == tftpFileNotFound {
		return fmt.Errorf("%w: TFTP %s: %w", ErrNotFound, where, err)
	}
	return fmt.Errorf("%w: TFTP %s: %w", ErrFailed, where, err)
}
