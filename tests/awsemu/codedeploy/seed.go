package codedeploy

import (
	"encoding/json"
	"fmt"
	"time"

	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// Seed is the `codedeploy:` section of a seed file. Applications and
// deployment groups are CreateApplication and CreateDeploymentGroup inputs
// (JSON members as the API spells them); they are created as through the
// API, so the ECS services they name must exist (the seed applies ECS first).
type Seed struct {
	Applications     []json.RawMessage `json:"applications,omitempty" yaml:"applications,omitempty"`
	DeploymentGroups []json.RawMessage `json:"deploymentGroups,omitempty" yaml:"deploymentGroups,omitempty"`
	// Hooks are the reports of hook functions, by function name: the older
	// convention, kept as an alias of functions created in the emulated
	// Lambda (whose environment decides; see the package awsemu README).
	Hooks map[string]HookResult `json:"hooks,omitempty" yaml:"hooks,omitempty"`
	// Timings are Go durations: {event: 1s, hook: 2s, hookTimeout: 1h}.
	Timings *struct {
		Event       string `json:"event,omitempty" yaml:"event,omitempty"`
		Hook        string `json:"hook,omitempty" yaml:"hook,omitempty"`
		HookTimeout string `json:"hookTimeout,omitempty" yaml:"hookTimeout,omitempty"`
	} `json:"timings,omitempty" yaml:"timings,omitempty"`
}

// ApplySeed loads seed; errors name the entry that failed.
func (s *Service) ApplySeed(seed *Seed) error {
	if seed == nil {
		return nil
	}
	if t := seed.Timings; t != nil {
		var tm Timings
		for _, f := range []struct {
			name, v string
			dst     *time.Duration
		}{{"event", t.Event, &tm.Event}, {"hook", t.Hook, &tm.Hook}, {"hookTimeout", t.HookTimeout, &tm.HookTimeout}} {
			if f.v == "" {
				continue
			}
			d, err := time.ParseDuration(f.v)
			if err != nil {
				return fmt.Errorf("timings.%s: %w", f.name, err)
			}
			*f.dst = d
		}
		s.SetTimings(tm)
	}
	for name, r := range seed.Hooks {
		if r.Status != "Succeeded" && r.Status != "Failed" {
			return fmt.Errorf("hooks.%s.status: %q is neither Succeeded nor Failed", name, r.Status)
		}
		s.SetHookResult(name, r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.srv.Now()
	for i, raw := range seed.Applications {
		var in cd.CreateApplicationInput
		if err := core.WireDecode(raw, &in); err != nil {
			return fmt.Errorf("applications[%d]: %w", i, err)
		}
		if _, err := s.createApplication(&in, now); err != nil {
			return fmt.Errorf("applications[%d]: %w", i, err)
		}
	}
	for i, raw := range seed.DeploymentGroups {
		var in cd.CreateDeploymentGroupInput
		if err := core.WireDecode(raw, &in); err != nil {
			return fmt.Errorf("deploymentGroups[%d]: %w", i, err)
		}
		if _, err := s.createDeploymentGroup(&in, now); err != nil {
			return fmt.Errorf("deploymentGroups[%d]: %w", i, err)
		}
	}
	return nil
}
