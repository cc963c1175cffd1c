package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/deploy"
)

func twoTasks() []deploy.TaskInfo {
	mk := func(id string) deploy.TaskInfo {
		arn := "arn:aws:ecs:us-east-1:123456789012:task/demo/" + id
		return deploy.TaskInfo{ID: id, ARN: arn, LastStatus: "RUNNING", Task: ecstypes.Task{
			TaskArn: aws.String(arn), TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"),
			LastStatus: aws.String("RUNNING"), DesiredStatus: aws.String("RUNNING"),
		}}
	}
	return []deploy.TaskInfo{mk("aaaa1111"), mk("bbbb2222")}
}

// Without --id or a filter, a terminal chooses at a prompt; the menu is
// ecspresso's tsv columns, id first.
func TestChooseTaskAtThePrompt(t *testing.T) {
	var stderr bytes.Buffer
	ch := &chooser{stdin: strings.NewReader("2\n"), prompt: &stderr, interactive: true}
	got, err := chooseListedTask(ch, twoTasks())
	if err != nil || got.ID != "bbbb2222" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if !strings.Contains(stderr.String(), "aaaa1111\tweb:1\t\tRUNNING\tRUNNING") || !strings.Contains(stderr.String(), "Choose a task [1-2]: ") {
		t.Errorf("menu and prompt = %q", stderr.String())
	}
	ch = &chooser{stdin: strings.NewReader(""), prompt: &stderr, interactive: true}
	if _, err := chooseListedTask(ch, twoTasks()); err == nil || !strings.Contains(err.Error(), "no task chosen") {
		t.Errorf("no answer: err = %v", err)
	}
}

func TestChooseTaskThroughTheFilter(t *testing.T) {
	filter := func(cmd string) *chooser {
		return &chooser{filterCommand: cmd, stdin: os.Stdin, prompt: &bytes.Buffer{}}
	}
	// The filter reads the menu on stdin and prints the chosen line.
	got, err := chooseListedTask(filter("grep bbbb"), twoTasks())
	if err != nil || got.ID != "bbbb2222" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := chooseListedTask(filter("grep nothing-matches"), twoTasks()); err == nil || !strings.Contains(err.Error(), "filter command") {
		t.Errorf("a filter that chooses nothing: err = %v", err)
	}
	// One candidate needs no choice.
	if got, err := chooseListedTask(filter("false"), twoTasks()[1:]); err != nil || got.ID != "bbbb2222" {
		t.Errorf("one task: %+v, %v", got, err)
	}
}
