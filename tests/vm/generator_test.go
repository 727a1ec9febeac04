package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runGenerator runs dracut/flint-generator against a command line and returns the units it
// made required (as "target -> unit") and the environment file it wrote.
func runGenerator(t *testing.T, cmdline string) ([]string, string) {
	t.Helper()
	dir := t.TempDir()
	cmdlinePath := filepath.Join(dir, "cmdline")
	if err := os.WriteFile(cmdlinePath, []byte(cmdline+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "generator")
	envFile := filepath.Join(dir, "run", "flint.env")
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, filepath.Join("..", "..", "dracut", "flint-generator"), out, out+".early", out+".late")
	// Only the tools the module installs for its scripts are on PATH, as in the initramfs.
	cmd.Env = []string{"PATH=" + initramfsTools(t), "FLINT_KERNEL_CMDLINE_PATH=" + cmdlinePath, "FLINT_ENV_FILE=" + envFile}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("flint-generator with %q: %v\n%s", cmdline, err, b)
	}
	links, _ := filepath.Glob(filepath.Join(out, "*.requires", "*"))
	var got []string
	for _, l := range links {
		target := strings.TrimSuffix(filepath.Base(filepath.Dir(l)), ".requires")
		dest, err := os.Readlink(l)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(dest) != filepath.Base(l) {
			t.Errorf("link %s points to %s", l, dest)
		}
		got = append(got, target+" -> "+filepath.Base(l))
	}
	env, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	return got, string(env)
}

// initramfsTools returns a directory holding links to just the tools module-setup.sh installs
// for the module's scripts (its `inst_multiple cat ...` line).
func initramfsTools(t *testing.T) string {
	t.Helper()
	setup, err := os.ReadFile(filepath.Join("..", "..", "dracut", "module-setup.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*inst_multiple (cat .*)$`).FindSubmatch(setup)
	if m == nil {
		t.Fatal("module-setup.sh has no `inst_multiple cat ...` line for the scripts' tools")
	}
	dir := t.TempDir()
	for _, tool := range strings.Fields(string(m[1])) {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGenerator(t *testing.T) {
	firstBoot := []string{
		"flint-complete.target -> flint-diskful.target",
		"initrd.target -> flint-complete.target",
	}
	subsequent := []string{
		"flint-subsequent.target -> flint-diskful-subsequent.target",
		"initrd.target -> flint-subsequent.target",
	}
	tests := []struct {
		name     string
		cmdline  string
		want     []string
		platform string
	}{
		{"bare flag", "console=ttyS0 flint.firstboot flint.platform.id=qemu", firstBoot, "qemu"},
		{"ignition spellings", "ignition.firstboot ignition.platform.id=aws", firstBoot, "aws"},
		{"value 1", "flint.firstboot=1 flint.platform.id=metal", firstBoot, "metal"},
		{"any other value", "flint.firstboot=yes", firstBoot, ""},
		{"value 0", "flint.firstboot=0 flint.platform.id=qemu", subsequent, "qemu"},
		{"value no", "flint.firstboot=no", subsequent, ""},
		{"value off", "ignition.firstboot=off", subsequent, ""},
		{"empty value", "flint.firstboot=", subsequent, ""},
		{"absent", "root=LABEL=ROOT rw flint.platform.id=qemu", subsequent, "qemu"},
		{"longer key is not the flag", "flint.firstbootx flint.firstboot.bootlabel=boot", subsequent, ""},
		{"last occurrence wins: off", "flint.firstboot flint.firstboot=0", subsequent, ""},
		{"last occurrence wins across spellings", "ignition.firstboot=0 flint.firstboot", firstBoot, ""},
		{"platform: last occurrence wins", "flint.platform.id=qemu ignition.platform.id=metal", subsequent, "metal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, env := runGenerator(t, tt.cmdline)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flint-generator(%q) required units (-want +got):\n%s", tt.cmdline, diff)
			}
			if wantEnv := "PLATFORM_ID=" + tt.platform + "\n"; env != wantEnv {
				t.Errorf("flint-generator(%q) wrote %q, want %q", tt.cmdline, env, wantEnv)
			}
		})
	}
}

var unitRefRE = regexp.MustCompile(`\bflint-[a-z-]+(@)?\.(service|target)\b`)

// TestModuleUnits checks the module's files against each other: every flint unit a unit or the
// generator names exists, module-setup.sh installs every unit, and every stage unit runs its
// stage with the platform from the generator's environment file.
func TestModuleUnits(t *testing.T) {
	dir := filepath.Join("..", "..", "dracut")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext == ".service" || ext == ".target" {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			units[e.Name()] = string(b)
		}
	}
	setup, err := os.ReadFile(filepath.Join(dir, "module-setup.sh"))
	if err != nil {
		t.Fatal(err)
	}
	generator, err := os.ReadFile(filepath.Join(dir, "flint-generator"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range units {
		if !strings.Contains(string(setup), name) {
			t.Errorf("module-setup.sh does not install %s", name)
		}
		for _, ref := range unitRefRE.FindAllString(text, -1) {
			if _, ok := units[ref]; !ok {
				t.Errorf("%s names %s, which the module does not have", name, ref)
			}
		}
	}
	for _, ref := range unitRefRE.FindAllString(string(generator), -1) {
		if _, ok := units[ref]; !ok {
			t.Errorf("flint-generator names %s, which the module does not have", ref)
		}
	}
	for _, stage := range []string{"fetch-offline", "fetch", "kargs", "disks", "mount", "files"} {
		name := "flint-" + stage + ".service"
		text, ok := units[name]
		if !ok {
			t.Errorf("no unit for stage %s", stage)
			continue
		}
		for _, want := range []string{
			"ExecStart=/usr/bin/flint apply --root /sysroot --platform ${PLATFORM_ID} --stage " + stage + "\n",
			"EnvironmentFile=/run/flint.env\n",
			"Type=oneshot\n", "RemainAfterExit=yes\n", "DefaultDependencies=false\n",
			"ConditionPathExists=/etc/initrd-release\n",
			"OnFailure=flint-failure@%N.service\n",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, strings.TrimSpace(want))
			}
		}
	}
	if !strings.Contains(units["flint-mount.service"], "--stage umount\n") {
		t.Errorf("flint-mount.service does not unmount (ExecStop ... --stage umount)")
	}
	if !strings.Contains(units["flint-fetch.service"], "ConditionPathExists=/run/flint/neednet\n") {
		t.Errorf("flint-fetch.service runs without /run/flint/neednet")
	}
	for _, want := range []string{"initrd-root-device.target", "sysroot.mount"} {
		if !regexp.MustCompile(`(?m)^Before=.*\b` + regexp.QuoteMeta(want)).MatchString(units["flint-disks.service"]) {
			t.Errorf("flint-disks.service is not ordered before %s", want)
		}
	}
	// A stage must not start after the one before it failed: the failure unit prints its
	// report before it isolates emergency.target, and meanwhile a later stage would run (a
	// failed fetch leaves the config cached, so disks would partition from it).
	stageOrder := []string{"fetch-offline", "fetch", "kargs", "disks", "mount", "files"}
	for i := 1; i < len(stageOrder); i++ {
		name, prev := "flint-"+stageOrder[i]+".service", "flint-"+stageOrder[i-1]+".service"
		if !regexp.MustCompile(`(?m)^Requires=.*\b` + regexp.QuoteMeta(prev)).MatchString(units[name]) {
			t.Errorf("%s does not require %s", name, prev)
		}
	}
	if !regexp.MustCompile(`(?m)^Before=initrd-parse-etc\.service`).MatchString(units["flint-files.service"]) {
		t.Errorf("flint-files.service is not ordered before initrd-parse-etc.service")
	}
}
