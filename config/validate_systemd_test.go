package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateSystemdThroughParse(t *testing.T) {
	const up = "$.systemd.units"
	units := func(list string) string { return `"systemd":{"units":[` + list + `]}` }
	cases := []specCase{
		{name: "service with install", members: units(`{"name":"a.service","enabled":true,"contents":"[Unit]\nDescription=a\n[Install]\nWantedBy=multi-user.target\n"}`)},
		{name: "every unit type", members: units(`{"name":"a.socket"},{"name":"a.device"},{"name":"a.mount"},` +
			`{"name":"a.automount"},{"name":"a.swap"},{"name":"a.target"},{"name":"a.path"},{"name":"a.timer"},` +
			`{"name":"a.snapshot"},{"name":"a.slice"},{"name":"a.scope"}`)},
		{name: "bad extension", members: units(`{"name":"a.conf"}`),
			want: []string{"error " + up + ".0.name UnitExtension"}},
		{name: "no extension", members: units(`{"name":"a"}`),
			want: []string{"error " + up + ".0.name UnitExtension"}},
		{name: "unparsable contents", members: units(`{"name":"a.service","contents":"[Unit"}`),
			want: []string{"error " + up + ".0.contents UnitContent"}},
		{name: "enabled without install", members: units(`{"name":"a.service","enabled":true,"contents":"[Unit]\nDescription=a\n"}`),
			want: []string{"warning " + up + ".0.contents NoInstallSection"}},
		{name: "enabled with empty install", members: units(`{"name":"a.service","enabled":true,"contents":"[Install]\n"}`),
			want: []string{"warning " + up + ".0.contents NoInstallSection"}},
		{name: "disabled without install", members: units(`{"name":"a.service","enabled":false,"contents":"[Unit]\nA=b"}`)},
		{name: "enabled with empty contents", members: units(`{"name":"a.service","enabled":true,"contents":""}`)},
		{name: "enabled without contents", members: units(`{"name":"a.service","enabled":true}`)},
		{name: "enabled, unparsable, no warning", members: units(`{"name":"a.service","enabled":true,"contents":"[Unit]\nx"}`),
			want: []string{"error " + up + ".0.contents UnitContent"}},
		{name: "instance of template without install",
			members: units(`{"name":"t@.service","contents":"[Unit]\nA=b"},{"name":"t@x.service","enabled":true}`),
			want:    []string{"warning " + up + ".1.contents TemplateNoInstall"}},
		{name: "instance of template with install",
			members: units(`{"name":"t@.service","contents":"[Install]\nWantedBy=a.target"},{"name":"t@x.service","enabled":true}`)},
		{name: "disabled instance of template without install",
			members: units(`{"name":"t@.service","contents":"[Unit]\nA=b"},{"name":"t@x.service","enabled":false}`)},
		{name: "instance of unparsable template",
			members: units(`{"name":"t@.service","contents":"[Unit"},{"name":"t@x.service","enabled":true}`),
			want:    []string{"error " + up + ".0.contents UnitContent"}},
		{name: "instance of template not in the config", members: units(`{"name":"t@x.service","enabled":true}`)},
		{name: "socket instance is not checked",
			members: units(`{"name":"t@.socket","contents":"[Unit]\nA=b"},{"name":"t@x.socket","enabled":true}`)},
		{name: "dropin", members: units(`{"name":"a.service","dropins":[{"name":"10-a.conf","contents":"[Service]\nX=y"}]}`)},
		{name: "dropin bad extension", members: units(`{"name":"a.service","dropins":[{"name":"10-a.service"}]}`),
			want: []string{"error " + up + ".0.dropins.0.name DropinExtension"}},
		{name: "dropin unparsable", members: units(`{"name":"a.service","dropins":[{"name":"a.conf","contents":"[Service] x"}]}`),
			want: []string{"error " + up + ".0.dropins.0.contents UnitContent"}},
		{name: "line too long", members: units(`{"name":"a.service","contents":"[Unit]\nA=` + strings.Repeat("x", 2100) + `"}`),
			want: []string{"error " + up + ".0.contents UnitContent"}},
	}
	runSpecCases(t, cases)
}

func TestValidateSystemdMessages(t *testing.T) {
	in := doc(Newest, `"systemd":{"units":[`+
		`{"name":"t@.service","contents":"[Unit]\nA=b"},`+
		`{"name":"t@x.service","enabled":true},`+
		`{"name":"b.service","enabled":true,"contents":"[Unit]\nA=b"},`+
		`{"name":"c.service","contents":"[Unit"}]}`)
	_, rep := Parse("c.ign", []byte(in))
	tests := []struct {
		err  error
		want string
	}{
		{ErrTemplateNoInstall, `template unit "t@.service" for "t@x.service" doesn't have Install section`},
		{ErrNoInstallSection, `unit "b.service" is enabled, but has no install section so enable does nothing`},
		{ErrUnitContent, `invalid unit content: unable to find end of section`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			d := findDiag(rep, tc.err)
			if d == nil {
				t.Fatalf("Parse(%s) has no %v diagnostic: %v", in, tc.err, rep)
			}
			if d.Message() != tc.want {
				t.Errorf("Parse(...) message = %q, want %q", d.Message(), tc.want)
			}
		})
	}
	if d := findDiag(rep, ErrUnitContent); d == nil || !errors.Is(d.Err, ErrUnitSectionEnd) {
		t.Errorf("Parse(...) unit content error does not wrap ErrUnitSectionEnd: %v", d)
	}
}

func TestTemplateUnit(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"foo@bar.service", "foo@.service", true},
		{"foo@bar@baz.service", "foo@.service", true},
		{"a@@.service", "a@.service", true},
		{"@a@b.service", "@a@.service", true},
		{"foo@.service", "", false},
		{"@bar.service", "", false},
		{"foo.service", "", false},
		{"foo@bar.socket", "", false},
		{"fo\no@bar.service", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := templateUnit(tc.name)
			if got != tc.want || ok != tc.ok {
				t.Errorf("templateUnit(%q) = %q, %v, want %q, %v", tc.name, got, ok, tc.want, tc.ok)
			}
		})
	}
}
