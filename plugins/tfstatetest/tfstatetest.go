// Package tfstatetest generates large, realistic Terraform states for
// benchmarks of the tfstate lookups (plugins and render).
package tfstatetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// resourceTypes cycle so that a state looks like a real one: several types,
// attributes nested in maps and lists.
var resourceTypes = []string{"aws_ecr_repository", "aws_cloudwatch_log_group", "aws_security_group", "aws_iam_role"}

// Addr is the address of resource i's attribute attr, e.g.
// Addr(7, "arn") = `aws_iam_role.r00007.arn`.
func Addr(i int, attr string) string {
	return fmt.Sprintf("%s.r%05d.%s", resourceTypes[i%len(resourceTypes)], i, attr)
}

// Write writes a version 4 state of at least size bytes to path and returns
// how many resources it holds. Every resource i has the attributes id, arn,
// name and url (strings), port (number), tags (map) and ingress (list of
// maps), so Addr(i, "url") and Addr(i, "ingress[0].from_port") resolve.
// Every fourth resource is a for_each resource with the keys "a" and "b".
func Write(path string, size int) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: w}
	enc := json.NewEncoder(cw)

	fmt.Fprint(cw, `{"version":4,"terraform_version":"1.9.5","serial":1,"lineage":"bench","outputs":{"cluster":{"value":"demo","type":"string"}},"resources":[`)
	n := 0
	for ; cw.n < int64(size); n++ {
		if n > 0 {
			fmt.Fprint(cw, ",")
		}
		res := map[string]any{
			"mode":      "managed",
			"type":      resourceTypes[n%len(resourceTypes)],
			"name":      fmt.Sprintf("r%05d", n),
			"provider":  `provider["registry.terraform.io/hashicorp/aws"]`,
			"instances": instances(n),
		}
		if err := enc.Encode(res); err != nil {
			return 0, err
		}
	}
	fmt.Fprint(cw, "]}\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, f.Close()
}

func instances(i int) []any {
	if i%4 == 3 {
		return []any{
			map[string]any{"index_key": "a", "schema_version": 0, "attributes": attributes(i, "a")},
			map[string]any{"index_key": "b", "schema_version": 0, "attributes": attributes(i, "b")},
		}
	}
	return []any{map[string]any{"schema_version": 0, "attributes": attributes(i, "")}}
}

func attributes(i int, key string) map[string]any {
	name := fmt.Sprintf("service-%05d%s", i, key)
	tags := map[string]any{}
	for t := range 8 {
		tags[fmt.Sprintf("tag-%d", t)] = fmt.Sprintf("value-%d-of-%s", t, name)
	}
	var ingress []any
	for r := range 6 {
		ingress = append(ingress, map[string]any{
			"from_port": 8000 + r, "to_port": 8000 + r, "protocol": "tcp",
			"cidr_blocks":     []any{fmt.Sprintf("10.%d.%d.0/24", i%250, r)},
			"description":     fmt.Sprintf("rule %d of %s allowing traffic from the internal load balancer", r, name),
			"security_groups": []any{fmt.Sprintf("sg-%012x", i*16+r)},
		})
	}
	return map[string]any{
		"id":       fmt.Sprintf("id-%08x", i),
		"arn":      fmt.Sprintf("arn:aws:iam::123456789012:role/%s", name),
		"name":     name,
		"url":      fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/%s", name),
		"port":     8000 + i%1000,
		"tags":     tags,
		"tags_all": tags,
		"ingress":  ingress,
	}
}

type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
