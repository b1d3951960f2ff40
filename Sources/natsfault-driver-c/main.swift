// natsfault-driver-c: the nats.c (libnats) client driver, DRIVER-PROTOCOL v1.1 (v1 and JetStream).
// Commands on stdin, events on stdout, one JSON object per line.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

signal(SIGPIPE, SIG_IGN)
stderrLine("nats.c \(libraryVersion), pid \(getpid()), DRIVER-PROTOCOL v1.1")

events.emit("hello", [
    ("protocol", .int(1)),
    ("protocol_minor", .int(1)),
    ("library", .str("nats.c")),
    ("library_version", .str(libraryVersion)),
    ("capabilities", .arr(capabilities.map { .str($0) })),
])

while let raw = readLine(strippingNewline: true) {
    let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    if line.isEmpty { continue }
    switch parseLine(line) {
    case .garbage(let why):
        events.log("ignored input: \(why)")
    case .badCommand(let id, let message):
        ack(id, .failure(.other(message)))
    case .command(let cmd):
        if cmd.op == "exit" {
            stderrLine("exit op: closing and exiting")
            driver.shutdown()
            ack(cmd.id, .success([]))
            exit(0)
        }
        driver.handle(cmd)
    }
}

// stdin closed: close the connection and leave.
stderrLine("stdin closed: closing and exiting")
driver.shutdown()
exit(0)
