// natsfault-driver-go: the nats.go client driver, DRIVER-PROTOCOL v1.1 (JetStream: jetstream.go).
// Commands on stdin, events on stdout, one JSON object per line.
//
// Build (Debian's nats.go 1.22.1 and Go 1.19, GOPATH mode, no downloads):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o .build/drivers/natsfault-driver-go ./drivers/go   (scripts/setup does this)
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
)

func main() {
	// With SIGPIPE delivered to a channel, a write to a closed stdout fails
	// with EPIPE instead of killing the driver (Go's default for fd 1 and 2).
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	if len(os.Args) == 2 && os.Args[1] == "--list-mutants" {
		listMutants()
		return
	}
	m, err := parseMutantFlag(os.Args[1:])
	if err != nil {
		stderrLine(err.Error())
		os.Exit(2)
	}
	mutant = m
	stderrLine(fmt.Sprintf("%s %s, pid %d, DRIVER-PROTOCOL v1.1", libraryName, nats.Version, os.Getpid()))

	events.emit("hello", fields{
		{"protocol", 1},
		{"protocol_minor", 1},
		{"library", libraryName},
		{"library_version", nats.Version},
		{"capabilities", capabilities},
	})
	if mutant != "" {
		stderrLine("MUTANT " + mutant + ": " + goMutants[mutant])
		events.log("mutant " + mutant + ": " + goMutants[mutant])
	}

	d := &driver{}
	in := bufio.NewReaderSize(os.Stdin, 64*1024)
	for {
		raw, err := in.ReadString('\n')
		if line := strings.TrimSpace(raw); line != "" {
			p := parseLine(line)
			switch {
			case p.garbage != "":
				events.log("ignored input: " + p.garbage)
			case p.badID != nil:
				ack(*p.badID, badf("%s", p.badMsg), nil)
			case p.cmd.op == "exit":
				stderrLine("exit op: closing and exiting")
				d.shutdown()
				ack(p.cmd.id, nil, nil)
				os.Exit(0)
			default:
				d.handle(p.cmd)
			}
		}
		if err != nil {
			if err != io.EOF {
				stderrLine("reading stdin: " + err.Error())
			}
			break
		}
	}

	stderrLine("stdin closed: closing and exiting")
	d.shutdown()
	os.Exit(0)
}
