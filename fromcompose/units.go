package fromcompose

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

const mib = 1 << 20

// mibOf turns bytes into MiB for ECS, rounding up so a limit never shrinks.
func mibOf(bytes int64) int32 {
	return int32((bytes + mib - 1) / mib)
}

// parseContainerMemory reads ecs-params' per-container mem_limit and
// mem_reservation as ecs-cli did: a plain number is bytes, otherwise a
// Docker size such as 512m or 0.5g.
func parseContainerMemory(s string) (int32, error) {
	b, err := units.RAMInBytes(s)
	if err != nil || b <= 0 {
		return 0, fmt.Errorf("%q is not a memory size (bytes, or e.g. 512m, 1g)", s)
	}
	return mibOf(b), nil
}

// parseTaskMemory reads task_size.mem_limit as ECS reads task memory: a
// plain number is MiB, otherwise a size with a unit (0.5GB, 512MiB).
func parseTaskMemory(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	b, err := units.RAMInBytes(strings.ReplaceAll(t, " ", ""))
	if err != nil || b <= 0 {
		return 0, fmt.Errorf("%q is not a memory size (MiB, or e.g. 0.5GB, 2GB)", s)
	}
	return (b + mib - 1) / mib, nil
}

// parseTaskCPU reads task_size.cpu_limit: CPU units (256) or vCPU (0.25 vCPU).
func parseTaskCPU(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if v, ok := strings.CutSuffix(t, "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("%q is not a CPU size (units such as 256, or 0.25 vCPU)", s)
		}
		return int64(math.Round(f * 1024)), nil
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a CPU size (units such as 256, or 0.25 vCPU)", s)
	}
	return n, nil
}

// fargateSizes are the task cpu/memory pairs Fargate accepts (Linux).
var fargateSizes = []struct {
	cpu              int64
	min, max, stepMi int64
	extra            []int64
}{
	{256, 1024, 2048, 1024, []int64{512}},
	{512, 1024, 4096, 1024, nil},
	{1024, 2048, 8192, 1024, nil},
	{2048, 4096, 16384, 1024, nil},
	{4096, 8192, 30720, 1024, nil},
	{8192, 16384, 61440, 4096, nil},
	{16384, 32768, 122880, 8192, nil},
}

func fargateMemories(cpu int64) []int64 {
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		out := append([]int64{}, s.extra...)
		for m := s.min; m <= s.max; m += s.stepMi {
			out = append(out, m)
		}
		return out
	}
	return nil
}

// fargateSize picks the smallest Fargate size, keeping a given cpu or
// memory (non-zero) and holding at least needCPU and needMem.
func fargateSize(cpu, mem, needCPU, needMem int64) (int64, int64, bool) {
	for _, s := range fargateSizes {
		if (cpu != 0 && s.cpu != cpu) || s.cpu < needCPU {
			continue
		}
		for _, m := range fargateMemories(s.cpu) {
			if (mem != 0 && m != mem) || m < needMem {
				continue
			}
			return s.cpu, m, true
		}
	}
	return 0, 0, false
}

func fargateSizeError(cpu, mem int64) string {
	ms := fargateMemories(cpu)
	if ms == nil {
		return fmt.Sprintf("cpu %d is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)", cpu)
	}
	for _, m := range ms {
		if m == mem {
			return ""
		}
	}
	return fmt.Sprintf("cpu %d with memory %d MiB is not a Fargate size (cpu %d takes %d to %d MiB)", cpu, mem, cpu, ms[0], ms[len(ms)-1])
}
