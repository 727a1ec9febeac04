package cmdline

import "testing"

func TestParse(t *testing.T) {
	c := Parse(`BOOT_IMAGE=/vmlinuz root=LABEL=ROOT ro flint.firstboot flint.config.url="http://10.0.2.2:8080/a b.ign" x=1 x=2 quiet=0 -- init.arg=9` + "\n")
	for _, tc := range []struct {
		name string
		keys []string
		want string
		ok   bool
	}{
		{"value with '='", []string{"root"}, "LABEL=ROOT", true},
		{"quoted value", []string{"flint.config.url"}, "http://10.0.2.2:8080/a b.ign", true},
		{"last wins", []string{"x"}, "2", true},
		{"alias order", []string{"ignition.config.url", "flint.config.url"}, "http://10.0.2.2:8080/a b.ign", true},
		{"missing", []string{"nope"}, "", false},
		{"after --", []string{"init.arg"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := c.Get(tc.keys...); got != tc.want || ok != tc.ok {
				t.Errorf("Get(%q) = %q, %v, want %q, %v", tc.keys, got, ok, tc.want, tc.ok)
			}
		})
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{{"flint.firstboot", true}, {"ro", true}, {"quiet", false}, {"x", true}, {"nope", false}} {
		if got := c.Truthy(tc.key); got != tc.want {
			t.Errorf("Truthy(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
	for _, v := range []string{"0", "no", "off", "false", "", "OFF"} {
		if Parse("ignition.firstboot=" + v).Truthy("ignition.firstboot") {
			t.Errorf("ignition.firstboot=%q is truthy", v)
		}
	}
	if !Parse("ignition.firstboot=1").Truthy("flint.firstboot", "ignition.firstboot") {
		t.Errorf("alias not honoured")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`a=b "c d"=e f="g h" i`)
	f.Add(`flint.config.url="http://x/"y z`)
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(s)
		for k, v := range c.values {
			if got, ok := c.Get(k); !ok || got != v {
				t.Fatalf("Get(%q) = %q, %v", k, got, ok)
			}
			if c.flags[k] {
				t.Fatalf("%q is both a flag and a value", k)
			}
		}
	})
}
