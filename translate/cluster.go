package translate

// The cluster section of flint's own variant enrolls the machine into an etcd cluster. It
// becomes one systemd unit, etcd-member.service, that runs the distribution's /usr/bin/etcd
// directly: fixed settings are ETCD_* variables in Environment= lines, and settings that use
// the machine's own addresses ({PRIVATE_IPV4} and friends, resolved at boot from the platform
// metadata in /run/metadata/flint) are command-line flags, because systemd expands ${VAR} in
// ExecStart= but not in Environment=. See docs/cluster.md and docs/metadata.md.

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/flint-provision/flint/config"
)

func init() { registerSection("cluster", clusterSugar) }

// Errors of the cluster section.
var (
	ErrClusterBootstrap   = errors.New("cluster needs either initial_cluster or discovery")
	ErrClusterMemberName  = errors.New("initial_cluster member needs a name")
	ErrClusterDupMember   = errors.New("initial_cluster names a member twice")
	ErrClusterPeerURLs    = errors.New("initial_cluster member needs peer_urls")
	ErrClusterNotMember   = errors.New("name is not a member of initial_cluster")
	ErrClusterState       = errors.New("initial_cluster_state must be new or existing")
	ErrClusterURL         = errors.New("invalid etcd URL; want http:// or https:// with a host")
	ErrClusterTLSPair     = errors.New("cert and key must be given together")
	ErrClusterNeedsTLS    = errors.New("https URLs need the cert and key of their side (client_tls or peer_tls)")
	ErrClusterDataDir     = errors.New("data_dir must be an absolute path")
	ErrClusterUser        = errors.New("user must be a user name")
	ErrClusterValue       = errors.New("etcd settings may not contain line breaks")
	ErrPlaceholder        = errors.New("unknown placeholder; known: {HOSTNAME}, {PRIVATE_IPV4}, {PUBLIC_IPV4}, {PRIVATE_IPV6}, {PUBLIC_IPV6}, {INSTANCE_ID}, {REGION}")
	ErrPlaceholderSyntax  = errors.New("unbalanced { or } in a value; placeholders are written {NAME}")
	ErrPlaceholderNotHere = errors.New("placeholders are resolved in etcd settings only, not in paths and user names")
)

// The names the generated units and files use; docs/cluster.md and docs/metadata.md describe
// them.
const (
	etcdUnit         = "etcd-member.service"
	etcdMetadataConf = "20-flint-metadata.conf"
	etcdBinary       = "/usr/bin/etcd"
	etcdDataDir      = "/var/lib/etcd-member"
	etcdTLSDir       = "/etc/etcd-member/tls"
	metadataUnit     = "flint-metadata.service"
	metadataFile     = "/run/metadata/flint"
)

// metadataVars maps each placeholder to the variable the metadata unit writes to
// /run/metadata/flint (the contract in docs/metadata.md).
var metadataVars = map[string]string{
	"HOSTNAME":     "FLINT_HOSTNAME",
	"PRIVATE_IPV4": "FLINT_IPV4_PRIVATE",
	"PUBLIC_IPV4":  "FLINT_IPV4_PUBLIC",
	"PRIVATE_IPV6": "FLINT_IPV6_PRIVATE",
	"PUBLIC_IPV6":  "FLINT_IPV6_PUBLIC",
	"INSTANCE_ID":  "FLINT_INSTANCE_ID",
	"REGION":       "FLINT_REGION",
}

// placeholderSamples stand in for placeholders when a URL is checked at translation time.
var placeholderSamples = map[string]string{
	"PRIVATE_IPV4": "192.0.2.1", "PUBLIC_IPV4": "192.0.2.2",
	"PRIVATE_IPV6": "2001:db8::1", "PUBLIC_IPV6": "2001:db8::2",
}

// clusterSection is the cluster key. JSON names are the YAML keys: the section exists only in
// YAML.
type clusterSection struct {
	// Name is the member name; the machine's host name from the metadata when unset.
	Name *string `json:"name" doc:"Member name. Default {HOSTNAME}, the machine's hostname from the platform metadata."`
	// User runs etcd and owns its data directory and TLS files; root when unset.
	User                     *string         `json:"user" doc:"User the member runs as and that owns its TLS files and data directory."`
	DataDir                  *string         `json:"data_dir" doc:"Where the member keeps its data. Default /var/lib/etcd-member."`
	InitialCluster           []clusterMember `json:"initial_cluster" doc:"The members of a static cluster: name and peer URLs of each. Either this or discovery."`
	InitialClusterState      *string         `json:"initial_cluster_state" doc:"new (bootstrapping a cluster) or existing (joining one). Default new."`
	InitialClusterToken      *string         `json:"initial_cluster_token" doc:"Token that keeps two clusters bootstrapped on one network apart."`
	Discovery                *string         `json:"discovery" doc:"Discovery URL that the members use to find each other, instead of initial_cluster."`
	ListenClientURLs         []string        `json:"listen_client_urls" doc:"URLs the member serves clients on. Placeholders such as {PRIVATE_IPV4} are filled at boot."`
	AdvertiseClientURLs      []string        `json:"advertise_client_urls" doc:"Client URLs the member tells the others about."`
	ListenPeerURLs           []string        `json:"listen_peer_urls" doc:"URLs the member talks to the other members on."`
	InitialAdvertisePeerURLs []string        `json:"initial_advertise_peer_urls" doc:"Peer URLs the member tells the others about."`
	ClientTLS                clusterTLS      `json:"client_tls" doc:"TLS for clients: cert, key and trusted_ca (inline, local or source), client_cert_auth."`
	PeerTLS                  clusterTLS      `json:"peer_tls" doc:"TLS between members: cert, key and trusted_ca (inline, local or source), client_cert_auth."`
}

// clusterMember is one member of a static initial cluster.
type clusterMember struct {
	Name     string   `json:"name" doc:"Member name. Default {HOSTNAME}, the machine's hostname from the platform metadata."`
	PeerURLs []string `json:"peer_urls" doc:"Peer URLs of this member."`
}

// clusterTLS is one side's TLS material, each a resource (inline, local or source).
type clusterTLS struct {
	Cert      *config.Resource `json:"cert" doc:"Certificate (PEM)."`
	Key       *config.Resource `json:"key" doc:"Private key (PEM); written mode 0600."`
	TrustedCA *config.Resource `json:"trusted_ca" doc:"Certificate authority that signs the other side's certificates (PEM)."`
	// ClientCertAuth makes etcd require certificates signed by trusted_ca; it defaults to
	// true when trusted_ca is given, since that CA has no other use.
	ClientCertAuth *bool `json:"client_cert_auth" doc:"Require certificates from the other side."`
}

// etcdOption is one etcd setting: its flag name (the variable is ETCD_ + its upper-case
// spelling), its value, and where in the YAML it came from.
type etcdOption struct {
	flag, value string
	from        config.Path
}

// clusterSugar translates the cluster section.
func clusterSugar(t *translator, c *config.Config, e extra) {
	var cl clusterSection
	s, ok := decodeSection(t, e, &cl)
	if !ok {
		return
	}
	errs := len(t.rep)
	opts := s.clusterOptions(&cl)
	user := ""
	if cl.User != nil {
		user = *cl.User
		if user == "" || strings.ContainsAny(user, " \t\n:/{}") {
			s.errorf(s.path("user"), ErrClusterUser)
		}
	}
	dataDir := etcdDataDir
	if cl.DataDir != nil {
		dataDir = *cl.DataDir
		switch {
		case strings.ContainsAny(dataDir, "{}"):
			s.errorf(s.path("data_dir"), ErrPlaceholderNotHere)
		case !path.IsAbs(dataDir) || strings.ContainsAny(dataDir, "\n\""):
			s.errorf(s.path("data_dir"), ErrClusterDataDir)
		}
	}
	opts = append([]etcdOption{{flag: "data-dir", value: path.Clean(dataDir), from: s.path("data_dir")}}, opts...)

	var files []config.File
	var fileFrom []config.Path
	tlsFile := func(r *config.Resource, name, flag string, from config.Path) {
		if r == nil {
			return
		}
		f := config.File{Node: config.Node{Path: etcdTLSDir + "/" + name, Overwrite: ptr(true)},
			Contents: *r, Mode: ptr(0o600)}
		if user != "" {
			f.User.Name, f.Group.Name = ptr(user), ptr(user)
		}
		files, fileFrom = append(files, f), append(fileFrom, from)
		opts = append(opts, etcdOption{flag: flag, value: f.Path, from: from})
	}
	for _, side := range []struct {
		tls          *clusterTLS
		key, prefix  string
		flagPrefix   string
		fileBaseName string
	}{
		{&cl.ClientTLS, "client_tls", "", "", "client"},
		{&cl.PeerTLS, "peer_tls", "peer-", "peer-", "peer"},
	} {
		tl := side.tls
		tlsFile(tl.Cert, side.fileBaseName+".crt", side.flagPrefix+"cert-file", s.path(side.key, "cert"))
		tlsFile(tl.Key, side.fileBaseName+".key", side.flagPrefix+"key-file", s.path(side.key, "key"))
		tlsFile(tl.TrustedCA, side.fileBaseName+"-ca.crt", side.flagPrefix+"trusted-ca-file", s.path(side.key, "trusted_ca"))
		if auth := tl.ClientCertAuth; auth != nil && *auth || auth == nil && tl.TrustedCA != nil {
			opts = append(opts, etcdOption{flag: side.flagPrefix + "client-cert-auth", value: "true", from: s.path(side.key)})
		}
	}

	if hasErrorsAfter(t.rep, errs) {
		return
	}
	unit, dropin, ok := s.etcdUnit(opts, user)
	if !ok {
		return
	}
	u := config.Unit{Name: etcdUnit, Enabled: ptr(true), Contents: &unit}
	if dropin != "" {
		u.Dropins = []config.Dropin{{Name: etcdMetadataConf, Contents: &dropin}}
	}
	s.addUnit(c, u, s.path())
	// Debian's etcd package enables its own single-node etcd.service on the same default
	// ports; it is masked unless the config says something about it.
	if !hasUnit(c, "etcd.service") {
		s.addUnit(c, config.Unit{Name: "etcd.service", Mask: ptr(true)}, s.path())
	}
	dir := config.Directory{Node: config.Node{Path: path.Clean(dataDir)}, Mode: ptr(0o700)}
	if user != "" {
		dir.User.Name, dir.Group.Name = ptr(user), ptr(user)
	}
	s.addDirectory(c, dir, s.path("data_dir"))
	for i, f := range files {
		s.addFile(c, f, fileFrom[i])
	}
}

func hasUnit(c *config.Config, name string) bool {
	for _, u := range c.Systemd.Units {
		if u.Name == name {
			return true
		}
	}
	return false
}

// clusterOptions checks the section and lists the etcd options it sets, TLS files aside.
func (s *section) clusterOptions(cl *clusterSection) []etcdOption {
	var opts []etcdOption
	add := func(flag, value string, from config.Path) {
		opts = append(opts, etcdOption{flag: flag, value: value, from: from})
	}
	name := "{HOSTNAME}"
	if cl.Name != nil {
		name = *cl.Name
	}
	add("name", name, s.path("name"))

	switch {
	case cl.InitialCluster != nil && cl.Discovery != nil:
		s.errorf(s.path("discovery"), fmt.Errorf("%w: initial_cluster, discovery", ErrTooManySources))
	case cl.InitialCluster == nil && cl.Discovery == nil:
		s.errorf(s.path(), ErrClusterBootstrap)
	case cl.Discovery != nil:
		s.checkURL(*cl.Discovery, s.path("discovery"), false)
		add("discovery", *cl.Discovery, s.path("discovery"))
	default:
		add("initial-cluster", s.initialCluster(cl, name), s.path("initial_cluster"))
	}
	if cl.InitialClusterState != nil {
		if st := *cl.InitialClusterState; st != "new" && st != "existing" {
			s.errorf(s.path("initial_cluster_state"), ErrClusterState)
		}
		add("initial-cluster-state", *cl.InitialClusterState, s.path("initial_cluster_state"))
	}
	if cl.InitialClusterToken != nil {
		add("initial-cluster-token", *cl.InitialClusterToken, s.path("initial_cluster_token"))
	}

	clientTLS := s.checkTLS(&cl.ClientTLS, "client_tls")
	peerTLS := s.checkTLS(&cl.PeerTLS, "peer_tls")
	scheme := func(tls bool) string {
		if tls {
			return "https://"
		}
		return "http://"
	}
	// Defaults: members find each other on the machine's private address; local clients
	// (locksmith's default endpoint among them) reach etcd on 127.0.0.1.
	advPeer := cl.InitialAdvertisePeerURLs
	if advPeer == nil {
		advPeer = []string{scheme(peerTLS) + "{PRIVATE_IPV4}:2380"}
	}
	listenPeer := cl.ListenPeerURLs
	if listenPeer == nil {
		listenPeer = advPeer
	}
	advClient := cl.AdvertiseClientURLs
	if advClient == nil {
		advClient = []string{scheme(clientTLS) + "{PRIVATE_IPV4}:2379"}
	}
	listenClient := cl.ListenClientURLs
	if listenClient == nil {
		listenClient = append([]string(nil), advClient...)
		local := scheme(clientTLS) + "127.0.0.1:2379"
		if !hasString(listenClient, local) {
			listenClient = append(listenClient, local)
		}
	}
	for _, u := range []struct {
		flag, key string
		urls      []string
		given     bool
		tls       bool
	}{
		{"listen-peer-urls", "listen_peer_urls", listenPeer, cl.ListenPeerURLs != nil, peerTLS},
		{"initial-advertise-peer-urls", "initial_advertise_peer_urls", advPeer, cl.InitialAdvertisePeerURLs != nil, peerTLS},
		{"listen-client-urls", "listen_client_urls", listenClient, cl.ListenClientURLs != nil, clientTLS},
		{"advertise-client-urls", "advertise_client_urls", advClient, cl.AdvertiseClientURLs != nil, clientTLS},
	} {
		// Defaults are valid, and a list copied from another was checked there.
		if u.given {
			s.checkURLs(u.urls, s.path(u.key), !u.tls)
		}
		add(u.flag, strings.Join(u.urls, ","), s.path(u.key))
	}
	return opts
}

// initialCluster checks the static members and renders etcd's name=url,... list.
func (s *section) initialCluster(cl *clusterSection, self string) string {
	var b strings.Builder
	seen := make(map[string]bool, len(cl.InitialCluster))
	for i, m := range cl.InitialCluster {
		p := s.path("initial_cluster", i)
		switch {
		case m.Name == "":
			s.errorf(p, ErrClusterMemberName)
		case seen[m.Name]:
			s.errorf(append(p, "name"), fmt.Errorf("%w: %s", ErrClusterDupMember, m.Name))
		}
		seen[m.Name] = true
		if len(m.PeerURLs) == 0 {
			s.errorf(p, ErrClusterPeerURLs)
		}
		s.checkURLs(m.PeerURLs, append(p, "peer_urls"), false)
		for _, u := range m.PeerURLs {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m.Name + "=" + u)
		}
	}
	// A fixed name must be one of the members, or etcd refuses to start; a name from the
	// metadata can only be checked on the machine.
	if !strings.ContainsAny(self, "{}") && len(cl.InitialCluster) > 0 && !seen[self] {
		s.errorf(s.path("name"), fmt.Errorf("%w: %s", ErrClusterNotMember, self))
	}
	return b.String()
}

// checkTLS checks one side's TLS material and reports whether it serves TLS.
func (s *section) checkTLS(tl *clusterTLS, key string) bool {
	if (tl.Cert == nil) != (tl.Key == nil) {
		s.errorf(s.path(key), ErrClusterTLSPair)
	}
	return tl.Cert != nil && tl.Key != nil
}

// checkURLs checks a list of URLs; plainOnly refuses https, for a side without TLS files.
func (s *section) checkURLs(urls []string, p config.Path, plainOnly bool) {
	for i, raw := range urls {
		s.checkURL(raw, append(p[:len(p):len(p)], i), plainOnly)
	}
}

// checkURL checks one URL, with samples standing in for its placeholders.
func (s *section) checkURL(raw string, at config.Path, plainOnly bool) {
	sample, err := expandPlaceholders(raw, func(name string) string {
		if v, ok := placeholderSamples[name]; ok {
			return v
		}
		return "sample"
	})
	if err != nil {
		s.errorf(at, err)
		return
	}
	u, err := url.Parse(sample)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		s.errorf(at, fmt.Errorf("%w: %q", ErrClusterURL, raw))
		return
	}
	if plainOnly && u.Scheme == "https" {
		s.errorf(at, ErrClusterNeedsTLS)
	}
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// expandPlaceholders replaces each {NAME} in s with value(NAME). Names must be known.
func expandPlaceholders(s string, value func(name string) string) (string, error) {
	if !strings.ContainsAny(s, "{}") {
		return s, nil
	}
	var b strings.Builder
	for {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if s[open] == '}' {
			return "", ErrPlaceholderSyntax
		}
		end := strings.IndexAny(s[open+1:], "{}")
		if end < 0 || s[open+1+end] == '{' {
			return "", ErrPlaceholderSyntax
		}
		name := s[open+1 : open+1+end]
		if _, ok := metadataVars[name]; !ok {
			return "", fmt.Errorf("%w: {%s}", ErrPlaceholder, name)
		}
		b.WriteString(s[:open])
		b.WriteString(value(name))
		s = s[open+1+end+1:]
	}
}

// etcdUnit writes the unit text and, when a setting uses the metadata, the drop-in that makes
// the unit wait for it.
func (s *section) etcdUnit(opts []etcdOption, user string) (unit, dropin string, ok bool) {
	var env, flags []string
	ok = true
	for _, o := range opts {
		if strings.ContainsAny(o.value, "\n\r\x00") {
			s.errorf(o.from, ErrClusterValue)
			ok = false
			continue
		}
		if !strings.ContainsAny(o.value, "{}") {
			env = append(env, "Environment="+systemdQuote(etcdVar(o.flag)+"="+escapeSpecifiers(o.value)))
			continue
		}
		// systemd expands ${VAR} in ExecStart=; a literal $ is written $$.
		v, err := expandPlaceholders(strings.ReplaceAll(escapeSpecifiers(o.value), "$", "$$"),
			func(name string) string { return "${" + metadataVars[name] + "}" })
		if err != nil {
			s.errorf(o.from, err)
			ok = false
			continue
		}
		flags = append(flags, execWord("--"+o.flag+"="+v))
	}
	if !ok {
		return "", "", false
	}
	var b strings.Builder
	b.WriteString("# Generated by flint from the cluster section; see docs/cluster.md.\n")
	b.WriteString("[Unit]\nDescription=etcd cluster member\nDocumentation=https://etcd.io/docs/\n")
	b.WriteString("Wants=network-online.target\nAfter=network-online.target\n\n")
	b.WriteString("[Service]\nType=notify\n")
	if user != "" {
		fmt.Fprintf(&b, "User=%s\nGroup=%s\n", user, user)
	}
	for _, l := range env {
		b.WriteString(l + "\n")
	}
	b.WriteString("ExecStart=" + etcdBinary)
	for _, f := range flags {
		b.WriteString(" \\\n  " + f)
	}
	b.WriteString("\nRestart=on-failure\nRestartSec=5s\nLimitNOFILE=65536\n\n")
	b.WriteString("[Install]\nWantedBy=multi-user.target\n")
	if len(flags) > 0 {
		dropin = "# Generated by flint: the placeholders in ExecStart= come from the platform metadata.\n" +
			"[Unit]\nRequires=" + metadataUnit + "\nAfter=" + metadataUnit + "\n\n" +
			"[Service]\nEnvironmentFile=" + metadataFile + "\n"
	}
	return b.String(), dropin, true
}

// etcdVar is the environment variable etcd reads for a flag: --initial-cluster is
// ETCD_INITIAL_CLUSTER.
func etcdVar(flag string) string {
	return "ETCD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// escapeSpecifiers doubles %, which systemd reads as the start of a specifier (%H) in both
// Environment= and ExecStart=.
func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// systemdQuote writes s as one double-quoted systemd word.
func systemdQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// execWord writes one ExecStart= argument, quoted only when it has to be.
func execWord(s string) string {
	if strings.ContainsAny(s, " \t\"'\\;") {
		return systemdQuote(s)
	}
	return s
}
