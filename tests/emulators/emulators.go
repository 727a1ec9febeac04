// Package emulators serves the metadata services of cloud platforms on loopback, following
// each platform's documented contract (paths, required headers, token flows, what "no user
// data" looks like), with injectable failures: a flapping server, one that never answers, a
// fixed status. Tests of the providers point a provider's endpoints at them.
package emulators

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
)

// Faults are the failures a server injects before behaving.
type Faults struct {
	// Flaps is how many requests fail before the server behaves: alternately a 503 and a
	// connection closed without an answer.
	Flaps int
	// Hang makes every request wait without an answer until the client gives up or the
	// server is closed.
	Hang bool
	// Status, when not 0, answers every request with this code.
	Status int
}

// Request is what a server recorded of one request.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	RemoteAddr   string
}

// Server is a running emulator.
type Server struct {
	*httptest.Server
	faults   Faults
	count    atomic.Int64
	mu       sync.Mutex
	requests []Request
	closing  chan struct{}
	once     sync.Once
}

// Listen starts a server for h on 127.0.0.1 with faults; tls serves HTTPS with a test
// certificate (Server.Client trusts it). The server is closed when the test ends through
// t.Cleanup by the caller.
func Listen(h http.Handler, f Faults, tls bool) *Server {
	s := &Server{faults: f, closing: make(chan struct{})}
	hs := httptest.NewUnstartedServer(s.wrap(h))
	if tls {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	s.Server = hs
	return s
}

// ListenOn starts a server for h on addr (an address inside a network namespace, say).
func ListenOn(addr string, h http.Handler, f Faults) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{faults: f, closing: make(chan struct{})}
	hs := httptest.NewUnstartedServer(s.wrap(h))
	hs.Listener.Close()
	hs.Listener = l
	hs.Start()
	s.Server = hs
	return s, nil
}

// Close stops the server, releasing hanging requests first.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.Server.Close()
}

// Requests returns the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is the number of requests received.
func (s *Server) Count() int { return int(s.count.Load()) }

func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.count.Add(1)
		body := make([]byte, 0)
		if r.Body != nil {
			buf := make([]byte, 1<<16)
			for {
				k, err := r.Body.Read(buf)
				body = append(body, buf[:k]...)
				if err != nil || len(body) > 1<<20 {
					break
				}
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, RemoteAddr: r.RemoteAddr})
		s.mu.Unlock()
		switch {
		case s.faults.Hang:
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
			return
		case n <= int64(s.faults.Flaps):
			if n%2 == 1 {
				http.Error(w, "flapping", http.StatusServiceUnavailable)
				return
			}
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "flapping", http.StatusBadGateway)
			return
		case s.faults.Status != 0:
			http.Error(w, http.StatusText(s.faults.Status), s.faults.Status)
			return
		}
		h.ServeHTTP(w, r)
	})
}
