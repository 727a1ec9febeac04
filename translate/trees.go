package translate

// storage.trees: a directory under --files-dir embedded whole, its regular files as files
// (0755 when the source is executable by anyone, else 0644), its symlinks as links, and its
// directories as directories when the tree asks for an owner or a directory mode. Nothing is
// read from outside the files directory: the tree root is confined like any local path, and
// symlinks inside the tree are never followed, only copied as links.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/config"
)

// Errors of storage.trees, in Butane's words.
var (
	ErrTreeLocalRequired = errors.New("local is required")
	ErrTreeNotDirectory  = errors.New("root of tree must be a directory")
	ErrTreeFileType      = errors.New("trees may only contain files, directories, and symlinks")
	ErrTreeConflict      = errors.New("matching filesystem node has existing contents or different type")
)

// tree is one entry of storage.trees.
type tree struct {
	Local    string           `json:"local" doc:"Directory under --files-dir whose contents are embedded. Required."`
	Path     *string          `json:"path" doc:"Where the directory's contents go in the target root. Default \"/\"."`
	User     config.NodeUser  `json:"user" since:"3.6.0" doc:"Owner of every file, directory and link the tree creates."`
	Group    config.NodeGroup `json:"group" since:"3.6.0" doc:"Owning group of every file, directory and link the tree creates."`
	FileMode *int             `json:"fileMode" since:"3.6.0" doc:"Mode of the files, instead of 0755 for executable sources and 0644 for the others."`
	DirMode  *int             `json:"dirMode" since:"3.6.0" doc:"Mode of the directories; with it (or user or group) every directory of the tree is listed. Default 0755."`
}

func init() {
	addSugar(reflect.TypeFor[config.Storage](),
		map[string]func(*translator, config.Path) bool{"trees": func(t *translator, _ config.Path) bool { return t.variant.base() >= 2 }},
		treesSugar)
}

// treesSugar embeds each tree into the storage section v.
func treesSugar(t *translator, v reflect.Value, at site, extras []extra) {
	if len(extras) == 0 {
		return
	}
	e := extras[0]
	p := at.p.Append("trees")
	var trees []tree
	if !t.value(e.value, reflect.ValueOf(&trees).Elem(), p, at.key+".trees", e.key, nil) {
		return
	}
	list := t.resolve(e.value)
	st := v.Addr().Interface().(*config.Storage)
	nodes := newNodeIndex(st)
	for i := range trees {
		item := list.Content[i]
		for item.Kind == yaml.AliasNode && item.Alias != nil {
			item = item.Alias
		}
		t.embedTree(st, nodes, &trees[i], p.Append(i), item)
	}
}

// nodeIndex finds the files, directories and links of a storage section by path.
type nodeIndex map[string]nodeRef

type nodeRef struct {
	kind  string // "files", "directories" or "links"
	index int
}

func newNodeIndex(st *config.Storage) nodeIndex {
	idx := make(nodeIndex, len(st.Files)+len(st.Directories)+len(st.Links))
	for i, f := range st.Files {
		idx[f.Path] = nodeRef{"files", i}
	}
	for i, d := range st.Directories {
		idx[d.Path] = nodeRef{"directories", i}
	}
	for i, l := range st.Links {
		idx[l.Path] = nodeRef{"links", i}
	}
	return idx
}

// embedTree adds one tree's nodes to st. item is the tree's YAML entry, which every generated
// node maps to.
func (t *translator) embedTree(st *config.Storage, nodes nodeIndex, tr *tree, p config.Path, item *yaml.Node) {
	at := func(n *yaml.Node, path config.Path, err error) {
		t.at(config.SeverityError, n, path, false, err)
	}
	localNode := item
	if n := mappingValue(item, "local"); n != nil {
		localNode = n
	}
	if tr.Local == "" {
		at(item, p.Append("local"), ErrTreeLocalRequired)
		return
	}
	root, err := t.files.dirPath(tr.Local)
	if err != nil {
		at(localNode, p.Append("local"), err)
		return
	}
	if info, err := os.Stat(root); err != nil {
		at(localNode, p.Append("local"), fmt.Errorf("%w: %w", ErrLocalRead, err))
		return
	} else if !info.IsDir() {
		at(localNode, p.Append("local"), ErrTreeNotDirectory)
		return
	}
	dest := "/"
	if tr.Path != nil && *tr.Path != "" {
		dest = *tr.Path
	}
	listDirs := tr.DirMode != nil || tr.User != (config.NodeUser{}) || tr.Group != (config.NodeGroup{})
	// record maps a node of the output, generated or filled in, to the tree's local key.
	record := func(kind string, i int, sub ...any) {
		t.pos.record(pathKey(append(config.Path{"storage", kind, i}, sub...)), localNode, nil)
	}
	own := func(n *config.Node) {
		if n.User == (config.NodeUser{}) {
			n.User = tr.User
		}
		if n.Group == (config.NodeGroup{}) {
			n.Group = tr.Group
		}
	}
	walkErr := filepath.WalkDir(root, func(src string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, src)
		if err != nil {
			return err
		}
		target := joinPath(dest, filepath.ToSlash(rel))
		ref, exists := nodes[target]
		switch {
		case d.Type().IsRegular():
			data, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := 0o644
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			if tr.FileMode != nil {
				mode = *tr.FileMode
			}
			if exists && ref.kind != "files" || exists && (st.Files[ref.index].Contents.Source != nil || st.Files[ref.index].Contents.Compression != nil) {
				at(localNode, p.Append("local"), fmt.Errorf("%w: %s", ErrTreeConflict, target))
				return nil
			}
			if !exists {
				ref = nodeRef{"files", len(st.Files)}
				st.Files = append(st.Files, config.File{Node: config.Node{Path: target}})
				nodes[target] = ref
				record("files", ref.index)
			}
			f := &st.Files[ref.index]
			own(&f.Node)
			if f.Mode == nil {
				f.Mode = ptr(mode)
				record("files", ref.index, "mode")
			}
			t.embedContents(&f.Contents, data)
			record("files", ref.index, "contents")
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(src)
			if err != nil {
				return err
			}
			if exists && (ref.kind != "links" || st.Links[ref.index].Target != nil) {
				at(localNode, p.Append("local"), fmt.Errorf("%w: %s", ErrTreeConflict, target))
				return nil
			}
			if !exists {
				ref = nodeRef{"links", len(st.Links)}
				st.Links = append(st.Links, config.Link{Node: config.Node{Path: target}})
				nodes[target] = ref
				record("links", ref.index)
			}
			l := &st.Links[ref.index]
			own(&l.Node)
			l.Target = ptr(link)
			record("links", ref.index, "target")
		case d.IsDir():
			if !listDirs {
				return nil
			}
			if exists && ref.kind != "directories" {
				at(localNode, p.Append("local"), fmt.Errorf("%w: %s", ErrTreeConflict, target))
				return nil
			}
			if !exists {
				ref = nodeRef{"directories", len(st.Directories)}
				st.Directories = append(st.Directories, config.Directory{Node: config.Node{Path: target}})
				nodes[target] = ref
				record("directories", ref.index)
			}
			dir := &st.Directories[ref.index]
			own(&dir.Node)
			if dir.Mode == nil {
				dir.Mode = ptr(deref(tr.DirMode))
				if tr.DirMode == nil {
					*dir.Mode = 0o755
				}
			}
		default:
			at(localNode, p.Append("local"), fmt.Errorf("%w: %s", ErrTreeFileType, rel))
		}
		return nil
	})
	if walkErr != nil {
		at(localNode, p.Append("local"), fmt.Errorf("%w: %w", ErrLocalRead, walkErr))
	}
}

// embedContents makes data the contents of res as inline text would be: a data URL, gzip
// compressed when that is smaller, with compression written out when it is not.
func (t *translator) embedContents(res *config.Resource, data []byte) {
	url := plainDataURL(data, t.variant.percentOnly)
	res.Source = &url
	if t.variant.percentOnly || res.Compression != nil {
		return
	}
	res.Compression = ptr("")
	if len(url) > minGzipURL+gzipOverhead {
		t.compress = append(t.compress, compressJob{data, res})
	}
}

// mappingValue is the value of key in mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// dirPath is the path of rel, a directory inside the files directory, with symlinks resolved;
// like read, it refuses anything that leads outside.
func (fd *filesDir) dirPath(rel string) (string, error) {
	if fd.dir == "" {
		return "", ErrNoFilesDir
	}
	full := filepath.Join(fd.dir, filepath.FromSlash(rel))
	if !inside(filepath.Clean(fd.dir), full) {
		return "", fmt.Errorf("%w: %s", ErrFilesDirEscape, rel)
	}
	fd.once.Do(func() { fd.resolved, fd.err = filepath.EvalSymlinks(fd.dir) })
	if fd.err != nil {
		return "", fmt.Errorf("%w: %w", ErrLocalRead, fd.err)
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrLocalRead, err)
	}
	if !inside(fd.resolved, real) {
		return "", fmt.Errorf("%w: %s (a symlink leads to %s)", ErrFilesDirEscape, rel, real)
	}
	return real, nil
}
