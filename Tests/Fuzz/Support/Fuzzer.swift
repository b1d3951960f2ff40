import CLibFuzzer
import Glibc

/// Stops the fuzzer with `message` when a property does not hold; libFuzzer saves the input as a crash.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}

/// Hands the process to libFuzzer, which calls `test` with each input; for a fuzz target's `main`.
///
/// SwiftPM links an executable's `main` to its target's own, so libFuzzer's `main` is not used: this starts its driver instead.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
