// The payload format shared by all natsfault drivers: ASCII "<seq> <stream>",
// padded with '.' up to payload_bytes. Any receiver can read any publisher.

package main

import (
	"strconv"
	"unicode/utf8"
)

// makePayload is "<seq> <stream>" padded with '.' to size bytes (never truncated).
func makePayload(seq int64, stream string, size int) []byte {
	b := make([]byte, 0, size)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ' ')
	b = append(b, stream...)
	for len(b) < size {
		b = append(b, '.')
	}
	return b
}

// parsePayload reads (seq, stream) from a payload; ok is false (and seq 0)
// when it does not parse.
func parsePayload(data []byte) (seq int64, stream string, ok bool) {
	i := 0
	for i < len(data) && i < 18 && data[i] >= '0' && data[i] <= '9' {
		seq = seq*10 + int64(data[i]-'0')
		i++
	}
	if i == 0 || i >= len(data) || data[i] != ' ' {
		return 0, "", false
	}
	end := len(data)
	for end > i+1 && data[end-1] == '.' {
		end--
	}
	s := data[i+1 : end]
	if len(s) == 0 || !utf8.Valid(s) || string(s) == "." {
		return 0, "", false
	}
	for _, c := range s {
		if c == ' ' {
			return 0, "", false
		}
	}
	return seq, string(s), true
}
