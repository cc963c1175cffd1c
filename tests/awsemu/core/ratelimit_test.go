package core

import "testing"

// An "ECS.*" limit gives each operation a bucket of its own, as AWS sizes per
// action; a more specific limit wins; Clear removes them.
func TestRateLimitBucketsPerOperation(t *testing.T) {
	f := NewFaults(1)
	f.SetRateLimit("ecs.*", RateLimit{Rate: 0.001, Burst: 2})
	f.SetRateLimit("ECS.ListTasks", RateLimit{Rate: 0.001, Burst: 1})
	got := func(op string) (served int) {
		for i := 0; i < 3; i++ {
			if !f.decide("ECS", op).throttle {
				served++
			}
		}
		return served
	}
	if n := got("DescribeServices"); n != 2 {
		t.Errorf("DescribeServices: %d of 3 served through a bucket of 2", n)
	}
	if n := got("UpdateService"); n != 2 {
		t.Errorf("UpdateService has a bucket of its own: %d of 3 served", n)
	}
	if n := got("ListTasks"); n != 1 {
		t.Errorf("ListTasks' own limit wins: %d of 3 served", n)
	}
	if f.decide("SSM", "GetParameter").throttle {
		t.Error("other services are not limited")
	}
	f.Clear()
	if f.decide("ECS", "DescribeServices").throttle {
		t.Error("Clear must remove the limits")
	}
}

func TestAWSRateLimitsPreset(t *testing.T) {
	l := AWSRateLimits()
	for op, want := range map[string]RateLimit{
		"ECS.DescribeServices": {20, 50}, "ECS.UpdateService": {5, 15}, "ECS.RegisterTaskDefinition": {1, 5}, "ECS.RunTask": {20, 100}, "ECS.*": {20, 50},
	} {
		if l[op] != want {
			t.Errorf("%s: %+v, want %+v", op, l[op], want)
		}
	}
	if _, err := ParseRateLimits("ECS.DescribeServices=20/50"); err != nil {
		t.Error(err)
	}
	if m, err := ParseRateLimits("ECS.*=off"); err != nil || m["ECS.*"] != (RateLimit{}) {
		t.Errorf("off: %v %v", m, err)
	}
}
