package pxe

import (
	"errors"
	"testing"
)

func TestNormalizeLabels(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   map[string]string
		want Labels
		err  error
	}{
		{"hexhyp MAC", map[string]string{"mac": "52-54-00-12-34-AB"}, Labels{"mac": "52:54:00:12:34:ab"}, nil},
		{"upper colon MAC", map[string]string{"mac": "52:54:00:12:34:AB"}, Labels{"mac": "52:54:00:12:34:ab"}, nil},
		{"UUID lower-cased", map[string]string{"uuid": "ABCD-EF"}, Labels{"uuid": "abcd-ef"}, nil},
		{"empty values dropped", map[string]string{"hostname": "", "serial": " ", "arch": "x86_64"}, Labels{"arch": "x86_64"}, nil},
		{"keys lower-cased", map[string]string{"Rack": "7"}, Labels{"rack": "7"}, nil},
		{"invalid MAC", map[string]string{"mac": "nope"}, nil, ErrInvalidMAC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeLabels(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("NormalizeLabels(%v) error = %v, want %v", tc.in, err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("NormalizeLabels(%v) = %v, want %v", tc.in, got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("NormalizeLabels(%v) = %v, want %v", tc.in, got, tc.want)
				}
			}
		})
	}
}

func TestSelectGroup(t *testing.T) {
	groups := []Group{
		{ID: "zdefault", Profile: "p"},
		{ID: "default", Profile: "p"},
		{ID: "rack7", Profile: "p", Selector: map[string]string{"rack": "7"}},
		{ID: "efi", Profile: "p", Selector: map[string]string{"platform": "efi"}},
		{ID: "b-efi-rack7", Profile: "p", Selector: map[string]string{"rack": "7", "platform": "efi"}},
		{ID: "a-efi-rack7", Profile: "p", Selector: map[string]string{"rack": "7", "platform": "efi"}},
		{ID: "node1", Profile: "p", Selector: map[string]string{"mac": "52-54-00-00-00-01"}},
		{ID: "node1-installed", Profile: "p", Selector: map[string]string{"mac": "52:54:00:00:00:01", "os": "installed"}},
	}
	for i := range groups {
		if err := normalizeGroup(&groups[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"nothing specific: first default by id", map[string]string{"mac": "52:54:00:00:00:09"}, "default"},
		{"one selector", map[string]string{"rack": "7", "platform": "pcbios"}, "rack7"},
		{"two selectors beat one", map[string]string{"rack": "7", "platform": "efi"}, "a-efi-rack7"},
		{"MAC in hexhyp form matches colon selector", map[string]string{"mac": "52-54-00-00-00-01"}, "node1"},
		{"MAC upper case", map[string]string{"mac": "52:54:00:00:00:01"}, "node1"},
		{"free label makes it more specific", map[string]string{"mac": "52-54-00-00-00-01", "os": "installed"}, "node1-installed"},
		{"empty label value does not match", map[string]string{"rack": ""}, "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NormalizeLabels(tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			// The order of the groups must not matter.
			for _, order := range [][]Group{groups, reversed(groups)} {
				g, err := SelectGroup(order, l)
				if err != nil {
					t.Fatalf("SelectGroup(%v) error %v", l, err)
				}
				if g.ID != tc.want {
					t.Errorf("SelectGroup(%v) = %s, want %s", l, g.ID, tc.want)
				}
			}
		})
	}
	t.Run("no default", func(t *testing.T) {
		_, err := SelectGroup(groups[2:], Labels{"rack": "8"})
		if !errors.Is(err, ErrNoGroup) {
			t.Errorf("SelectGroup(rack=8) error = %v, want %v", err, ErrNoGroup)
		}
	})
}

func reversed(gs []Group) []Group {
	out := make([]Group, len(gs))
	for i, g := range gs {
		out[len(gs)-1-i] = g
	}
	return out
}

func TestCheckData(t *testing.T) {
	for _, tc := range []struct {
		name     string
		groups   []Group
		profiles []Profile
		want     error
	}{
		{"consistent", []Group{{ID: "g", Profile: "p"}}, []Profile{{ID: "p", Kernel: "/k"}}, nil},
		{"unknown profile", []Group{{ID: "g", Profile: "q"}}, []Profile{{ID: "p", Kernel: "/k"}}, ErrNoProfile},
		{"duplicate group", []Group{{ID: "g", Profile: "p"}, {ID: "g", Profile: "p"}}, []Profile{{ID: "p", Kernel: "/k"}}, ErrDuplicateID},
		{"duplicate profile", nil, []Profile{{ID: "p", Kernel: "/k"}, {ID: "p", Kernel: "/k"}}, ErrDuplicateID},
		{"no kernel", nil, []Profile{{ID: "p"}}, ErrMissingField},
		{"bad delivery", nil, []Profile{{ID: "p", Kernel: "/k", ConfigDelivery: "floppy"}}, ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkData(tc.groups, tc.profiles)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("checkData() = %v, want %v", err, tc.want)
			}
		})
	}
}
