package pxe

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// The etcd store talks to etcd's JSON gateway (POST /v3/kv/range and /v3/kv/txn, on by default
// in every etcd 3.4+ server) with net/http rather than through go.etcd.io/etcd/client/v3: the
// gRPC client would add about 6.5 MB to the flint binary (20.1 MB instead of 13.5), past its
// 15 MB budget, for the four requests the store makes. The tests check the store against a
// real etcd and against the official client.

func init() { RegisterStore("etcd", openEtcdStore) }

// DefaultEtcdPrefix is the key prefix of an etcd store whose URL names none.
const DefaultEtcdPrefix = "/flint/pxe"

// Errors of the etcd store.
var (
	ErrEtcd     = errors.New("etcd request failed")
	ErrConflict = errors.New("status record changed concurrently too many times")
)

// maxCASAttempts bounds RecordStatus's compare-and-swap loop: every failed attempt means
// another server wrote the record meanwhile, so the loop ends unless the record is rewritten
// this often while one update is pending.
const maxCASAttempts = 200

// etcdPageSize is how many keys one range request returns; larger sets are read in pages.
const etcdPageSize = 500

// EtcdStore is a Store in etcd, so that several servers (replicas behind one address, or one
// per rack) serve one fleet: every server reads the same groups, profiles and configs, signs
// tokens with the same key and writes the same status records. Keys, under Prefix:
//
//	groups/<name>     a group (YAML or JSON, as in a data directory; id defaults to name)
//	profiles/<name>   a profile
//	configs/<name>    a config template (name may hold slashes)
//	token.key         the token secret (created by the first server, in a transaction)
//	status/<machine>  a machine's status record (JSON), updated with compare-and-swap
type EtcdStore struct {
	// Prefix is prepended to every key ("/flint/pxe"); it does not end with a slash.
	Prefix    string
	endpoints []string // base URLs: http://host:port or https://host:port
	client    *http.Client
	first     atomic.Uint32 // the endpoint that answered last, tried first
}

// EtcdOptions configure NewEtcdStore.
type EtcdOptions struct {
	// Endpoints are the members' client URLs (http://127.0.0.1:2379); the store uses the
	// first that answers and moves on when one stops answering.
	Endpoints []string
	// Prefix is the key prefix (DefaultEtcdPrefix when empty).
	Prefix string
	// TLS is the client's TLS configuration for https endpoints (nil: system roots).
	TLS *tls.Config
	// Timeout bounds each request (10 s when zero).
	Timeout time.Duration
}

// NewEtcdStore returns a store on an etcd cluster; it does not connect until used.
func NewEtcdStore(o EtcdOptions) (*EtcdStore, error) {
	if len(o.Endpoints) == 0 {
		return nil, fmt.Errorf("%w: no etcd endpoint", ErrStoreScheme)
	}
	prefix := strings.TrimRight(o.Prefix, "/")
	if prefix == "" {
		prefix = DefaultEtcdPrefix
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = o.TLS
	tr.MaxIdleConnsPerHost = 32 // every request of every machine talks to etcd
	eps := make([]string, len(o.Endpoints))
	for i, ep := range o.Endpoints {
		eps[i] = strings.TrimRight(ep, "/")
	}
	return &EtcdStore{Prefix: prefix, endpoints: eps, client: &http.Client{Transport: tr, Timeout: timeout}}, nil
}

// openEtcdStore opens etcd://host:port[,host:port]/prefix[?ca=FILE&cert=FILE&key=FILE&tls=1].
// Any of ca, cert and key (or tls=1) makes the endpoints https; cert and key are the client
// certificate etcd's --client-cert-auth asks for.
func openEtcdStore(u *url.URL, _ string) (Store, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("%w: %s: no etcd host:port", ErrStoreScheme, u.Redacted())
	}
	q := u.Query()
	ca, cert, key := q.Get("ca"), q.Get("cert"), q.Get("key")
	scheme := "http"
	var cfg *tls.Config
	if ca != "" || cert != "" || key != "" || q.Get("tls") == "1" || q.Get("tls") == "true" {
		scheme = "https"
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		if ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return nil, fmt.Errorf("%w: ca: %v", ErrStoreScheme, err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: ca: %s holds no PEM certificate", ErrStoreScheme, ca)
			}
		}
		if (cert == "") != (key == "") {
			return nil, fmt.Errorf("%w: cert and key go together", ErrStoreScheme)
		}
		if cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return nil, fmt.Errorf("%w: client certificate: %v", ErrStoreScheme, err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	var eps []string
	for _, h := range strings.Split(u.Host, ",") {
		if h = strings.TrimSpace(h); h != "" {
			eps = append(eps, scheme+"://"+h)
		}
	}
	return NewEtcdStore(EtcdOptions{Endpoints: eps, Prefix: u.Path, TLS: cfg})
}

func (s *EtcdStore) key(parts ...string) string { return s.Prefix + "/" + strings.Join(parts, "/") }

// etcdKV is a key-value pair as the gateway writes it: bytes in base64, int64s as strings.
type etcdKV struct {
	Key         []byte `json:"key"`
	Value       []byte `json:"value"`
	ModRevision int64  `json:"mod_revision,string"`
}

type etcdRange struct {
	KVs  []etcdKV `json:"kvs"`
	More bool     `json:"more"`
}

type etcdRangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
	Limit    int64  `json:"limit,omitempty"`
	KeysOnly bool   `json:"keys_only,omitempty"`
}

// etcdOp is one operation of a transaction; exactly one field is set.
type etcdOp struct {
	Range  *etcdRangeRequest `json:"request_range,omitempty"`
	Put    *etcdPut          `json:"request_put,omitempty"`
	Delete *etcdRangeRequest `json:"request_delete_range,omitempty"`
}

type etcdPut struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

type etcdTxn struct {
	Compare []map[string]any `json:"compare,omitempty"`
	Success []etcdOp         `json:"success,omitempty"`
	Failure []etcdOp         `json:"failure,omitempty"`
}

type etcdTxnResult struct {
	Succeeded bool `json:"succeeded"`
	Responses []struct {
		Range *etcdRange `json:"response_range"`
	} `json:"responses"`
}

// revisionIs compares a key's last modification revision (0 for a missing key).
func revisionIs(key string, rev int64) map[string]any {
	return map[string]any{"key": []byte(key), "target": "MOD", "result": "EQUAL", "mod_revision": rev}
}

// call posts one gateway request, trying the endpoints in turn from the one that answered
// last while they are unreachable or unavailable.
func (s *EtcdStore) call(ctx context.Context, method string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	n := uint32(len(s.endpoints))
	start := s.first.Load()
	var errs []error
	for i := range n {
		ep := (start + i) % n
		retry, err := s.post(ctx, s.endpoints[ep]+"/v3/"+method, body, resp)
		if err == nil {
			s.first.Store(ep)
			return nil
		}
		if !retry || ctx.Err() != nil {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// post sends one request; retry says whether another member might answer it.
func (s *EtcdStore) post(ctx context.Context, u string, body []byte, resp any) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	r, err := s.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("%w: %v", ErrEtcd, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return true, fmt.Errorf("%w: %s: %v", ErrEtcd, u, err)
	}
	if r.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b))
		}
		return r.StatusCode >= 500, fmt.Errorf("%w: %s: %s: %s", ErrEtcd, u, r.Status, e.Message)
	}
	if err := json.Unmarshal(b, resp); err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrEtcd, u, err)
	}
	return false, nil
}

// get reads one key; nil when it is absent.
func (s *EtcdStore) get(ctx context.Context, key string) (*etcdKV, error) {
	var r etcdRange
	if err := s.call(ctx, "kv/range", &etcdRangeRequest{Key: []byte(key)}, &r); err != nil {
		return nil, err
	}
	if len(r.KVs) == 0 {
		return nil, nil
	}
	return &r.KVs[0], nil
}

// prefixEnd is the end of the key range of every key that starts with prefix.
func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0} // every key
}

// list reads every key under dir/ in key order, a page at a time.
func (s *EtcdStore) list(ctx context.Context, dir string, keysOnly bool) ([]etcdKV, error) {
	prefix := s.key(dir) + "/"
	req := etcdRangeRequest{Key: []byte(prefix), RangeEnd: prefixEnd(prefix), Limit: etcdPageSize, KeysOnly: keysOnly}
	var all []etcdKV
	for {
		var r etcdRange
		if err := s.call(ctx, "kv/range", &req, &r); err != nil {
			return nil, err
		}
		all = append(all, r.KVs...)
		if !r.More || len(r.KVs) == 0 {
			return all, nil
		}
		req.Key = append(bytes.Clone(r.KVs[len(r.KVs)-1].Key), 0)
	}
}

// Groups reads groups/; a group without an id takes its key's name.
func (s *EtcdStore) Groups(ctx context.Context) ([]Group, error) {
	kvs, err := s.list(ctx, GroupsDir, false)
	if err != nil {
		return nil, err
	}
	groups := make([]Group, 0, len(kvs))
	for _, kv := range kvs {
		var g Group
		if err := decodeData(string(kv.Key), kv.Value, &g); err != nil {
			return nil, err
		}
		if g.ID == "" {
			g.ID = s.nameOf(GroupsDir, kv.Key)
		}
		if err := normalizeGroup(&g); err != nil {
			return nil, fmt.Errorf("%s: %w", kv.Key, err)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// Profiles reads profiles/; a profile without an id takes its key's name.
func (s *EtcdStore) Profiles(ctx context.Context) ([]Profile, error) {
	kvs, err := s.list(ctx, ProfilesDir, false)
	if err != nil {
		return nil, err
	}
	profiles := make([]Profile, 0, len(kvs))
	for _, kv := range kvs {
		var p Profile
		if err := decodeData(string(kv.Key), kv.Value, &p); err != nil {
			return nil, err
		}
		if p.ID == "" {
			p.ID = s.nameOf(ProfilesDir, kv.Key)
		}
		profiles = append(profiles, p)
	}
	return profiles, nil
}

func (s *EtcdStore) nameOf(dir string, key []byte) string {
	return strings.TrimPrefix(string(key), s.key(dir)+"/")
}

// validConfigName keeps config names to clean relative paths, as in a data directory, so a
// profile names a config the same way in both stores.
func validConfigName(name string) bool {
	return name != "" && !path.IsAbs(name) && path.Clean(name) == name && name != ".." && !strings.HasPrefix(name, "../")
}

// Config reads configs/<name>.
func (s *EtcdStore) Config(ctx context.Context, name string) ([]byte, error) {
	if !validConfigName(name) {
		return nil, fmt.Errorf("%w: config %q", ErrName, name)
	}
	key := s.key(ConfigsDir, name)
	kv, err := s.get(ctx, key)
	if err != nil {
		return nil, err
	}
	if kv == nil {
		return nil, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return kv.Value, nil
}

// Secret reads token.key. The first server to find none creates it in a transaction that
// succeeds only while the key does not exist; a server that loses the race reads the
// winner's key from the same transaction, so every server signs with one key.
func (s *EtcdStore) Secret(ctx context.Context) ([]byte, error) {
	key := s.key(SecretFile)
	kv, err := s.get(ctx, key)
	if err != nil {
		return nil, err
	}
	if kv == nil {
		fresh := make([]byte, 32)
		rand.Read(fresh)
		var r etcdTxnResult
		txn := etcdTxn{
			Compare: []map[string]any{revisionIs(key, 0)},
			Success: []etcdOp{{Put: &etcdPut{Key: []byte(key), Value: fresh}}},
			Failure: []etcdOp{{Range: &etcdRangeRequest{Key: []byte(key)}}},
		}
		if err := s.call(ctx, "kv/txn", &txn, &r); err != nil {
			return nil, err
		}
		if r.Succeeded {
			return fresh, nil
		}
		if kv = r.rangeKV(); kv == nil {
			return nil, fmt.Errorf("%w: %s vanished while it was created", ErrEtcd, key)
		}
	}
	if len(kv.Value) < 16 {
		return nil, fmt.Errorf("%s: %w: shorter than 16 bytes", key, ErrDataFile)
	}
	return kv.Value, nil
}

// rangeKV is the key a transaction's failure branch read; nil when absent.
func (r *etcdTxnResult) rangeKV() *etcdKV {
	if len(r.Responses) == 0 || r.Responses[0].Range == nil || len(r.Responses[0].Range.KVs) == 0 {
		return nil
	}
	return &r.Responses[0].Range.KVs[0]
}

// RecordStatus applies update to status/<id> with compare-and-swap: the record is written
// only if nobody changed it since it was read; otherwise update runs again on the newer
// record (which the failed transaction returns), so concurrent reports to different servers
// are all kept. update must therefore not depend on being called once.
func (s *EtcdStore) RecordStatus(ctx context.Context, id string, update func(*MachineStatus) error) error {
	if !validMachineID(id) {
		return fmt.Errorf("%w: machine id %q", ErrName, id)
	}
	key := s.key(StatusDir, id)
	kv, err := s.get(ctx, key)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		st := MachineStatus{ID: id}
		var rev int64
		if kv != nil {
			if err := json.Unmarshal(kv.Value, &st); err != nil {
				return fmt.Errorf("%s: %w: %v", key, ErrDataFile, err)
			}
			rev = kv.ModRevision
		}
		if err := update(&st); err != nil {
			return err
		}
		st.ID = id
		out, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		var r etcdTxnResult
		txn := etcdTxn{
			Compare: []map[string]any{revisionIs(key, rev)},
			Success: []etcdOp{{Put: &etcdPut{Key: []byte(key), Value: out}}},
			Failure: []etcdOp{{Range: &etcdRangeRequest{Key: []byte(key)}}},
		}
		if err := s.call(ctx, "kv/txn", &txn, &r); err != nil {
			return err
		}
		if r.Succeeded {
			return nil
		}
		if attempt == maxCASAttempts {
			return fmt.Errorf("%s: %w (%d attempts)", key, ErrConflict, attempt)
		}
		kv = r.rangeKV()
		// Contenders that lost together would collide again at once; a short random pause
		// spreads them out.
		select {
		case <-time.After(time.Duration(mrand.IntN(min(attempt, 20))+1) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ListStatus reads every status/ record, sorted by machine ID.
func (s *EtcdStore) ListStatus(ctx context.Context) ([]MachineStatus, error) {
	kvs, err := s.list(ctx, StatusDir, false)
	if err != nil {
		return nil, err
	}
	list := make([]MachineStatus, 0, len(kvs))
	for _, kv := range kvs {
		var st MachineStatus
		if err := json.Unmarshal(kv.Value, &st); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", kv.Key, ErrDataFile, err)
		}
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list, nil
}

// ImportStats counts what Import wrote and removed.
type ImportStats struct {
	Groups, Profiles, Configs, Removed int
}

// Importer is implemented by stores an operator loads from a data directory
// (flint pxe import).
type Importer interface {
	Import(ctx context.Context, dir string) (ImportStats, error)
}

// importBatch bounds the operations of one transaction (etcd's --max-txn-ops is 128).
const importBatch = 100

// Import makes the store's groups, profiles and configs those of a data directory: it checks
// the directory as the server would (the same parsing, references between groups, profiles
// and configs), writes configs, then profiles, then groups, and only then removes the keys
// the directory no longer has, so that a server reading meanwhile never finds a group
// naming a profile that is not there yet. Status records and the token key are kept.
func (s *EtcdStore) Import(ctx context.Context, dir string) (ImportStats, error) {
	var st ImportStats
	d := NewDirStore(dir)
	groups, err := d.Groups(ctx)
	if err != nil {
		return st, err
	}
	profiles, err := d.Profiles(ctx)
	if err != nil {
		return st, err
	}
	if err := checkData(groups, profiles); err != nil {
		return st, err
	}
	configs, err := readConfigTree(filepath.Join(dir, ConfigsDir))
	if err != nil {
		return st, err
	}
	for _, p := range profiles {
		if _, ok := configs[p.Config]; p.Config != "" && !ok {
			return st, fmt.Errorf("profile %s: config %s: %w", p.ID, p.Config, fs.ErrNotExist)
		}
	}
	want := map[string]map[string][]byte{ConfigsDir: configs}
	for _, sub := range []string{ProfilesDir, GroupsDir} {
		files, err := d.dataFiles(sub)
		if err != nil {
			return st, err
		}
		want[sub] = map[string][]byte{}
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			if _, dup := want[sub][name]; dup {
				return st, fmt.Errorf("%s: %w: two files named %s", filepath.Join(dir, sub), ErrName, name)
			}
			if want[sub][name], err = os.ReadFile(f); err != nil {
				return st, err
			}
		}
	}
	st.Configs, st.Profiles, st.Groups = len(want[ConfigsDir]), len(want[ProfilesDir]), len(want[GroupsDir])
	order := []string{ConfigsDir, ProfilesDir, GroupsDir}
	for _, sub := range order {
		names := sortedKeys(want[sub])
		ops := make([]etcdOp, 0, len(names))
		for _, name := range names {
			ops = append(ops, etcdOp{Put: &etcdPut{Key: []byte(s.key(sub, name)), Value: want[sub][name]}})
		}
		if err := s.applyOps(ctx, ops); err != nil {
			return st, err
		}
	}
	for i := len(order) - 1; i >= 0; i-- {
		sub := order[i]
		kvs, err := s.list(ctx, sub, true)
		if err != nil {
			return st, err
		}
		var ops []etcdOp
		for _, kv := range kvs {
			if _, ok := want[sub][s.nameOf(sub, kv.Key)]; !ok {
				ops = append(ops, etcdOp{Delete: &etcdRangeRequest{Key: kv.Key}})
			}
		}
		if err := s.applyOps(ctx, ops); err != nil {
			return st, err
		}
		st.Removed += len(ops)
	}
	return st, nil
}

// applyOps runs operations in transactions of importBatch.
func (s *EtcdStore) applyOps(ctx context.Context, ops []etcdOp) error {
	for len(ops) > 0 {
		n := min(len(ops), importBatch)
		var r etcdTxnResult
		if err := s.call(ctx, "kv/txn", &etcdTxn{Success: ops[:n]}, &r); err != nil {
			return err
		}
		ops = ops[n:]
	}
	return nil
}

// readConfigTree reads every file under dir (the data directory's configs/) by its
// slash-separated relative name; a missing directory has none.
func readConfigTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		// Through the root, as the data directory's Config reads: a link out of configs/
		// does not open.
		b, err := root.ReadFile(p)
		if err != nil {
			return err
		}
		files[p] = b
		return nil
	})
	return files, err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
