package deploy

import "time"

// SharedPolls is an ECSAPI that serves the waiters' single-service
// DescribeServices calls from poll rounds shared by every service it waits
// on (ecsbatch.Batcher, one polling loop per cluster). A poll there costs a
// share of a call, up to ten services a call, and its answer waits for the
// next round, up to PollRound after the request.
type SharedPolls interface {
	PollRound() time.Duration
}

// sharedPollRound finds SharedPolls in api or in the APIs it wraps (an
// Unwrap method returning the wrapped ECSAPI, as ecsbatch and fleet's
// wrappers have).
func sharedPollRound(api ECSAPI) (time.Duration, bool) {
	for range 8 {
		if s, ok := api.(SharedPolls); ok {
			return max(s.PollRound(), 0), true
		}
		u, ok := api.(interface{ Unwrap() ECSAPI })
		if !ok {
			return 0, false
		}
		if api = u.Unwrap(); api == nil {
			return 0, false
		}
	}
	return 0, false
}

// sharedStart adapts a plan to shared polls. While the new tasks of a
// service without a load balancer start, its rollout can end within two
// seconds of them running (the old tasks' stop, ECS's steady-state check):
// a lone waiter backs off up to hi all the same, as each poll is a call,
// and so may return up to hi - 2 s after the end. A shared poll is a share
// of a round that goes out anyway, so there the start is polled at the
// floor instead, and the end is seen within a poll of the due phase. A
// longer planned sleep (a start predicted from the previous rollout, the
// back-off of a start of minutes) is left as it is.
func (s *schedule) sharedStart(p plan) plan {
	if s.phase == phaseStarting && s.drain <= 0 && p.delay <= s.hi {
		p.delay = min(p.delay, min(2*s.lo, s.hi))
	}
	return p
}
