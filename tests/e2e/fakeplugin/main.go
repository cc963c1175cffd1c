// Command fakeplugin stands in for AWS's session-manager-plugin in the
// end-to-end tests. It appends how it was called (arguments and the
// AWS_SSM_START_SESSION_RESPONSE variable) as one JSON line to
// $FAKE_SMP_LOG; for a port forwarding session it listens on the local port
// like the real plugin, greets one connection and exits. A shell session
// lasts until $FAKE_SMP_WAIT_FILE exists, when set.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "--version" {
		v := os.Getenv("FAKE_SMP_VERSION")
		if v == "" {
			v = "1.2.707.0"
		}
		fmt.Println(v)
		return
	}
	if len(args) == 0 {
		fmt.Println("The Session Manager plugin was installed successfully. Use the AWS CLI to start a session.")
		return
	}
	record(args)
	if len(args) != 6 || args[2] != "StartSession" {
		fmt.Fprintf(os.Stderr, "fakeplugin: want SESSION REGION StartSession PROFILE PARAMETERS ENDPOINT, got %d arguments\n", len(args))
		os.Exit(1)
	}
	sessionJSON := args[0]
	if sessionJSON == "AWS_SSM_START_SESSION_RESPONSE" {
		sessionJSON = os.Getenv(sessionJSON)
	}
	var session map[string]string
	var params struct {
		Target       string
		DocumentName string
		Parameters   map[string][]string
	}
	if err := json.Unmarshal([]byte(sessionJSON), &session); err != nil {
		fail("session is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(args[4]), &params); err != nil {
		fail("parameters are not JSON: %v", err)
	}
	id := session["sessionId"] + session["SessionId"]
	fmt.Printf("\nStarting session with SessionId: %s\n", id)
	if params.DocumentName == "" {
		fmt.Printf("fake shell on %s\n", params.Target)
		// What the command prints in the container (the file's text), e.g.
		// text posing as a GitHub workflow command.
		if f := os.Getenv("FAKE_SMP_SHELL_OUTPUT"); f != "" {
			out, err := os.ReadFile(f)
			if err != nil {
				fail("FAKE_SMP_SHELL_OUTPUT: %v", err)
			}
			_, _ = os.Stdout.Write(out)
		}
		waitForFile(os.Getenv("FAKE_SMP_WAIT_FILE"))
		fmt.Printf("\n\nExiting session with sessionId: %s.\n\n", id)
		return
	}
	forward(id, params.Parameters)
}

func forward(id string, p map[string][]string) {
	local := "0"
	if v := p["localPortNumber"]; len(v) > 0 {
		local = v[0]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+local)
	if err != nil {
		fail("listen: %v", err)
	}
	defer ln.Close()
	fmt.Printf("Port %d opened for sessionId %s.\nWaiting for connections...\n", ln.Addr().(*net.TCPAddr).Port, id)
	// Never outlive the test that forgot to connect.
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		fail("accept: %v", err)
	}
	host := "localhost"
	if v := p["host"]; len(v) > 0 {
		host = v[0]
	}
	fmt.Printf("\nConnection accepted for session [%s]\n", id)
	fmt.Fprintf(conn, "forwarded to %s:%s\n", host, p["portNumber"][0])
	conn.Close()
}

// waitForFile keeps the session open until path exists (a test's way of
// ending it), at most 30 s.
func waitForFile(path string) {
	if path == "" {
		return
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	fail("%s did not appear", path)
}

func record(args []string) {
	path := os.Getenv("FAKE_SMP_LOG")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fail("log: %v", err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"args": args, "AWS_SSM_START_SESSION_RESPONSE": os.Getenv("AWS_SSM_START_SESSION_RESPONSE"), "argc": strconv.Itoa(len(args))})
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fakeplugin: "+format+"\n", args...)
	os.Exit(1)
}
