package deploy

import (
	"strings"
	"testing"
	"time"
)

// A multi-line service event, stopped reason or rollout reason keeps its
// block's indentation on every line, whatever ends its lines ("\n", "\r\n",
// a lone "\r"): no line of AWS text starts at column 0 under an indented
// header. Events and stopped reasons hang under their text.
func TestMultiLineAWSTextStaysIndented(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 1, 20, 0, time.UTC)
	stamp := at.Local().Format(timeFormat)
	pad := strings.Repeat(" ", len("  "+stamp+" "))
	msg := "(service web) was unable to place a task\n::error::forged\r\nbecause\rno instance\n"

	ex := &Explanation{
		StoppedTasks: []StoppedGroup{{Count: 2, Reason: "stopped by ops\nfor maintenance", StopCode: "UserInitiated",
			Containers: []ContainerExit{{Name: "app", Reason: "OutOfMemory\nkilled"}}, TaskIDs: []string{"t1"}}},
		Events:   []ServiceEvent{{Time: at, Message: msg}},
		Problems: []string{"list tasks: throttled\nretry later"},
	}
	text := strings.Join(ex.Lines(), "\n")
	for _, want := range []string{
		"Stopped tasks of the deployment:\n  2× stopped by ops\n     for maintenance [UserInitiated]\n",
		"      container app (OutOfMemory\n                killed)\n",
		"Last service events:\n  " + stamp + " (service web) was unable to place a task\n" + pad + "::error::forged\n" + pad + "because\n" + pad + "no instance\n",
		"(could not gather: list tasks: throttled\n  retry later)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}

	st := &Status{
		Deployments: []StatusDeployment{{Status: "PRIMARY", TaskDefinition: "web:2", RolloutState: "FAILED", RolloutStateReason: "circuit breaker\r\ntriggered"}},
		Events:      []StatusEvent{{Time: at, Message: msg}},
	}
	text = strings.Join(st.Lines(), "\n")
	for _, want := range []string{
		"   PRIMARY web:2 desired:0 pending:0 running:0 failed:0 FAILED (circuit breaker\n     triggered)",
		"Events:\n  " + stamp + " (service web) was unable to place a task\n" + pad + "::error::forged\n" + pad + "because\n" + pad + "no instance",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	for _, out := range [][]string{ex.Lines(), st.Lines()} {
		for _, l := range out {
			if strings.ContainsAny(l, "\r\n") || strings.HasPrefix(l, "::") {
				t.Errorf("line %q: a line break inside, or AWS text at column 0", l)
			}
		}
	}
}
