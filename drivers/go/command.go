// Commands read from stdin: one JSON object per line.

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// badCommand is a bad command or field: acked with kind "other".
type badCommand struct {
	msg string
}

func (e *badCommand) Error() string { return e.msg }

func badf(format string, args ...interface{}) error {
	return &badCommand{fmt.Sprintf(format, args...)}
}

// command is one command line: its id, op and the rest of its fields.
type command struct {
	id     int64
	op     string
	fields args
}

// parsedLine is what one input line turned out to be; exactly one of
// command, badCommandID (with badMsg) or garbage is meaningful.
type parsedLine struct {
	cmd *command
	// A line with an id whose command is bad: acked ok:false.
	badID  *int64
	badMsg string
	// Not a JSON object with an integer id: nothing to ack, logged.
	garbage string
}

func parseLine(line string) parsedLine {
	show := line
	if len(show) > 200 {
		show = show[:200]
	}
	if !json.Valid([]byte(line)) {
		return parsedLine{garbage: "line is not JSON: " + show}
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var value interface{}
	if err := dec.Decode(&value); err != nil {
		return parsedLine{garbage: "line is not JSON: " + show}
	}
	obj, ok := value.(map[string]interface{})
	if !ok {
		return parsedLine{garbage: "line is not a JSON object: " + show}
	}
	a := args{values: obj}
	if !a.has("id") {
		return parsedLine{garbage: "command without an integer 'id': " + show}
	}
	id, err := a.int("id", 0)
	if err != nil {
		return parsedLine{garbage: "command without an integer 'id': " + show}
	}
	if !a.has("op") {
		return parsedLine{badID: &id, badMsg: "missing field 'op'"}
	}
	op, err := a.string("op", "")
	if err != nil {
		return parsedLine{badID: &id, badMsg: err.Error()}
	}
	return parsedLine{cmd: &command{id: id, op: op, fields: a}}
}

// args gives typed access to a JSON object's fields. Absent and null fields
// are the same; a present field of the wrong type is a *badCommand.
type args struct {
	values map[string]interface{}
	// prefix names the object in error messages, e.g. "options.".
	prefix string
}

func (a args) get(key string) (interface{}, bool) {
	v, ok := a.values[key]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// has reports whether key is present and not null.
func (a args) has(key string) bool {
	_, ok := a.get(key)
	return ok
}

func typeName(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []interface{}:
		return "an array"
	case map[string]interface{}:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func (a args) bad(key, want string, got interface{}) error {
	return badf("field '%s%s' must be %s, got %s", a.prefix, key, want, typeName(got))
}

func (a args) string(key, def string) (string, error) {
	v, ok := a.get(key)
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", a.bad(key, "a string", v)
	}
	return s, nil
}

func (a args) requiredString(key string) (string, error) {
	if !a.has(key) {
		return "", badf("missing field '%s%s'", a.prefix, key)
	}
	return a.string(key, "")
}

// int accepts integers and integral floats (1.0).
func (a args) int(key string, def int64) (int64, error) {
	v, ok := a.get(key)
	if !ok {
		return def, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, a.bad(key, "an integer", v)
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	if f, err := n.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 9.0e18 {
		return int64(f), nil
	}
	return 0, a.bad(key, "an integer", v)
}

func (a args) float(key string, def float64) (float64, error) {
	v, ok := a.get(key)
	if !ok {
		return def, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, a.bad(key, "a number", v)
	}
	f, err := n.Float64()
	if err != nil {
		return 0, a.bad(key, "a number", v)
	}
	return f, nil
}

func (a args) bool(key string, def bool) (bool, error) {
	v, ok := a.get(key)
	if !ok {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, a.bad(key, "a boolean", v)
	}
	return b, nil
}

// stringList accepts a list of strings or a single string.
func (a args) stringList(key string) ([]string, error) {
	v, ok := a.get(key)
	if !ok {
		return nil, nil
	}
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []interface{}:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, badf("field '%s%s' must be a list of strings", a.prefix, key)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, a.bad(key, "a list of strings", v)
}

// object returns a nested object (empty when absent).
func (a args) object(key string) (args, error) {
	sub := args{values: map[string]interface{}{}, prefix: a.prefix + key + "."}
	v, ok := a.get(key)
	if !ok {
		return sub, nil
	}
	o, ok := v.(map[string]interface{})
	if !ok {
		return sub, a.bad(key, "an object", v)
	}
	sub.values = o
	return sub, nil
}

// objectList returns a list of objects, each named "key[i]." in errors.
func (a args) objectList(key string) ([]args, error) {
	v, ok := a.get(key)
	if !ok {
		return nil, nil
	}
	items, ok := v.([]interface{})
	if !ok {
		return nil, a.bad(key, "a list of objects", v)
	}
	out := make([]args, 0, len(items))
	for i, item := range items {
		o, ok := item.(map[string]interface{})
		if !ok {
			return nil, badf("field '%s%s' must be a list of objects", a.prefix, key)
		}
		out = append(out, args{values: o, prefix: fmt.Sprintf("%s%s[%d].", a.prefix, key, i)})
	}
	return out, nil
}
