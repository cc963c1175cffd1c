package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

const (
	// OutputEnv and SummaryEnv name the files a runner gives each step.
	OutputEnv  = "GITHUB_OUTPUT"
	SummaryEnv = "GITHUB_STEP_SUMMARY"

	// SummaryLimit is GitHub's cap on one step's summary (1 MiB); a larger file
	// makes the runner drop the whole summary, so we cut ours short instead.
	SummaryLimit = 1024 * 1024
)

// SetOutput appends a step output to the file named by $GITHUB_OUTPUT. Outside a
// runner (variable unset) it does nothing.
func SetOutput(name, value string) error {
	return SetOutputTo(os.Getenv(OutputEnv), name, value)
}

// SetOutputTo appends name=value to the output file at path. Multi-line values
// use the `name<<DELIMITER` heredoc form with a random delimiter.
func SetOutputTo(path, name, value string) error {
	if path == "" {
		return nil
	}
	if name == "" || strings.ContainsAny(name, "=<\r\n") {
		return fmt.Errorf("step output name %q: must be non-empty without '=', '<' or newlines", name)
	}
	var entry string
	if !strings.ContainsAny(value, "\r\n") {
		entry = name + "=" + value + "\n"
	} else {
		delim, err := newDelimiter()
		if err != nil {
			return fmt.Errorf("step output %s: %w", name, err)
		}
		if strings.Contains(value, delim) {
			return fmt.Errorf("step output %s: value contains the heredoc delimiter %s", name, delim)
		}
		entry = name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
	}
	return appendFile(path, entry, "step output "+name)
}

// newDelimiter is a variable so tests can pin the random part.
var newDelimiter = func() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("heredoc delimiter: %w", err)
	}
	return "ghadelimiter_" + hex.EncodeToString(b[:]), nil
}

// AppendSummary appends markdown to the file named by $GITHUB_STEP_SUMMARY;
// outside a runner it does nothing.
func AppendSummary(markdown string) error {
	return AppendSummaryTo(os.Getenv(SummaryEnv), markdown)
}

// AppendSummaryTo appends markdown to the summary file at path, cutting it so the
// file stays under SummaryLimit (the cut is said in the summary itself).
func AppendSummaryTo(path, markdown string) error {
	if path == "" || markdown == "" {
		return nil
	}
	var used int64
	if fi, err := os.Stat(path); err == nil {
		used = fi.Size()
	}
	if room := SummaryLimit - used; int64(len(markdown)) > room {
		const note = "\n\n> [!WARNING]\n> doppio cut this summary: GitHub accepts at most 1 MiB per step. See the job log for the rest.\n"
		keep := room - int64(len(note))
		if keep < 0 {
			return fmt.Errorf("step summary %s: already at GitHub's 1 MiB limit, %d bytes of summary not written", path, len(markdown))
		}
		markdown = cutUTF8(markdown, int(keep)) + note
	}
	return appendFile(path, markdown, "step summary")
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not split
// a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func appendFile(path, text, what string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%s: open %s: %w", what, path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("%s: write %s: %w", what, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: close %s: %w", what, path, err)
	}
	return nil
}
