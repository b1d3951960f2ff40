// JSON Lines output for DRIVER-PROTOCOL v1: one event per line, each line
// written with a single write(2) under a lock (nats.go runs callbacks and
// message handlers on its own goroutines) and so never interleaved.

package main

import (
	"os"
	"strconv"
	"sync"
	"unicode/utf8"
)

// field is one key of an output object. Objects are ordered lists of fields
// so that lines read naturally ("event" first, "mono_ns" last).
type field struct {
	key string
	val interface{}
}

// fields is an output JSON object. Values may be string, bool, int, int64,
// uint64, []string, []interface{}, fields, *driverError or nil.
type fields []field

// eventWriter is the single writer of stdout.
type eventWriter struct {
	mu     sync.Mutex
	broken bool
}

var events = &eventWriter{}

// emit writes {"event":name, fs..., "mono_ns":now} as one line.
func (w *eventWriter) emit(name string, fs fields) {
	w.emitAt(name, fs, monoNow())
}

// emitAt is emit with the event's own CLOCK_MONOTONIC time.
func (w *eventWriter) emitAt(name string, fs fields, mono uint64) {
	line := make([]byte, 0, 128)
	line = append(line, `{"event":`...)
	line = appendString(line, name)
	for _, f := range fs {
		line = append(line, ',')
		line = appendString(line, f.key)
		line = append(line, ':')
		line = appendValue(line, f.val)
	}
	line = append(line, `,"mono_ns":`...)
	line = strconv.AppendUint(line, mono, 10)
	line = append(line, "}\n"...)

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken {
		return
	}
	// os.File.Write loops until the whole line is written (or fails).
	if _, err := os.Stdout.Write(line); err != nil {
		// stdout is gone (the harness died): nothing left to tell anyone.
		w.broken = true
	}
}

// log emits a `log` event.
func (w *eventWriter) log(text string) {
	w.emit("log", fields{{"text", text}})
}

func appendValue(b []byte, v interface{}) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	case []interface{}:
		b = append(b, '[')
		for i, item := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, item)
		}
		return append(b, ']')
	case *driverError:
		return appendValue(b, v.json())
	case fields:
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f.key)
			b = append(b, ':')
			b = appendValue(b, f.val)
		}
		return append(b, '}')
	default:
		// A programming error: keep the line valid JSON and say what it was.
		return appendString(b, "unencodable value")
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// control characters, DEL and U+2028/U+2029 are escaped so that a line
// never breaks in any JSON Lines reader.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r < 0x20 || r == 0x7F || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u',
				hexDigits[(r>>12)&0xF], hexDigits[(r>>8)&0xF], hexDigits[(r>>4)&0xF], hexDigits[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// stderrLine writes free-text diagnostics on stderr.
func stderrLine(text string) {
	os.Stderr.WriteString("natsfault-driver-go: " + text + "\n")
}
