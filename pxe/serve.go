package pxe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long Run lets HTTP requests in flight finish.
const shutdownGrace = 10 * time.Second

// Run serves HTTP on httpLn and, when tftpConn is not nil, TFTP on tftpConn until ctx ends,
// then shuts both down gracefully: requests and transfers in flight finish. It returns the
// first error of either server.
func (s *Server) Run(ctx context.Context, httpLn net.Listener, tftpConn net.PacketConn) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 2)
	go func() {
		if err := hs.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	var t *TFTP
	if tftpConn != nil {
		t = s.NewTFTP(httpLn.Addr().String())
		go func() { errc <- t.Serve(tftpConn) }()
	}
	s.log().Info("serving", "http", httpLn.Addr().String(), "tftp", addrOf(tftpConn), "advertise", s.Advertise)
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if t != nil {
		t.Shutdown()
	}
	if first == nil {
		first = err
	}
	s.log().Info("stopped")
	return first
}

func addrOf(c net.PacketConn) string {
	if c == nil {
		return ""
	}
	return c.LocalAddr().String()
}

// Check loads the store's groups and profiles and reports whatever would make a machine fail
// to boot: unreadable files, duplicate ids, groups naming unknown profiles, missing config
// files. The server runs it before it listens.
func (s *Server) Check(ctx context.Context) error {
	groups, err := s.Store.Groups(ctx)
	if err != nil {
		return err
	}
	profiles, err := s.Store.Profiles(ctx)
	if err != nil {
		return err
	}
	errs := []error{checkData(groups, profiles)}
	for _, p := range profiles {
		if p.Config == "" {
			continue
		}
		if _, err := s.Store.Config(ctx, p.Config); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := s.Store.Secret(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
