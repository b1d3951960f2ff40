import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file or folder natsfault cannot read or write, in plain words: which one, and why (`scenarios/a.yaml does not
/// exist`, `permission denied to read scenarios/private`, `the folder /proc/foo does not exist`).
///
/// Every message about a file a user gave goes through here, so that none shows Foundation's own error texts.
public struct FileProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// What a failed call on `path` means, from the errno it left.
    ///
    /// - Parameters:
    ///   - folder: `path` is a folder (`the folder X does not exist`).
    ///   - writing: the call was writing (`permission denied to write X`).
    public init(errno code: Int32, path: String, folder: Bool = false, writing: Bool = false) {
        let what = folder ? "the folder \(path)" : path
        description = switch code {
        case ENOENT: "\(what) does not exist"
        case EACCES, EPERM: "permission denied to \(writing ? "write in" : "read") \(what)"
        case EISDIR: "\(path) is a folder, not a file"
        case ENOTDIR: "a part of \(path) is not a folder"
        case EROFS: "\(what) is on a read-only file system"
        case ENOSPC, EDQUOT: "no space left to write \(what)"
        case ELOOP: "\(path) is a loop of symbolic links"
        case ENAMETOOLONG: "the name \(path) is too long"
        default: "\(what): \(String(cString: strerror(code)).lowercased())"
        }
    }

    /// The text of the file at `path`.
    ///
    /// - Throws: `FileProblem` when it does not exist, cannot be read, is a folder or is not UTF-8 text.
    public static func readText(_ path: String) throws(FileProblem) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileProblem(errno: errno, path: path) }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { throw FileProblem(errno: EISDIR, path: path) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileProblem(errno: errno, path: path) }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw FileProblem("\(path) is not UTF-8 text") }
        return text
    }

    /// What an error thrown by a file call means in plain words: Foundation's file errors are mapped to the words
    /// above, any other error describes itself.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let problem as FileProblem: return problem.description
        case let cocoa as CocoaError: return FileProblem(cocoa).description
        case let posix as POSIXError: return FileProblem(errno: posix.code.rawValue, path: "a file").description
        default: return "\(error)"
        }
    }

    /// A Foundation file error, with its path and its errno when it carries them.
    init(_ error: CocoaError) {
        let path = error.filePath ?? error.url?.path ?? "a file"
        let writing = (CocoaError.Code.fileWriteUnknown.rawValue...CocoaError.Code.fileWriteVolumeReadOnly.rawValue).contains(error.code.rawValue)
        if let posix = error.userInfo[NSUnderlyingErrorKey] as? POSIXError {
            self.init(errno: posix.code.rawValue, path: path, writing: writing)
            return
        }
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: self.init(errno: ENOENT, path: path)
        case .fileReadNoPermission, .fileWriteNoPermission: self.init(errno: EACCES, path: path, writing: writing)
        case .fileWriteVolumeReadOnly: self.init(errno: EROFS, path: path)
        case .fileWriteOutOfSpace: self.init(errno: ENOSPC, path: path)
        case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding, .fileReadCorruptFile: self.init("\(path) is not UTF-8 text")
        case .fileWriteFileExists: self.init("\(path) already exists")
        default: self.init("cannot \(writing ? "write" : "read") \(path)")
        }
    }
}

/// Folders natsfault writes into (reports, kept runs), checked before a suite runs.
public enum WritableFolder {
    /// Creates `folder` and its parents if need be and writes (then removes) a file in it.
    ///
    /// - Throws: `FileProblem` naming the folder that cannot be made or written and why
    ///   (`the folder /proc/foo does not exist`, `permission denied to write in the folder /srv/results`).
    public static func check(_ folder: String) throws(FileProblem) {
        var path = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/") {
            path += "/" + component
            guard mkdir(path, 0o755) != 0 else { continue }
            let code = errno
            var status = stat()
            if code == EEXIST, stat(path, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else { throw FileProblem("\(shown(path)) is a file, not a folder") }
                continue
            }
            throw FileProblem(errno: code, path: shown(path), folder: true, writing: true)
        }
        let probe = "\(path.isEmpty ? "/" : path)/.natsfault-write-check-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileProblem(errno: errno, path: shown(path.isEmpty ? "/" : path), folder: true, writing: true) }
        close(fd)
        unlink(probe)
    }

    /// A path as built from a relative folder (`./results`), as the user wrote it (`results`).
    private static func shown(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }
}
