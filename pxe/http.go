package pxe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flint-provision/flint/internal/cpio"
)

// EmbeddedConfigName is the config's path inside the config initrd: /config.ign, where
// coreos-installer puts it and the flint agent (and Ignition-based initramfs images) look.
const EmbeddedConfigName = "config.ign"

// DefaultTokenTTL is how long a machine token stays valid: long enough for a slow first boot,
// short enough that a command line copied from a console does not open a config for good.
const DefaultTokenTTL = 24 * time.Hour

// maxStatusBody bounds a posted status report.
const maxStatusBody = 1 << 20

// Server answers machines over HTTP and TFTP. Its fields are read-only once it serves.
type Server struct {
	Store Store
	// DataDir holds assets/ (HTTP /assets/) and tftp/ (the TFTP root).
	DataDir string
	// IPXEDir holds the iPXE binaries served over TFTP (Debian's ipxe package: /usr/lib/ipxe).
	IPXEDir string
	// Advertise is the server's URL as machines reach it (http://10.0.0.1:8080); empty means
	// the Host of each HTTP request (and, over TFTP, the address the request came to).
	Advertise string
	// TokenTTL is how long machine tokens stay valid (DefaultTokenTTL when zero).
	TokenTTL time.Duration
	Log      *slog.Logger
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Server) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

// Handler returns the HTTP side of the server.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveStatusPage)
	mux.HandleFunc("GET /boot.ipxe", s.serveBootScript)
	mux.HandleFunc("GET /boot.ipxe.0", s.serveBootScript) // dnsmasq appends .0
	mux.HandleFunc("GET /ipxe", s.serveMachineScript)
	mux.HandleFunc("GET /config", s.serveConfig)
	mux.HandleFunc("GET /initrd/{token}/config.img", s.serveConfigInitrd)
	mux.HandleFunc("GET /assets/", s.serveAsset)
	mux.HandleFunc("POST /status", s.serveStatusPost)
	mux.HandleFunc("GET /status.json", s.serveStatusList)
	return s.logRequests(mux)
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// logRequests logs every request without its query, which carries the machine's token.
func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		path := r.URL.Path
		if strings.HasPrefix(path, "/initrd/") {
			path = "/initrd/…/config.img"
		}
		s.log().Info("http", "method", r.Method, "path", path, "status", sw.code,
			"remote", r.RemoteAddr, "duration", time.Since(start))
	})
}

// baseURL is the server's URL as the machine reached it.
func (s *Server) baseURL(r *http.Request) string {
	if s.Advertise != "" {
		return strings.TrimSuffix(s.Advertise, "/")
	}
	return "http://" + r.Host
}

// httpError answers with a plain-text error and logs it.
func (s *Server) httpError(w http.ResponseWriter, r *http.Request, code int, err error) {
	level := slog.LevelWarn
	if code >= 500 {
		level = slog.LevelError
	}
	s.log().Log(r.Context(), level, "request failed", "path", r.URL.Path, "status", code, "error", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, err)
}

func (s *Server) serveBootScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, BootScript(s.baseURL(r)))
}

// machine is a resolved machine: its labels, group and profile.
type machine struct {
	labels  Labels
	group   *Group
	profile *Profile
}

// resolve selects the group and profile of a machine; the HTTP status says who is at fault.
func (s *Server) resolve(ctx context.Context, l Labels) (*machine, int, error) {
	groups, err := s.Store.Groups(ctx)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	g, err := SelectGroup(groups, l)
	if err != nil {
		return nil, http.StatusNotFound, fmt.Errorf("%w: %s", err, l.Query())
	}
	profiles, err := s.Store.Profiles(ctx)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	p, err := findProfile(profiles, g.Profile)
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("group %s: %w", g.ID, err)
	}
	return &machine{labels: l, group: g, profile: p}, 0, nil
}

func (s *Server) serveMachineScript(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, err := LabelsFromQuery(r.URL.Query())
	if err != nil {
		s.httpError(w, r, http.StatusBadRequest, err)
		return
	}
	m, code, err := s.resolve(ctx, l)
	if err != nil {
		s.httpError(w, r, code, err)
		return
	}
	secret, err := s.Store.Secret(ctx)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	token := IssueToken(secret, l, s.now().Add(s.tokenTTL()))
	base := s.baseURL(r)
	var configURL, configImage string
	if m.profile.Config != "" {
		if m.profile.ConfigDelivery == DeliveryInitrd {
			configImage = base + "/initrd/" + token + "/config.img"
		} else {
			configURL = base + "/config?token=" + token
		}
	}
	script, err := MachineScript(m.profile, configURL, configImage, base+"/status?token="+token)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, fmt.Errorf("profile %s: %w", m.profile.ID, err))
		return
	}
	id := MachineID(l)
	now := s.now()
	err = s.Store.RecordStatus(ctx, id, func(st *MachineStatus) error {
		st.recordBoot(now, l, m.group.ID, m.profile.ID)
		return nil
	})
	if err != nil { // the machine boots anyway; only the page misses this boot
		s.log().Error("recording boot", "machine", id, "error", err)
	}
	s.log().Info("boot", "machine", id, "labels", l.Query(), "group", m.group.ID, "profile", m.profile.ID)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, script)
}

// machineFromToken verifies a request's token and resolves its machine.
func (s *Server) machineFromToken(ctx context.Context, token string) (*machine, int, error) {
	secret, err := s.Store.Secret(ctx)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	l, err := VerifyToken(secret, token, s.now())
	if err != nil {
		return nil, http.StatusForbidden, err
	}
	return s.resolve(ctx, l)
}

// renderFor renders the config of a machine's profile.
func (s *Server) renderFor(ctx context.Context, m *machine, base, token string) ([]byte, int, error) {
	if m.profile.Config == "" {
		return nil, http.StatusNotFound, fmt.Errorf("profile %s has no config", m.profile.ID)
	}
	text, err := s.Store.Config(ctx, m.profile.Config)
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("profile %s: config %s: %w", m.profile.ID, m.profile.Config, err)
	}
	data := &TemplateData{
		Labels:    m.labels,
		Metadata:  m.group.Metadata,
		MachineID: MachineID(m.labels),
		Group:     m.group.ID,
		Profile:   m.profile.ID,
		Server:    base,
		StatusURL: base + "/status?token=" + url.QueryEscape(token),
	}
	if data.Metadata == nil {
		data.Metadata = map[string]any{}
	}
	var filesDir string
	if fd, ok := s.Store.(ConfigFilesDir); ok {
		filesDir = fd.ConfigFilesDir()
	}
	out, rep, err := RenderConfig(m.profile.Config, text, data, filesDir)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	for _, d := range rep {
		s.log().Warn("config", "machine", data.MachineID, "diagnostic", d.String())
	}
	return out, 0, nil
}

func (s *Server) serveConfig(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	m, code, err := s.machineFromToken(r.Context(), token)
	if err != nil {
		s.httpError(w, r, code, err)
		return
	}
	out, code, err := s.renderFor(r.Context(), m, s.baseURL(r), token)
	if err != nil {
		s.configFailed(r.Context(), m, code, err)
		s.httpError(w, r, code, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Write(out)
}

func (s *Server) serveConfigInitrd(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	m, code, err := s.machineFromToken(r.Context(), token)
	if err != nil {
		s.httpError(w, r, code, err)
		return
	}
	out, code, err := s.renderFor(r.Context(), m, s.baseURL(r), token)
	if err != nil {
		s.configFailed(r.Context(), m, code, err)
		s.httpError(w, r, code, err)
		return
	}
	var img bytes.Buffer
	if err := cpio.WriteXZ(&img, []cpio.Entry{{Name: EmbeddedConfigName, Mode: 0o600, Data: out}}); err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	// iPXE is much slower on a download of unknown size.
	w.Header().Set("Content-Length", strconv.Itoa(img.Len()))
	w.Write(img.Bytes())
}

// serveAsset serves a file of assets/. os.Root confines the name: "..", absolute paths and
// symbolic links that lead out of the directory fail to open. Directories are not listed.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/assets/")
	f, info, err := openConfined(filepath.Join(s.DataDir, AssetsDir), name)
	if err != nil {
		s.httpError(w, r, http.StatusNotFound, fmt.Errorf("asset %q: not found", name))
		s.log().Debug("asset", "name", name, "error", err)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, name, info.ModTime(), f)
}

// errNotRegular is the error of a name that is a directory or a device.
var errNotRegular = errors.New("not a regular file")

// openConfined opens a regular file under dir; name may not lead out of dir, by "..", by an
// absolute path, or by a symbolic link.
func openConfined(dir, name string) (*os.File, fs.FileInfo, error) {
	name = strings.TrimLeft(name, "/")
	if name == "" {
		return nil, nil, errNotRegular
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, errNotRegular
	}
	return f, info, nil
}

// configFailed records, as the machine's failure, that the server could not give it its
// config (a template or validation error): the machine itself only sees errors and retries,
// so without this the status page would show it provisioning forever.
func (s *Server) configFailed(ctx context.Context, m *machine, code int, err error) {
	if code < http.StatusInternalServerError {
		return
	}
	rep := StatusReport{Stage: "config", Event: EventFailure, Message: "the server cannot serve the config: " + err.Error()}
	recErr := s.Store.RecordStatus(ctx, MachineID(m.labels), func(st *MachineStatus) error {
		if st.Labels == nil {
			st.Labels = m.labels
		}
		st.apply(s.now(), &rep)
		return nil
	})
	if recErr != nil {
		s.log().Error("cannot record the config failure", "error", recErr)
	}
}

func (s *Server) serveStatusPost(w http.ResponseWriter, r *http.Request) {
	var rep StatusReport
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxStatusBody))
	if err := dec.Decode(&rep); err != nil {
		s.httpError(w, r, http.StatusBadRequest, fmt.Errorf("%w: %v", ErrStatus, err))
		return
	}
	token := rep.Token
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	secret, err := s.Store.Secret(r.Context())
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	l, err := VerifyToken(secret, token, s.now())
	if err != nil {
		s.httpError(w, r, http.StatusForbidden, err)
		return
	}
	if err := rep.check(); err != nil {
		s.httpError(w, r, http.StatusBadRequest, err)
		return
	}
	id := MachineID(l)
	now := s.now()
	err = s.Store.RecordStatus(r.Context(), id, func(st *MachineStatus) error {
		if st.Labels == nil {
			st.Labels = l
		}
		st.apply(now, &rep)
		return nil
	})
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	s.log().Info("status", "machine", id, "stage", rep.Stage, "event", rep.Event, "message", rep.Message)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveStatusList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.ListStatus(r.Context())
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	if list == nil {
		list = []MachineStatus{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(list)
}

// advertisedBase returns the URL machines reach the HTTP server at, for a TFTP request that
// arrived at localIP: the advertised URL, else localIP with the HTTP port ("" if unknown).
func advertisedBase(advertise string, localIP net.IP, httpAddr string) string {
	if advertise != "" {
		return strings.TrimSuffix(advertise, "/")
	}
	_, port, err := net.SplitHostPort(httpAddr)
	if err != nil || localIP == nil || localIP.IsUnspecified() {
		return ""
	}
	return "http://" + net.JoinHostPort(localIP.String(), port)
}
