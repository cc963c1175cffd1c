package fromcompose

import "testing"

func TestFargateSize(t *testing.T) {
	cases := []struct {
		cpu, mem, needCPU, needMem int64
		wantCPU, wantMem           int64
		ok                         bool
	}{
		{0, 0, 0, 0, 256, 512, true},
		{0, 0, 100, 600, 256, 1024, true},
		{0, 0, 300, 600, 512, 1024, true},
		{0, 0, 0, 2100, 512, 3072, true},
		{1024, 0, 0, 0, 1024, 2048, true},
		{0, 4096, 0, 0, 512, 4096, true},
		{0, 512, 300, 0, 0, 0, false},       // 512 MiB exists only with 256 units
		{0, 0, 0, 200000, 0, 0, false},      // beyond the largest size
		{0, 16384, 0, 0, 2048, 16384, true}, // 1024 units stop at 8 GiB
	}
	for _, tc := range cases {
		c, m, ok := fargateSize(tc.cpu, tc.mem, tc.needCPU, tc.needMem)
		if c != tc.wantCPU || m != tc.wantMem || ok != tc.ok {
			t.Errorf("fargateSize(%d, %d, %d, %d) = %d, %d, %v; want %d, %d, %v", tc.cpu, tc.mem, tc.needCPU, tc.needMem, c, m, ok, tc.wantCPU, tc.wantMem, tc.ok)
		}
	}
	if fargateSizeError(512, 4096) != "" || fargateSizeError(512, 512) == "" || fargateSizeError(300, 1024) == "" {
		t.Error("fargateSizeError")
	}
}

func TestUnits(t *testing.T) {
	for in, want := range map[string]int64{"256": 256, "1 vCPU": 1024, "0.25 vcpu": 256, "2vCPU": 2048} {
		if got, err := parseTaskCPU(in); err != nil || got != want {
			t.Errorf("parseTaskCPU(%q) = %d, %v", in, got, err)
		}
	}
	for in, want := range map[string]int64{"512": 512, "0.5GB": 512, "2 GB": 2048, "1024MiB": 1024, "1g": 1024} {
		if got, err := parseTaskMemory(in); err != nil || got != want {
			t.Errorf("parseTaskMemory(%q) = %d, %v", in, got, err)
		}
	}
	for in, want := range map[string]int32{"524288000": 500, "512m": 512, "0.5g": 512, "1000000": 1} {
		if got, err := parseContainerMemory(in); err != nil || got != want {
			t.Errorf("parseContainerMemory(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"lots", "-1", "0"} {
		if _, err := parseTaskCPU(bad); err == nil {
			t.Errorf("parseTaskCPU(%q) accepted", bad)
		}
		if _, err := parseTaskMemory(bad); err == nil {
			t.Errorf("parseTaskMemory(%q) accepted", bad)
		}
	}
}
