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

// The aws preset follows the throttling page's table: figures per category,
// and the actions of one category share its bucket (25 DescribeServices and
// 75 ListServices empty "Service read actions", 100 deep), while another
// category keeps its tokens.
func TestAWSRateLimitsPreset(t *testing.T) {
	l := AWSRateLimits()
	for op, want := range map[string]RateLimit{
		"ECS.DescribeServices":       {20, 100, "Service read actions"},
		"ECS.UpdateService":          {5, 50, "Service modify actions"},
		"ECS.RegisterTaskDefinition": {1, 20, "Task definition modify actions"},
		"ECS.DescribeTaskDefinition": {20, 50, "Task definition read actions"},
		"ECS.DescribeTasks":          {20, 100, "Cluster resource read actions"},
		"ECS.RunTask":                {40, 100, "Cluster resource modify actions"},
		"ECS.DescribeClusters":       {20, 50, "Cluster read actions"},
		"ECS.CreateTaskSet":          {1, 5, ""},
		"ECS.*":                      {20, 50, ""},
	} {
		if l[op] != want {
			t.Errorf("%s: %+v, want %+v", op, l[op], want)
		}
	}
	f := NewFaults(1)
	for p, lim := range l {
		f.SetRateLimit(p, lim)
	}
	served := func(op string, n int) (ok int) {
		for i := 0; i < n; i++ {
			if !f.decide("ECS", op).throttle {
				ok++
			}
		}
		return ok
	}
	// Refill adds a few tokens while the loop runs; the bucket cannot pass
	// much more than its 100.
	if n := served("DescribeServices", 25) + served("ListServices", 100); n < 100 || n > 105 {
		t.Errorf("DescribeServices and ListServices share a bucket of 100: %d of 125 served", n)
	}
	if n := served("DescribeTasks", 100); n != 100 {
		t.Errorf("DescribeTasks has its category's bucket: %d of 100 served", n)
	}
	if _, err := ParseRateLimits("ECS.DescribeServices=20/50"); err != nil {
		t.Error(err)
	}
	if m, err := ParseRateLimits("ECS.*=off"); err != nil || m["ECS.*"] != (RateLimit{}) {
		t.Errorf("off: %v %v", m, err)
	}
}
