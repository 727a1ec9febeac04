package stages

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/fsprobe"
)

// LUKS volumes are formatted and opened with cryptsetup, as in the reference: a volume that
// already carries a LUKS header is opened, anything else on the device is an error unless
// wipeVolume. The key (the config's, or 4096 random bytes hex-encoded) is kept in the state
// directory for the files stage, which installs it and /etc/crypttab in the target.

const luksKeysDir = "luks"

type luksAction struct {
	cfgPath config.Path
	luks    *config.Luks
}

func (a *luksAction) ConfigPath() config.Path { return a.cfgPath }
func (a *luksAction) Describe() string {
	return fmt.Sprintf("LUKS volume %s on %s", a.luks.Name, deref(a.luks.Device))
}

// luksFormatArgs is the cryptsetup command that formats l with the key in keyFile.
func luksFormatArgs(l *config.Luks, dev, keyFile string) []string {
	argv := []string{"cryptsetup", "luksFormat", "--type", "luks2", "--batch-mode", "--key-file", keyFile}
	if l.Label != nil {
		argv = append(argv, "--label", *l.Label)
	}
	if l.UUID != nil {
		argv = append(argv, "--uuid", *l.UUID)
	}
	argv = append(argv, l.Options...)
	return append(argv, dev)
}

// luksOpenArgs is the cryptsetup command that opens l as /dev/mapper/<name>.
func luksOpenArgs(l *config.Luks, dev, keyFile string) []string {
	argv := []string{"cryptsetup", "luksOpen", dev, l.Name, "--key-file", keyFile, "--persistent"}
	if deref(l.Discard) {
		argv = append(argv, "--allow-discards")
	}
	return append(argv, l.OpenOptions...)
}

func (a *luksAction) Apply(ctx context.Context, env *Env) error {
	l := a.luks
	dev := env.partitionNode(deref(l.Device))
	if err := env.waitDevice(ctx, dev); err != nil {
		return err
	}
	key, err := a.key(ctx, env)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(env.StateDir, luksKeysDir, l.Name)
	if err := writeAtomic(keyFile, key, 0o600); err != nil {
		return err
	}
	found, err := fsprobe.ProbeFile(dev)
	if err != nil && !errors.Is(err, fsprobe.ErrAmbiguous) {
		return err
	}
	reuse := found.Type == "crypto_LUKS" && !deref(l.WipeVolume)
	if !reuse {
		if found.Type != "" && !deref(l.WipeVolume) {
			return fmt.Errorf("%w: %s holds %s", ErrLuksFound, dev, found.Type)
		}
		if _, _, err := env.runner().Run(ctx, luksFormatArgs(l, dev, keyFile)); err != nil {
			return err
		}
	}
	if _, _, err := env.runner().Run(ctx, luksOpenArgs(l, dev, keyFile)); err != nil {
		return err
	}
	if err := a.bindClevis(ctx, env, dev, keyFile); err != nil {
		return err
	}
	return env.waitDevice(ctx, "/dev/mapper/"+l.Name)
}

// key is the config's key file, or a new random key.
func (a *luksAction) key(ctx context.Context, env *Env) ([]byte, error) {
	if a.luks.KeyFile.Source != nil {
		return env.Resources.Get(ctx, &a.luks.KeyFile)
	}
	raw := make([]byte, 4096)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(raw)), nil
}

// bindClevis binds the volume to tang servers, the TPM2 or a custom pin.
func (a *luksAction) bindClevis(ctx context.Context, env *Env, dev, keyFile string) error {
	c := a.luks.Clevis
	var pin, cfg string
	switch {
	case c.Custom.Pin != nil:
		pin, cfg = *c.Custom.Pin, deref(c.Custom.Config)
	case len(c.Tang) > 0 || deref(c.Tpm2):
		pins := map[string]any{}
		var tangs []map[string]any
		for _, t := range c.Tang {
			entry := map[string]any{"url": t.URL, "thp": deref(t.Thumbprint)}
			if t.Advertisement != nil {
				entry["adv"] = json.RawMessage(*t.Advertisement)
			}
			tangs = append(tangs, entry)
		}
		if len(tangs) > 0 {
			pins["tang"] = tangs
		}
		if deref(c.Tpm2) {
			pins["tpm2"] = map[string]any{}
		}
		threshold := 1
		if c.Threshold != nil {
			threshold = *c.Threshold
		}
		b, err := json.Marshal(map[string]any{"t": threshold, "pins": pins})
		if err != nil {
			return err
		}
		pin, cfg = "sss", string(b)
	default:
		return nil
	}
	_, _, err := env.runner().Run(ctx, []string{"clevis", "luks", "bind", "-f", "-k", keyFile, "-d", dev, pin, cfg})
	return err
}

// planCrypttab writes /etc/crypttab and the key files of volumes without clevis into the
// target, in the files stage.
func planCrypttab(env *Env, c *config.Config) []Action {
	if len(c.Storage.Luks) == 0 {
		return nil
	}
	return []Action{&crypttabAction{luks: c.Storage.Luks}}
}

type crypttabAction struct{ luks []config.Luks }

func (a *crypttabAction) Describe() string {
	return fmt.Sprintf("write /etc/crypttab (%d volume(s)) and key files", len(a.luks))
}

func (a *crypttabAction) Apply(_ context.Context, env *Env) error {
	var tab []byte
	for _, l := range a.luks {
		found, err := fsprobe.ProbeFile(deref(l.Device))
		if err != nil {
			return err
		}
		keyRef := "none"
		clevis := l.Clevis.Custom.Pin != nil || len(l.Clevis.Tang) > 0 || deref(l.Clevis.Tpm2)
		if !clevis {
			key, err := os.ReadFile(filepath.Join(env.StateDir, luksKeysDir, l.Name))
			if err != nil {
				return err
			}
			keyRef = "/etc/luks/" + l.Name
			if _, err := env.Root.MkdirAll("/etc/luks", 0o700); err != nil {
				return err
			}
			if err := env.Root.WriteFile(keyRef, key, 0o600, 0, 0); err != nil {
				return err
			}
		}
		opts := "luks"
		if len(l.Clevis.Tang) > 0 || deref(l.Clevis.Custom.NeedsNetwork) {
			opts += ",_netdev"
		}
		if deref(l.Discard) {
			opts += ",discard"
		}
		tab = fmt.Appendf(tab, "%s UUID=%s %s %s\n", l.Name, found.UUID, keyRef, opts)
	}
	return env.Root.WriteFile("/etc/crypttab", tab, 0o600, 0, 0)
}
