package pxe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/internal/rootfs"
)

// Store holds what the server serves and what machines report: groups, profiles, config
// files, the token secret, and per-machine status. DirStore keeps them in a data directory;
// a store for several replicas (etcd) implements the same interface. Every method is called
// per request, so edits take effect without a restart.
type Store interface {
	// Groups returns every group, selectors normalised.
	Groups(ctx context.Context) ([]Group, error)
	// Profiles returns every profile.
	Profiles(ctx context.Context) ([]Profile, error)
	// Config returns the named config file (a template); fs.ErrNotExist when absent.
	Config(ctx context.Context, name string) ([]byte, error)
	// Secret returns the key that signs machine tokens, creating it on first use; every
	// server sharing the store must see the same key.
	Secret(ctx context.Context) ([]byte, error)
	// RecordStatus applies update to the machine's status record (a new one, with only the ID
	// set, when there is none) and stores the result; concurrent updates of one machine must
	// not lose each other's changes.
	RecordStatus(ctx context.Context, id string, update func(*MachineStatus) error) error
	// ListStatus returns every machine's status, sorted by ID.
	ListStatus(ctx context.Context) ([]MachineStatus, error)
}

// ConfigFilesDir is implemented by stores whose configs live in a directory: the local files
// a YAML config names (contents.local) are read from there. Other stores have none, and such
// configs fail to translate.
type ConfigFilesDir interface {
	ConfigFilesDir() string
}

// Errors of stores.
var (
	ErrStoreScheme = errors.New("unsupported store URL")
	ErrDataFile    = errors.New("invalid data file")
	ErrName        = errors.New("invalid name")
)

// storeOpeners maps URL schemes to store constructors; other packages add theirs (etcd).
var (
	storeMu      sync.Mutex
	storeOpeners = map[string]func(u *url.URL, dataDir string) (Store, error){
		"dir":  openDirStore,
		"file": openDirStore,
	}
)

// RegisterStore makes OpenStore accept URLs of scheme.
func RegisterStore(scheme string, open func(u *url.URL, dataDir string) (Store, error)) {
	storeMu.Lock()
	defer storeMu.Unlock()
	storeOpeners[scheme] = open
}

// OpenStore opens the store a --store URL names; an empty URL is the data directory itself.
func OpenStore(rawURL, dataDir string) (Store, error) {
	if rawURL == "" {
		return NewDirStore(dataDir), nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStoreScheme, err)
	}
	storeMu.Lock()
	open, ok := storeOpeners[u.Scheme]
	storeMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q (known: %s)", ErrStoreScheme, rawURL, strings.Join(storeSchemes(), ", "))
	}
	return open(u, dataDir)
}

// storeSchemes lists the registered schemes, sorted, for the error of an unknown one.
func storeSchemes() []string {
	storeMu.Lock()
	defer storeMu.Unlock()
	schemes := make([]string, 0, len(storeOpeners))
	for s := range storeOpeners {
		schemes = append(schemes, s)
	}
	sort.Strings(schemes)
	return schemes
}

func openDirStore(u *url.URL, dataDir string) (Store, error) {
	p := u.Path
	if u.Opaque != "" {
		p = u.Opaque
	}
	if p == "" {
		p = dataDir
	}
	return NewDirStore(p), nil
}

// Data directory layout.
const (
	ProfilesDir = "profiles"
	GroupsDir   = "groups"
	ConfigsDir  = "configs"
	AssetsDir   = "assets"
	TFTPDir     = "tftp"
	StatusDir   = "status"
	SecretFile  = "token.key"
)

// DirStore is a Store in a data directory: profiles/ and groups/ hold one YAML or JSON file
// each, configs/ the config templates, status/ one JSON file per machine (written by the
// server, atomically), token.key the token secret.
type DirStore struct {
	Dir string
	mu  sync.Mutex // serialises status read-modify-write and secret creation
}

// NewDirStore returns the store of a data directory.
func NewDirStore(dir string) *DirStore { return &DirStore{Dir: dir} }

// ConfigFilesDir returns configs/, which local file references in YAML configs are relative to.
func (s *DirStore) ConfigFilesDir() string { return filepath.Join(s.Dir, ConfigsDir) }

// dataFiles returns the YAML and JSON files of a subdirectory, sorted; a missing directory
// has none.
func (s *DirStore) dataFiles(sub string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.Dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, filepath.Join(s.Dir, sub, e.Name()))
			}
		}
	}
	return files, nil
}

// decodeDataFile reads one YAML or JSON document into v, refusing unknown keys so that a
// misspelt "selectors" does not turn a group into a default.
func decodeDataFile(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return decodeData(file, b, v)
}

// decodeData decodes one YAML or JSON document named name (for errors) into v, refusing
// unknown keys; every store reads groups and profiles through it.
func decodeData(name string, b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrDataFile, err)
	}
	return nil
}

// Groups reads groups/; a group without an id takes its file's base name.
func (s *DirStore) Groups(ctx context.Context) ([]Group, error) {
	files, err := s.dataFiles(GroupsDir)
	if err != nil {
		return nil, err
	}
	groups := make([]Group, 0, len(files))
	for _, f := range files {
		var g Group
		if err := decodeDataFile(f, &g); err != nil {
			return nil, err
		}
		if g.ID == "" {
			g.ID = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		}
		if err := normalizeGroup(&g); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// Profiles reads profiles/; a profile without an id takes its file's base name.
func (s *DirStore) Profiles(ctx context.Context) ([]Profile, error) {
	files, err := s.dataFiles(ProfilesDir)
	if err != nil {
		return nil, err
	}
	profiles := make([]Profile, 0, len(files))
	for _, f := range files {
		var p Profile
		if err := decodeDataFile(f, &p); err != nil {
			return nil, err
		}
		if p.ID == "" {
			p.ID = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		}
		profiles = append(profiles, p)
	}
	return profiles, nil
}

// Config reads configs/<name>; the name may not lead out of configs/.
func (s *DirStore) Config(ctx context.Context, name string) ([]byte, error) {
	root, err := os.OpenRoot(filepath.Join(s.Dir, ConfigsDir))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(name)
}

// Secret reads token.key, creating 32 random bytes there (mode 0600) the first time.
func (s *DirStore) Secret(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := filepath.Join(s.Dir, SecretFile)
	key, err := os.ReadFile(p)
	if err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("%s: %w: shorter than 16 bytes", p, ErrDataFile)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	rand.Read(key)
	if err := writeAtomic(p, key, 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// statusFile is the file of a machine's status; machine ids are made of [0-9a-z.-] only
// (MachineID), checked again here because the file name is built from it.
func (s *DirStore) statusFile(id string) (string, error) {
	if !validMachineID(id) {
		return "", fmt.Errorf("%w: machine id %q", ErrName, id)
	}
	return filepath.Join(s.Dir, StatusDir, id+".json"), nil
}

// RecordStatus updates status/<id>.json under the store's lock.
func (s *DirStore) RecordStatus(ctx context.Context, id string, update func(*MachineStatus) error) error {
	file, err := s.statusFile(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := MachineStatus{ID: id}
	b, err := os.ReadFile(file)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("%s: %w: %v", file, ErrDataFile, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := update(&st); err != nil {
		return err
	}
	st.ID = id
	out, err := json.MarshalIndent(&st, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(file, append(out, '\n'), 0o644)
}

// ListStatus reads every status/*.json.
func (s *DirStore) ListStatus(ctx context.Context) ([]MachineStatus, error) {
	entries, err := os.ReadDir(filepath.Join(s.Dir, StatusDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []MachineStatus
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".json" || strings.HasPrefix(name, ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.Dir, StatusDir, name))
		if err != nil {
			return nil, err
		}
		var st MachineStatus
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrDataFile, err)
		}
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list, nil
}

// writeAtomic writes a file so that a reader (or a crash) never sees half a record.
func writeAtomic(p string, data []byte, perm fs.FileMode) error {
	return rootfs.WriteHostFile(p, data, perm)
}
