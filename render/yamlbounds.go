package render

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxYAMLNodes bounds a YAML document's size once its aliases are expanded.
// Aliases let a few hundred bytes stand for billions of nodes ("billion
// laughs"); a config never needs more than a tiny fraction of this.
const maxYAMLNodes = 1_000_000

// checkYAMLAliases refuses a document whose alias expansion would exceed
// maxYAMLNodes, before anything expands it. Syntax errors are left to the
// decoder, which reports them with their place.
func checkYAMLAliases(name string, src []byte) error {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil
	}
	c := &aliasCounter{anchors: map[string]int64{}}
	for _, doc := range f.Docs {
		if c.size(doc.Body) > maxYAMLNodes {
			break
		}
	}
	if c.total > maxYAMLNodes {
		return fmt.Errorf("%s: YAML aliases expand to more than %d nodes (an alias bomb?); refusing to read it", name, maxYAMLNodes)
	}
	return nil
}

type aliasCounter struct {
	anchors map[string]int64 // expanded size of each anchor's value
	total   int64
}

// size returns the expanded node count of n, adding it to total; it stops
// descending once the total is over the limit.
func (c *aliasCounter) size(n ast.Node) int64 {
	if n == nil || c.total > maxYAMLNodes {
		return 0
	}
	var s int64
	switch v := n.(type) {
	case *ast.MappingNode:
		return 1 + sizes(c, v.Values)
	case *ast.MappingValueNode:
		return c.size(v.Key) + c.size(v.Value)
	case *ast.SequenceNode:
		return 1 + sizes(c, v.Values)
	case *ast.AnchorNode:
		s = c.size(v.Value)
		if v.Name != nil {
			c.anchors[v.Name.GetToken().Value] = s
		}
		return s
	case *ast.AliasNode:
		if v.Value != nil {
			s = c.anchors[v.Value.GetToken().Value]
		}
		c.total += s // the expansion, counted where it appears
		return s
	case *ast.TagNode:
		return c.size(v.Value)
	}
	c.total++
	return 1
}

func sizes[N ast.Node](c *aliasCounter, nodes []N) int64 {
	var s int64
	for _, n := range nodes {
		s += c.size(n)
	}
	return s
}
