/// What can go wrong with NKeys, JWTs and creds files.
public enum CredentialsError: Error, CustomStringConvertible, Sendable {
    /// A text that should be an NKey seed is not one.
    case badSeed(String)
    /// A text that should be a NATS JWT is not one.
    case badToken(String)
    /// The Ed25519 signature could not be made.
    case signing(String)
    /// A creds file could not be written: its path and the reason.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .badSeed(let why): "not an NKey seed: \(why)"
        case .badToken(let why): "not a NATS JWT: \(why)"
        case .signing(let why): "cannot sign: \(why)"
        case .cannotWrite(let path, let reason): "cannot write the creds file \(path): \(reason)"
        }
    }
}
