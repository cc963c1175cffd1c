package ghactions

import (
	"html"
	"strings"
)

// Markdown builds a step summary. Methods append and return the builder so a
// section reads top to bottom; String returns the text for AppendSummary.
type Markdown struct{ b strings.Builder }

func (m *Markdown) String() string { return m.b.String() }

// Heading appends a `#`-style heading; level is clamped to 1–6.
func (m *Markdown) Heading(level int, text string) *Markdown {
	level = min(max(level, 1), 6)
	m.b.WriteString(strings.Repeat("#", level) + " " + oneLine(text) + "\n\n")
	return m
}

// Text appends a paragraph as given (it may hold markdown).
func (m *Markdown) Text(text string) *Markdown {
	m.b.WriteString(strings.TrimRight(text, "\n") + "\n\n")
	return m
}

// Table appends a table. Cells are escaped so a `|` or newline in a value
// cannot break the layout; short rows are padded.
func (m *Markdown) Table(header []string, rows [][]string) *Markdown {
	m.b.WriteString(Table(header, rows))
	return m
}

// Code appends a fenced code block.
func (m *Markdown) Code(lang, code string) *Markdown {
	m.b.WriteString(CodeBlock(lang, code) + "\n")
	return m
}

// Details appends a collapsed section whose body is markdown.
func (m *Markdown) Details(summary, body string) *Markdown {
	m.b.WriteString(Details(summary, body))
	return m
}

// Table renders a markdown table.
func Table(header []string, rows [][]string) string {
	if len(header) == 0 {
		return ""
	}
	var b strings.Builder
	writeRow := func(cells []string) {
		b.WriteString("|")
		for i := range header {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			b.WriteString(" " + tableCell(cell) + " |")
		}
		b.WriteString("\n")
	}
	writeRow(header)
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		writeRow(r)
	}
	b.WriteString("\n")
	return b.String()
}

// Cells are HTML-escaped too: GitHub would take "<none>" in an image name for
// a tag and drop it.
var cellEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;",
	"|", `\|`, "\r\n", "<br>", "\n", "<br>", "\r", "<br>")

// Only ASCII space is trimmed: leading no-break spaces are how a cell indents.
func tableCell(s string) string { return cellEscaper.Replace(strings.Trim(s, " \t\r\n")) }

// CodeBlock renders a fenced block whose fence is longer than any run of
// backticks inside code, so the code cannot close it early.
func CodeBlock(lang, code string) string {
	fence := strings.Repeat("`", max(3, longestRun(code, '`')+1))
	return fence + oneLine(lang) + "\n" + strings.TrimRight(code, "\n") + "\n" + fence + "\n"
}

// Details renders `<details>` with an escaped summary line. The blank lines
// around the body are what make GitHub render markdown inside the HTML block.
func Details(summary, body string) string {
	return "<details><summary>" + html.EscapeString(oneLine(summary)) + "</summary>\n\n" +
		strings.TrimRight(body, "\n") + "\n\n</details>\n\n"
}

// DiffDetails renders one resource's unified diff as a collapsed section, the
// form the diff summary uses per resource.
func DiffDetails(resource, diff string) string {
	return Details(resource, CodeBlock("diff", diff))
}

// StatusEmoji maps a check status (OK, NG, WARN, SKIP, or a deploy outcome) to
// the mark shown in summary tables; unknown statuses get none.
func StatusEmoji(status string) string {
	switch strings.ToUpper(status) {
	case "OK", "SUCCESS", "SUCCEEDED", "SUCCESSFUL":
		return "✅"
	case "NG", "FAILED", "FAILURE", "ERROR":
		return "❌"
	case "WARN", "WARNING", "TIMEOUT", "ROLLED_BACK":
		return "⚠️"
	case "SKIP", "SKIPPED":
		return "⏭️"
	}
	return ""
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
